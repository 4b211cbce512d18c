import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import {
  CompiledQuery,
  createQueryId,
  type DatabaseConnection,
  type Driver,
  IdentifierNode,
  Kysely,
  type KyselyConfig,
  PostgresDialect,
  type QueryCompiler,
  type QueryResult,
  RawNode,
  SqliteDialect,
  type TransactionSettings,
} from 'kysely'
import pg from 'pg'
import type { AnyDb } from '../engine/model.js'

export interface Db {
  kysely: AnyDb
  dialect: 'sqlite' | 'postgres'
  /**
   * The database's data version: it differs after any committed (or pending) change by any process,
   * so a value computed after reading it stays true while it reads the same (see engine/memo).
   * SQLite: rows changed by this connection and commits of others. PostgreSQL: the snapshot
   * (xmin:xmax:in-progress), whose xmax grows with every writing transaction and whose list loses a
   * transaction only when its commit is visible.
   */
  version(): Promise<string>
  close(): Promise<void>
}

export interface DbOptions {
  databaseUrl: string | null
  dataDir: string
  poolSize?: number
  /** Kysely's query log (bench/explain times every statement with it). */
  log?: KyselyConfig['log']
}

// int8 (counts, sums in kopecks) fits a JS number well below 2^53 (§5.3 limits money to 10^12).
pg.types.setTypeParser(20, (v) => Number(v))

/**
 * better-sqlite3 behind Kysely, with two differences from Kysely's own driver:
 * - a write transaction takes the write lock when it begins (BEGIN IMMEDIATE): with several server
 *   processes (WORKERS) a writer then waits for the other (busy_timeout) instead of failing with
 *   SQLITE_BUSY when the snapshot it read from has gone stale. Read-only transactions stay deferred.
 * - prepared statements are kept by their SQL text: the engine sends the same few hundred shapes
 *   again and again, and preparing one costs more than running it on a small page.
 */
class SqliteStatements {
  private readonly cache = new Map<string, SQLite.Statement>()
  constructor(
    readonly sqlite: SQLite.Database,
    private readonly max = 2000,
  ) {}

  prepare(text: string): SQLite.Statement {
    let stmt = this.cache.get(text)
    if (!stmt) {
      stmt = this.sqlite.prepare(text)
      // Shapes beyond `max` (ids lists of every length) must not grow the cache without bound.
      if (this.cache.size >= this.max) this.cache.clear()
      this.cache.set(text, stmt)
    }
    return stmt
  }
}

class CachingSqliteConnection implements DatabaseConnection {
  constructor(private readonly statements: SqliteStatements) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.statements.prepare(compiled.sql)
    const params = compiled.parameters as unknown[]
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(params) as R[] })
    const { changes, lastInsertRowid } = stmt.run(params)
    return Promise.resolve({
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    })
  }

  // biome-ignore lint/correctness/useYield: streaming is not used; Kysely's interface requires it.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on SQLite here')
  }
}

/** One connection (SQLite has one writer), handed to one transaction or query at a time. */
class CachingSqliteDriver implements Driver {
  private readonly connection: CachingSqliteConnection
  private queue: Promise<void> = Promise.resolve()
  private release: (() => void) | null = null

  constructor(private readonly statements: SqliteStatements) {
    this.connection = new CachingSqliteConnection(statements)
  }
  async init() {}
  /** Runs `fn` on the connection when no transaction or query holds it: at once if none does. */
  async whenIdle<T>(fn: () => T): Promise<T> {
    if (this.release === null && this.waiting === 0) return fn()
    await this.acquireConnection()
    try {
      return fn()
    } finally {
      await this.releaseConnection()
    }
  }
  private waiting = 0

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue
    let release!: () => void
    this.queue = new Promise<void>((resolve) => {
      release = resolve
    })
    this.waiting++
    await previous
    this.waiting--
    this.release = release
    return this.connection
  }
  async releaseConnection() {
    const release = this.release
    this.release = null
    release?.()
  }
  async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings) {
    const begin = settings?.accessMode === 'read only' ? 'begin' : 'begin immediate'
    await connection.executeQuery(CompiledQuery.raw(begin))
  }
  async commitTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }
  async rollbackTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }
  async savepoint(c: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    await c.executeQuery(compile(parseSavepoint('savepoint', name), createQueryId()))
  }
  async rollbackToSavepoint(c: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    await c.executeQuery(compile(parseSavepoint('rollback to', name), createQueryId()))
  }
  async releaseSavepoint(c: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    await c.executeQuery(compile(parseSavepoint('release', name), createQueryId()))
  }
  async destroy() {
    this.statements.sqlite.close()
  }
}

const parseSavepoint = (command: string, name: string) =>
  RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)])

class CachingSqliteDialect extends SqliteDialect {
  readonly driver: CachingSqliteDriver
  constructor(statements: SqliteStatements) {
    super({ database: statements.sqlite })
    this.driver = new CachingSqliteDriver(statements)
  }
  override createDriver() {
    return this.driver
  }
}

/** SQLite in DATA_DIR by default, PostgreSQL when DATABASE_URL is set. */
export function connect(opts: DbOptions): Db {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 })
    // An idle client's error (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    const kysely = new Kysely({ dialect: new PostgresDialect({ pool }), log: opts.log })
    const version = async () =>
      (await pool.query<{ v: string }>('SELECT pg_current_snapshot()::text AS v')).rows[0]!.v
    return { kysely, dialect: 'postgres', version, close: () => kysely.destroy() }
  }
  fs.mkdirSync(opts.dataDir, { recursive: true })
  const sqlite = openSqlite(opts.dataDir)
  const dialect = new CachingSqliteDialect(new SqliteStatements(sqlite))
  const kysely = new Kysely({ dialect, log: opts.log })
  // Rows this connection changed (total_changes) and commits of other connections (data_version).
  const changes = sqlite.prepare('SELECT total_changes() AS c, data_version AS d FROM pragma_data_version')
  return {
    kysely,
    dialect: 'sqlite',
    // Read while holding the connection, so never inside another request's open transaction (whose
    // snapshot may predate another process's commit).
    version: () =>
      dialect.driver.whenIdle(() => {
        const r = changes.get() as { c: number; d: number }
        return `${r.c}.${r.d}`
      }),
    close: () => kysely.destroy(),
  }
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
