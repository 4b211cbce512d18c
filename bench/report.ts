import type { Measured } from './load.js'

/** The table a bench run prints, and the JSON it writes under bench/results/. */
export interface RouteResult {
  route: string
  bytes: number
  /** Connections of the server's measurement: 1 for a route slower than half a second. */
  connections: number
  /** The first request's time alone, before any warm-up: nothing kept from an earlier identical one. */
  firstMs: number
  server: Measured & { rssMb: number }
  ceiling: Measured & { rssMb: number }
  /** Requests of a route that had to repeat its inputs (the conduct pool ran out). */
  wrapped?: number
}

export interface RunResult {
  db: 'sqlite' | 'postgres'
  customers: number
  workers: number
  seedSeconds: number
  seedRows: Record<string, number>
  startToHealthyMs: number
  rssAfterMb: number
  routes: RouteResult[]
  /** The production-like scenarios (bench/traffic.ts), when run. */
  traffic?: import('./traffic.js').TrafficResult[]
  afterWrites?: import('./traffic.js').AfterWrite[]
}

const n = (v: number, digits = 0) => v.toFixed(digits)
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '—')

function cells(r: RouteResult): string[] {
  const s = r.server
  const c = r.ceiling
  const failed = s.non2xx + s.errors
  return [
    r.connections === 1 ? `${r.route} [1 conn]` : r.route,
    `${n(s.rps)} (${ratio(s.rps, c.rps)})`,
    `${n(s.p50, 1)} (${ratio(s.p50, c.p50)})`,
    `${n(s.p99, 1)} (${ratio(s.p99, c.p99)})`,
    `${n(s.rssMb)} (${ratio(s.rssMb, c.rssMb)})`,
    n(r.firstMs, 1),
    n(c.rps),
    String(r.bytes),
    failed > 0 ? `${failed} failed` : '',
  ]
}

const HEAD = [
  'route',
  'req/s (×ceil)',
  'p50 ms (×ceil)',
  'p99 ms (×ceil)',
  'RSS MB (×ceil)',
  'first ms',
  'ceil req/s',
  'bytes',
  '',
]

export function title(run: Omit<RunResult, 'routes'>): string {
  const db = run.db === 'sqlite' ? 'SQLite' : 'PostgreSQL'
  const procs = run.workers === 1 ? '1 process' : `${run.workers} processes`
  return (
    `${db}, ${run.customers} customers, ${procs}: seeded in ${n(run.seedSeconds, 1)} s, ` +
    `start to healthy ${n(run.startToHealthyMs)} ms`
  )
}

export function table(rows: RouteResult[]): string[] {
  return aligned(HEAD, rows.map(cells))
}

/** A text table: the first column left-aligned, the others right-aligned, two spaces between. */
export function aligned(head: string[], rows: string[][]): string[] {
  const all = [head, ...rows]
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  return all.map((r) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  )
}

/** A Markdown table of one run, for the README and notes. */
export function markdown(run: RunResult): string[] {
  const md = (r: string[]) => `| ${r.join(' | ')} |`
  return [
    md(HEAD.slice(0, -1)),
    md(HEAD.slice(0, -1).map(() => '---')),
    ...run.routes.map((r) => md(cells(r).slice(0, -1))),
  ]
}
