import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { chromium, type Page } from 'playwright-core'
import { chromiumPath } from '../test/browser/chromium.js'
import { freePort, startProcess } from './processes.js'

/**
 * The staff app's budgets (issue 12), measured in Debian's chromium driven headless:
 * - the initial bundle (what index.html loads before the first page: entry script, CSS, preloads),
 *   gzipped and brotli-compressed as the server sends it; budget ≤ 300 kB gzipped;
 * - first page interactive: from navigation to the customer list showing its rows with the search box
 *   ready, cold (empty cache) and warm, on the demo school; budget ≤ 1 s;
 * - typing in the customer search at N customers (default 100 000): for each keystroke, from the key to
 *   the list showing the new result with its exact total (the debounce wait counted apart); budget
 *   ≤ 150 ms per keystroke after the debounce. Every keystroke makes a query the server has not seen.
 */
export interface WebBenchOptions {
  root: string
  compiled: string
  customers: number
  /** A DATA_DIR or postgres:// URL already seeded with `customers` (else one is seeded and dropped). */
  reuse: string | null
  runs: number
}

const ADMIN = { email: 'bench@school.example', api_key: 'bench-0123456789-abcdef' }
const PASSWORD = 'bench-password-2026'
/** The debounce of the search box (web/src/pages/customers): waited for, then not counted. */
export const SEARCH_DEBOUNCE_MS = 250

interface Site {
  url: string
  stop(): Promise<void>
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0
    ? Number.NaN
    : (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2
}
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!

export function bundleSizes(webDist: string): { files: string[]; raw: number; gzip: number; br: number } {
  const html = fs.readFileSync(path.join(webDist, 'index.html'), 'utf8')
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!)
  let raw = 0
  let gzip = 0
  let br = 0
  for (const f of ['/index.html', ...new Set(files)]) {
    const p = path.join(webDist, f)
    const body = fs.readFileSync(p)
    raw += body.length
    gzip += fs.existsSync(`${p}.gz`) ? fs.statSync(`${p}.gz`).size : zlib.gzipSync(body).length
    br += fs.existsSync(`${p}.br`) ? fs.statSync(`${p}.br`).size : zlib.brotliCompressSync(body).length
  }
  return { files: [...new Set(files)], raw, gzip, br }
}

async function startSite(o: WebBenchOptions, env: Record<string, string>): Promise<Site> {
  const port = await freePort()
  const proc = await startProcess(path.join(o.compiled, 'src/main.js'), {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    healthPath: '/healthz',
    port,
  })
  return { url: `http://127.0.0.1:${port}`, stop: () => proc.stop() }
}

function cli(o: WebBenchOptions, env: Record<string, string>, args: string[]): string {
  return execFileSync(process.execPath, [path.join(o.compiled, 'src/cli/main.js'), ...args], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30 * 60_000,
  })
}

/** A database for the measurement: the demo school (`--demo`) or N bulk customers. */
function prepareDb(
  o: WebBenchOptions,
  what: '--demo' | number,
): { env: Record<string, string>; drop(): void } {
  const reuse = what !== '--demo' ? o.reuse : null
  let env: Record<string, string>
  let drop = () => {}
  if (reuse) env = reuse.startsWith('postgres') ? { DATABASE_URL: reuse } : { DATA_DIR: reuse }
  else {
    if (process.env.DATABASE_URL)
      throw new Error(
        'the web bench seeds SQLite; pass --reuse postgres://… for a seeded PostgreSQL database',
      )
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parta-web-bench-'))
    env = { DATA_DIR: dir }
    drop = () => fs.rmSync(dir, { recursive: true, force: true })
  }
  env = { ...env, ALFACRM_ADMIN_EMAIL: ADMIN.email, ALFACRM_ADMIN_API_KEY: ADMIN.api_key }
  if (!reuse) {
    const args = what === '--demo' ? ['--demo'] : ['--customers', String(what)]
    process.stdout.write(`  seeding ${args.join(' ')} …\n`)
    cli(o, env, ['seed', ...args])
  }
  // The bench signs in with a password like staff do.
  try {
    cli(o, env, ['user', 'create', '--email', ADMIN.email, '--role', 'admin', '--api-key', ADMIN.api_key])
  } catch {
    // already there (made by the first start or a previous run)
  }
  cli(o, env, ['user', 'set-password', '--email', ADMIN.email, '--password', PASSWORD])
  return { env, drop }
}

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`)
  await page.getByLabel('E-mail').fill(ADMIN.email)
  await page.getByLabel('Пароль').fill(PASSWORD)
  await page.getByRole('button', { name: 'Войти' }).click()
  await page.getByTestId('user-menu').waitFor()
}

/** The customer list is interactive: rows shown and the search box enabled. */
async function listReady(page: Page): Promise<void> {
  await page.getByTestId('customers-table').locator('tbody tr').first().waitFor()
  await page.getByTestId('customers-search').waitFor()
}

export interface WebBenchResult {
  bundle: ReturnType<typeof bundleSizes>
  interactive: { coldMs: number[]; warmMs: number[] }
  typing: { customers: number; perKeyMs: number[]; requestMs: number[]; keys: string[] }
}

export async function runWebBench(o: WebBenchOptions): Promise<WebBenchResult> {
  const exe = chromiumPath()
  if (!exe) throw new Error('no chromium: apt-get install -y chromium (or set CHROMIUM_PATH)')
  const bundle = bundleSizes(path.join(o.root, 'web/dist'))
  const browser = await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox'] })
  try {
    // First page interactive, on the demo school.
    const demo = prepareDb(o, '--demo')
    const site = await startSite(o, demo.env)
    const coldMs: number[] = []
    const warmMs: number[] = []
    try {
      for (let i = 0; i < o.runs; i++) {
        const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'ru-RU' })
        const page = await context.newPage()
        await signIn(page, site.url)
        // Cold: a new context has no cached assets; the session cookie is copied in.
        const cookies = await context.cookies()
        const cold = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'ru-RU' })
        await cold.addCookies(cookies)
        const coldPage = await cold.newPage()
        let t = performance.now()
        await coldPage.goto(`${site.url}/customers`)
        await listReady(coldPage)
        coldMs.push(performance.now() - t)
        // Warm: the same context again (assets from the HTTP cache, revalidated index.html).
        const warmPage = await cold.newPage()
        t = performance.now()
        await warmPage.goto(`${site.url}/customers`)
        await listReady(warmPage)
        warmMs.push(performance.now() - t)
        await cold.close()
        await context.close()
      }
    } finally {
      await site.stop()
      demo.drop()
    }

    // Typing at N customers.
    const big = prepareDb(o, o.customers)
    const bigSite = await startSite(o, big.env)
    const perKeyMs: number[] = []
    const requestMs: number[] = []
    const keys: string[] = []
    try {
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'ru-RU' })
      const page = await context.newPage()
      await signIn(page, bigSite.url)
      await page.goto(`${bigSite.url}/customers`)
      await listReady(page)
      const box = page.getByTestId('customers-search')
      // Names and phone fragments typed a key at a time: every prefix is a new query.
      const words = ['Соколова', 'Иван', '916', 'Петр', '495 12', 'Мар']
      // A function, not a string: the app's CSP forbids evaluating strings in the page.
      const answers = (q: string) =>
        (globalThis as any).document
          .querySelector('[data-testid="customers-total"]')
          ?.getAttribute('data-query') === q
      const shownQuery = (q: string) => page.waitForFunction(answers, q, { timeout: 60_000 })
      for (let run = 0; run < o.runs; run++) {
        for (const word of words) {
          await box.fill('')
          await shownQuery('')
          let typed = ''
          for (const ch of word) {
            const before = typed.trim()
            typed += ch
            const expected = typed.trim()
            if (expected === before) {
              await box.pressSequentially(ch)
              continue
            }
            const responded = page
              .waitForResponse((r) => r.url().includes('/customer/index'), { timeout: 60_000 })
              .catch(() => null)
            const t0 = performance.now()
            await box.pressSequentially(ch)
            await shownQuery(expected)
            const shown = performance.now()
            const r = await responded
            const timing = r?.request().timing()
            perKeyMs.push(shown - t0 - SEARCH_DEBOUNCE_MS)
            if (timing && timing.responseEnd > 0) requestMs.push(timing.responseEnd - timing.requestStart)
            keys.push(expected)
          }
        }
      }
      await context.close()
    } finally {
      await bigSite.stop()
      big.drop()
    }
    return {
      bundle,
      interactive: { coldMs, warmMs },
      typing: { customers: o.customers, perKeyMs, requestMs, keys },
    }
  } finally {
    await browser.close()
  }
}

export function webTable(r: WebBenchResult): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`
  const ms = (n: number) => `${Math.round(n)} ms`
  const lines = [
    '| Budget | Measured | Limit |',
    '|---|---|---|',
    `| Initial bundle (${r.bundle.files.length} files + index.html), gzip | ${kb(r.bundle.gzip)} (brotli ${kb(r.bundle.br)}, raw ${kb(r.bundle.raw)}) | 300 kB |`,
    `| First page interactive, cold cache (median of ${r.interactive.coldMs.length}) | ${ms(median(r.interactive.coldMs))} (max ${ms(Math.max(...r.interactive.coldMs))}) | 1 000 ms |`,
    `| First page interactive, warm cache (median) | ${ms(median(r.interactive.warmMs))} (max ${ms(Math.max(...r.interactive.warmMs))}) | 1 000 ms |`,
    `| Search keystroke at ${r.typing.customers.toLocaleString('en')} customers, key → new list shown, minus the ${SEARCH_DEBOUNCE_MS} ms debounce (${r.typing.perKeyMs.length} keys) | median ${ms(median(r.typing.perKeyMs))}, p90 ${ms(pct(r.typing.perKeyMs, 0.9))}, max ${ms(Math.max(...r.typing.perKeyMs))} | 150 ms |`,
    `| … of which the API request (customer/index with the exact total) | median ${ms(median(r.typing.requestMs))}, p90 ${ms(pct(r.typing.requestMs, 0.9))}, max ${ms(Math.max(...r.typing.requestMs))} | — |`,
  ]
  return lines.join('\n')
}
