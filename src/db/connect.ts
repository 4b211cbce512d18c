import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type TransactionSettings,
} from 'kysely'
import pg from 'pg'
import type { AnyDb } from '../engine/model.js'

export interface Db {
  kysely: AnyDb
  dialect: 'sqlite' | 'postgres'
  close(): Promise<void>
}

export interface DbOptions {
  databaseUrl: string | null
  dataDir: string
  poolSize?: number
}

// int8 (counts, sums in kopecks) fits a JS number well below 2^53 (§5.3 limits money to 10^12).
pg.types.setTypeParser(20, (v) => Number(v))

/**
 * A SQLite write transaction takes the write lock when it begins (BEGIN IMMEDIATE): with several server
 * processes (WORKERS) a writer then waits for the other (busy_timeout) instead of failing with
 * SQLITE_BUSY when the snapshot it read from has gone stale. Read-only transactions stay deferred.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings) {
    const begin = settings?.accessMode === 'read only' ? 'begin' : 'begin immediate'
    await connection.executeQuery(CompiledQuery.raw(begin))
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings)
  }
  override createDriver() {
    return new ImmediateSqliteDriver(this.settings)
  }
}

/** SQLite in DATA_DIR by default, PostgreSQL when DATABASE_URL is set. */
export function connect(opts: DbOptions): Db {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 })
    // An idle client's error (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    const kysely = new Kysely({ dialect: new PostgresDialect({ pool }) })
    return { kysely, dialect: 'postgres', close: () => kysely.destroy() }
  }
  fs.mkdirSync(opts.dataDir, { recursive: true })
  const sqlite = openSqlite(opts.dataDir)
  const kysely = new Kysely({ dialect: new ImmediateSqliteDialect({ database: sqlite }) })
  return { kysely, dialect: 'sqlite', close: () => kysely.destroy() }
}

/**
 * The SQLite file of a data folder, set up as the server uses it (also by the seed and the bench).
 * WAL: readers never block the writer; NORMAL sync keeps every commit across a process kill.
 */
export function openSqlite(dataDir: string): SQLite.Database {
  const sqlite = new SQLite(path.join(dataDir, 'parta.db'))
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('busy_timeout = 10000')
  sqlite.pragma('foreign_keys = OFF')
  registerUnicodeLower(sqlite)
  return sqlite
}

/** SQLite's lower() folds ASCII only; PostgreSQL's folds Cyrillic. Same behaviour on both (§4.5). */
export function registerUnicodeLower(sqlite: SQLite.Database): void {
  sqlite.function('lower', { deterministic: true }, (s: unknown) =>
    typeof s === 'string' ? s.toLowerCase() : s,
  )
}
