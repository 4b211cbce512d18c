import cluster from 'node:cluster'
import { type Logger, pino } from 'pino'
import { buildApp } from './app.js'
import { bootstrap } from './auth/users.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { connect } from './db/connect.js'
import { migrate } from './db/migrate.js'
import { datetimeZone } from './fields/datetime.js'
import { models } from './models/index.js'

/** Migrates and bootstraps once, before any worker serves (§7.30); says how to log in when nobody can. */
async function prepare(config: Config, log: Logger): Promise<void> {
  const db = connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 })
  try {
    await migrate(db)
    if (await bootstrap(db.kysely, config.adminEmail, config.adminApiKey)) {
      log.info(`Empty database: created branch 1 and admin ${config.adminEmail} from ALFACRM_ADMIN_EMAIL.`)
    } else if (!(await db.kysely.selectFrom('users').select('id').limit(1).executeTakeFirst())) {
      log.warn(NO_USERS)
    }
  } finally {
    await db.close()
  }
}

const NO_USERS =
  'No user can log in yet: the database has no users. Create the first administrator with ' +
  '`npm run cli -- user create --email you@school.example --role admin` (it prints the API key once), ' +
  'or start once with ALFACRM_ADMIN_EMAIL and ALFACRM_ADMIN_API_KEY set.'

/**
 * A database the server cannot use: one clear line saying what to do, never a stack trace. Null for
 * anything else (a bug), which is reported whole.
 */
function databaseProblem(e: unknown, config: Config): string | null {
  const err = e as { code?: string; message?: string } | null
  if (!config.databaseUrl || !err?.code) return null
  const url = new URL(config.databaseUrl)
  const where = `${url.hostname}:${url.port || '5432'}`
  const name = decodeURIComponent(url.pathname.slice(1))
  switch (err.code) {
    case '3D000':
      return `DATABASE_URL: database "${name}" does not exist on ${where}; create it first (createdb -h ${url.hostname} -p ${url.port || '5432'} -U ${url.username || 'postgres'} ${name})`
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return `DATABASE_URL: cannot reach PostgreSQL at ${where} (${err.code}); is the server running?`
    case '28P01':
    case '28000':
      return `DATABASE_URL: PostgreSQL refused the login on ${where}: ${err.message}`
    default:
      return null
  }
}

async function serve(config: Config): Promise<void> {
  const db = connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    backgroundCheckpoints: true,
    readers: config.sqliteReaders,
    statementTimeoutMs: config.statementTimeoutMs,
  })
  const app = await buildApp({ config, db, models })
  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    // Stop accepting, let in-flight requests finish (bounded), then close the database.
    const timer = setTimeout(() => process.exit(1), 10_000)
    timer.unref()
    await app.close()
    await db.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  await app.listen({ port: config.port, host: config.host })
}

async function main(): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`)
      process.exit(2)
    }
    throw e
  }
  datetimeZone.tz = config.tz
  const log = pino({ level: config.logLevel })
  if (cluster.isPrimary) {
    try {
      await prepare(config, log)
    } catch (e) {
      const problem = databaseProblem(e, config)
      if (!problem) throw e
      process.stderr.write(`${problem}\n`)
      process.exit(1)
    }
  }
  // WORKERS > 1 runs several processes on one port; sensible on PostgreSQL (SQLite has one writer).
  if (cluster.isPrimary && config.workers > 1) {
    for (let i = 0; i < config.workers; i++) cluster.fork()
    let stopping = false
    cluster.on('exit', (worker, code) => {
      // A worker that dies is replaced, but not while the whole server shuts down.
      if (!stopping && code !== 0 && !worker.exitedAfterDisconnect) cluster.fork()
    })
    const stop = () => {
      stopping = true
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    return
  }
  await serve(config)
}

main().catch((e: unknown) => {
  process.stderr.write(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exit(1)
})
