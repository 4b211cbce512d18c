import fs from 'node:fs'

/** The chromium to drive: CHROMIUM_PATH, else Debian's package (the browser tests and `bench/web`). */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium']
  return candidates.find((p): p is string => !!p && fs.existsSync(p)) ?? null
}
