import fs from 'node:fs'
import type { RunResult } from './report.js'

/**
 * `node dist/bench/summary.js bench/results/<run>.json`: one Markdown table of a run across its
 * sizes (and process counts) — each route's req/s with its ratio to the ceiling, its p50, and the
 * time of its first request — then the start, seed and memory figures. The README's table is this.
 */
interface File {
  meta: { date: string; commit: string; cpus: number; cpu: string; loadAverageAtStart: number[] }
  runs: RunResult[]
}

const file = process.argv[2]
if (!file) {
  process.stderr.write('usage: node dist/bench/summary.js bench/results/<run>.json\n')
  process.exit(2)
}
const { meta, runs } = JSON.parse(fs.readFileSync(file, 'utf8')) as File
const label = (r: RunResult) =>
  `${r.customers >= 1_000_000 ? `${r.customers / 1_000_000}M` : `${r.customers / 1000}k`}` +
  (r.workers > 1 ? ` ×${r.workers}` : '')
const md = (cells: string[]) => `| ${cells.join(' | ')} |`
const routes = [
  ...new Set(runs.flatMap((r) => r.routes.map((x) => x.route.replace(/ page \d+$/, ' page N')))),
]
const out: string[] = []
out.push(
  `${runs[0]?.db === 'postgres' ? 'PostgreSQL' : 'SQLite'}, commit ${meta.commit}, ${meta.date.slice(0, 16)}Z, ` +
    `${meta.cpus} × ${meta.cpu}; each cell: req/s (× ceiling) · p50 ms · first request ms`,
  '',
)
out.push(md(['route', ...runs.map(label)]))
out.push(md(['---', ...runs.map(() => '---')]))
for (const name of routes) {
  const cells = runs.map((run) => {
    const r = run.routes.find((x) => x.route.replace(/ page \d+$/, ' page N') === name)
    if (!r) return '—'
    const rps = r.server.rps
    const ratio = r.ceiling.rps > 0 ? (rps / r.ceiling.rps).toFixed(2) : '—'
    const conn = r.connections === 1 && !name.endsWith('alone') ? ' [1 conn]' : ''
    return `${rps.toFixed(0)} (${ratio}) · ${r.server.p50.toFixed(0)} · ${r.firstMs.toFixed(0)}${conn}`
  })
  out.push(md([name, ...cells]))
}
out.push(md(['seed (s)', ...runs.map((r) => r.seedSeconds.toFixed(0))]))
out.push(md(['start to healthy (ms)', ...runs.map((r) => r.startToHealthyMs.toFixed(0))]))
out.push(md(['RSS after the run (MB)', ...runs.map((r) => r.rssAfterMb.toFixed(0))]))
process.stdout.write(`${out.join('\n')}\n`)
