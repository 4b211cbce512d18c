import http from 'node:http'
import { rssOf } from './processes.js'

/**
 * The memory soak (issue 10): requests whose every instance makes the server keep something new if a
 * cache is keyed by client input without a bound — huge filter bodies (the reply memo's keys), id lists
 * of ever new lengths (prepared statements), long search needles (totals and page starts), distinct
 * megabyte e-mails (the login limiter). It samples the server's resident memory throughout and checks
 * `/healthz` answers between shapes. `npm run bench` runs it with 2 000 requests a shape; the test suite
 * (test/hostile/memory.test.ts) with a few hundred.
 */
export interface SoakShape {
  name: string
  /** The i-th request: path under /v2api/, body, and whether it carries the token. */
  request(i: number): { path: string; body: string; token: boolean }
}

export interface SoakResult {
  shape: string
  requests: number
  statuses: Record<string, number>
  peakRssMb: number
  rssAfterMb: number
  healthy: boolean
  seconds: number
}

const MB = 1024 * 1024
/** A megabyte of text that still fits the default MAX_BODY_BYTES (1 MiB) with the JSON around it. */
const BIG = 1_000_000
const filler = (i: number, bytes: number) => `${i}:`.padEnd(bytes, 'x')

export const SHAPES: SoakShape[] = [
  {
    name: 'huge filter bodies (1 MB, each different)',
    request: (i) => ({
      path: '1/customer/index',
      body: JSON.stringify({ id: 999_999, junk: filler(i, BIG) }),
      token: true,
    }),
  },
  {
    name: 'id lists of ever new lengths (8 000 + i ids)',
    request: (i) => ({
      path: '1/customer/index',
      body: JSON.stringify({ id: Array.from({ length: 8000 + (i % 2000) }, (_, k) => k + 1 + i) }),
      token: true,
    }),
  },
  {
    name: 'name searches as long as a name may be, each different, deep pages',
    request: (i) => ({
      path: '1/customer/index',
      body: JSON.stringify({ name: filler(i, 255), page: 1 + (i % 7) }),
      token: true,
    }),
  },
  {
    name: 'logins with distinct 1 MB e-mails',
    request: (i) => ({
      path: 'auth/login',
      body: JSON.stringify({ email: `${filler(i, BIG)}@x.example`, api_key: 'not-the-key-0123456789' }),
      token: false,
    }),
  },
]

function post(url: string, path: string, body: string, token: string | null): Promise<number> {
  const u = new URL(`/v2api/${path}`, url)
  return new Promise((resolve) => {
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: false,
        timeout: 30_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { 'x-alfacrm-token': token } : {}),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(0))
    req.end(body)
  })
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status === 200
  } catch {
    return false
  }
}

/** Sends `count` requests of each shape over `connections` connections to the server of `pid`. */
export async function soak(opts: {
  url: string
  pid: number
  token: string
  count: number
  connections?: number
  shapes?: SoakShape[]
}): Promise<SoakResult[]> {
  const results: SoakResult[] = []
  for (const shape of opts.shapes ?? SHAPES) {
    const started = performance.now()
    let peak = rssOf(opts.pid)
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(opts.pid))
    }, 200)
    const statuses: Record<string, number> = {}
    let next = 0
    const worker = async () => {
      while (next < opts.count) {
        const r = shape.request(next++)
        const status = await post(opts.url, r.path, r.body, r.token ? opts.token : null)
        statuses[status] = (statuses[status] ?? 0) + 1
      }
    }
    await Promise.all(Array.from({ length: opts.connections ?? 4 }, worker))
    clearInterval(sampler)
    const after = rssOf(opts.pid)
    results.push({
      shape: shape.name,
      requests: opts.count,
      statuses,
      peakRssMb: Math.max(peak, after) / MB,
      rssAfterMb: after / MB,
      healthy: await healthy(opts.url),
      seconds: (performance.now() - started) / 1000,
    })
  }
  return results
}

export function soakTable(results: SoakResult[]): string[] {
  const lines = [
    '| shape | requests | replies | peak RSS MB | RSS after MB | healthy | s |',
    '|---|---|---|---|---|---|---|',
  ]
  for (const r of results) {
    const replies = Object.entries(r.statuses)
      .map(([s, n]) => `${n}×${s}`)
      .join(' ')
    lines.push(
      `| ${r.shape} | ${r.requests} | ${replies} | ${r.peakRssMb.toFixed(0)} | ${r.rssAfterMb.toFixed(0)} | ${r.healthy ? 'yes' : 'NO'} | ${r.seconds.toFixed(1)} |`,
    )
  }
  return lines
}
