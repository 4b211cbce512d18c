import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.js'
import { connect } from '../src/db/connect.js'
import { datetimeZone } from '../src/fields/datetime.js'
import { prepareFixtures } from './fixtures.js'
import { inProcess } from './in-process.js'
import { readOf } from './traffic.js'

/**
 * `node dist/bench/tail.js` on a seeded database (DATA_DIR or DATABASE_URL): which reads make the tail
 * of the traffic scenarios. Sends reads 0…N−1 of a kind (`--kind varied`: the very requests the
 * traffic bench sends) to an in-process server one at a time, nothing else running, then prints the
 * latency percentiles and the slowest reads with their body, total and slowest statement — the reads
 * to look at with `bench/explain.ts`, or in SQL.
 */
const KINDS = ['page', 'search', 'filters', 'varied'] as const

const USAGE = `usage: DATA_DIR=<dir> (or DATABASE_URL=<url>) node dist/bench/tail.js [options]
  --kind K   ${KINDS.join(' | ')} (default varied)
  --reads N  reads sent, 1 or more (default 400)
  --top N    slowest reads printed, 0 or more (default 15)
`

/** Refusals of the command line: the usage is printed with them, not a stack. */
class UsageError extends Error {}

function count(name: string, text: string, min: number): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number ≥ ${min}, not "${text}"`)
  return n
}

function options() {
  try {
    const { values: v } = parseArgs({
      options: {
        kind: { type: 'string', default: 'varied' },
        reads: { type: 'string', default: '400' },
        top: { type: 'string', default: '15' },
      },
    })
    const kind = KINDS.find((k) => k === v.kind)
    if (!kind) throw new UsageError(`--kind is one of ${KINDS.join(', ')}, not "${v.kind}"`)
    return { kind, reads: count('reads', v.reads, 1), top: count('top', v.top, 0) }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      throw new UsageError(`${(e as Error).message}\n${USAGE}`)
    throw e
  }
}

async function main(): Promise<void> {
  const { kind, reads, top: shown } = options()
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' })
  datetimeZone.tz = config.tz
  const target = { databaseUrl: config.databaseUrl, dataDir: config.dataDir }
  const facts = await prepareFixtures(target, config.tz, 5)
  let statements: Array<{ sql: string; ms: number }> = []
  const db = connect({
    ...target,
    poolSize: 4,
    readers: config.sqliteReaders,
    log: (e) => {
      statements.push({ sql: e.query.sql, ms: e.queryDurationMillis })
    },
  })
  const { app, call, total } = await inProcess(config, db)
  const seen: Array<{ ms: number; body: unknown; total: unknown; slowest: string }> = []
  for (let i = 0; i < reads; i++) {
    const body = readOf(kind, { facts, total }, i)
    statements = []
    const started = performance.now()
    const reply = JSON.parse((await call('/v2api/1/customer/index', JSON.stringify(body))).body)
    const ms = performance.now() - started
    const top = statements.sort((a, b) => b.ms - a.ms)[0]
    const slowest = top ? `${top.ms.toFixed(1)} ms ${top.sql.replace(/\s+/g, ' ').slice(0, 100)}` : ''
    seen.push({ ms, body, total: reply.total, slowest })
  }
  const sorted = seen.map((s) => s.ms).sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1)
  process.stdout.write(
    `${reads} ${kind} reads one at a time: p50 ${at(0.5)} · p90 ${at(0.9)} · p99 ${at(0.99)} ms\n`,
  )
  for (const s of seen.sort((a, b) => b.ms - a.ms).slice(0, shown)) {
    const line = `${s.ms.toFixed(0).padStart(6)} ms  ${JSON.stringify(s.body)}  total ${s.total}\n${' '.repeat(10)}${s.slowest}\n`
    process.stdout.write(line)
  }
  await app.close()
  await db.close()
}

main().catch((e: unknown) => {
  const text = e instanceof UsageError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)
  process.stderr.write(`tail: ${text}\n`)
  process.exit(1)
})
