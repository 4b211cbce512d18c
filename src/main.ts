import cluster from 'node:cluster'
import { buildApp } from './app.js'
import { bootstrap } from './auth/users.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { connect } from './db/connect.js'
import { migrate } from './db/migrate.js'
import { datetimeZone } from './fields/datetime.js'
import { models } from './models/index.js'

/** Migrates and bootstraps once, before any worker serves (§7.30). */
async function prepare(config: Config): Promise<void> {
  const db = connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 })
  try {
    await migrate(db)
    await bootstrap(db.kysely, config.adminEmail, config.adminApiKey)
  } finally {
    await db.close()
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
  if (cluster.isPrimary) await prepare(config)
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
