import { parseArgs } from 'node:util'
import type { LogEvent } from 'kysely'
import pg from 'pg'
import { loadConfig } from '../src/config.js'
import { connect, type Db, openSqlite } from '../src/db/connect.js'
import { datetimeZone } from '../src/fields/datetime.js'
import { ADMIN, prepareFixtures } from './fixtures.js'
import { inProcess } from './in-process.js'
import { routes } from './routes.js'

/**
 * `node dist/bench/explain.js` on a seeded database (DATA_DIR or DATABASE_URL, e.g. one kept by
 * `npm run bench -- --keep`): runs each bench route once in-process (its first request, so nothing
 * is answered from what earlier requests kept), and prints the SQL it sent with
 * the time of each statement, and the plan of the slowest ones (EXPLAIN QUERY PLAN on SQLite,
 * EXPLAIN ANALYZE on PostgreSQL) — where a route's time goes, for whoever makes it faster.
 */
interface Query {
  sql: string
  parameters: readonly unknown[]
  ms: number
}

/** The server's connection (src/db/connect.ts) with a statement log, and a second one for plans. */
function tracedDb(
  config: ReturnType<typeof loadConfig>,
  seen: Query[],
): Db & { raw: (q: Query) => Promise<string[]> } {
  const log = (e: LogEvent) => {
    seen.push({ sql: e.query.sql, parameters: e.query.parameters, ms: e.queryDurationMillis })
  }
  const db = connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, log })
  if (config.databaseUrl) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 })
    const raw = async (q: Query) => {
      const c = await pool.connect()
      try {
        await c.query('BEGIN')
        const r = await c.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.parameters as unknown[])
        return r.rows.map((row: Record<string, string>) => row['QUERY PLAN'] ?? '')
      } finally {
        await c.query('ROLLBACK')
        c.release()
      }
    }
    const close = async () => {
      await db.close()
      await pool.end()
    }
    return { ...db, raw, close }
  }
  const sqlite = openSqlite(config.dataDir)
  const raw = async (q: Query) => {
    const rows = sqlite.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])) as Array<{
      id: number
      parent: number
      detail: string
    }>
    const depth = new Map<number, number>([[0, 0]])
    return rows.map((r) => {
      const d = (depth.get(r.parent) ?? 0) + 1
      depth.set(r.id, d)
      return `${'  '.repeat(d - 1)}${r.detail}`
    })
  }
  const close = async () => {
    await db.close()
    sqlite.close()
  }
  return { ...db, raw, close }
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: { routes: { type: 'string' }, top: { type: 'string', default: '3' } },
  })
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' })
  datetimeZone.tz = config.tz
  const facts = await prepareFixtures(
    { databaseUrl: config.databaseUrl, dataDir: config.dataDir },
    config.tz,
    5,
  )
  const seen: Query[] = []
  const db = tracedDb(config, seen)
  const { app, call, total } = await inProcess(config, db)
  const only = v.routes ? v.routes.split(',') : []
  for (const route of routes({ facts, admin: ADMIN, total, name: 'Соколов' })) {
    if (only.length > 0 && !only.some((o) => route.name.startsWith(o))) continue
    const request = (i: number) => (route.next ? route.next(i) : { path: route.path, body: route.body })
    // The first request of each route: nothing kept from an identical earlier one (src/db/memo.ts),
    // so every statement the route needs is sent and timed.
    seen.length = 0
    const started = performance.now()
    const r = await call(request(0).path, request(0).body)
    const ms = performance.now() - started
    const sqlMs = seen.reduce((s, q) => s + q.ms, 0)
    process.stdout.write(
      `\n### ${route.name}: ${r.statusCode}, ${ms.toFixed(1)} ms in all, ${seen.length} statements taking ${sqlMs.toFixed(1)} ms\n`,
    )
    const slowest = [...seen].sort((a, b) => b.ms - a.ms)
    for (const [i, q] of slowest.entries()) {
      if (i >= 8) break
      process.stdout.write(`${q.ms.toFixed(2).padStart(8)} ms  ${q.sql.replace(/\s+/g, ' ').slice(0, 400)}\n`)
      if (q.parameters.length > 0)
        process.stdout.write(`             params ${JSON.stringify(q.parameters).slice(0, 200)}\n`)
      if (i < Number(v.top) && /^\s*select/i.test(q.sql)) {
        for (const line of await db.raw(q)) process.stdout.write(`             | ${line}\n`)
      }
    }
  }
  await app.close()
  await db.close()
}

main().catch((e: unknown) => {
  process.stderr.write(`explain: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exit(1)
})
