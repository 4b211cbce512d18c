import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import {
  type CompiledQuery,
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
import type { AnyDb } from '../engine/model.js'
import { checkpointInBackground } from './checkpoints.js'

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
  /** SQLite: WAL checkpoints in a worker thread instead of on commit (the server; db/checkpoints). */
  backgroundCheckpoints?: boolean
}

/** The PostgreSQL driver, loaded only when a server uses PostgreSQL (a SQLite server starts faster). */
let pgModule: typeof import('pg') | null = null
export function postgres(): typeof import('pg') {
  if (!pgModule) {
    pgModule = createRequire(import.meta.url)('pg') as typeof import('pg')
    // int8 (counts, sums in kopecks) fits a JS number well below 2^53 (§5.3 limits money to 10^12).
    pgModule.types.setTypeParser(20, (v) => Number(v))
  }
  return pgModule
}

/**
 * better-sqlite3 behind Kysely, with three differences from Kysely's own driver (the third, group
 * commit, is described at CachingSqliteDriver):
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

/** What a holder of the connection is doing: nothing yet, a read-only transaction, or a write. */
type Use = 'none' | 'read' | 'write'

/** One turn on the connection, from acquire to release; a write hands its turn on early (see below). */
class Lease implements DatabaseConnection {
  use: Use = 'none'
  released = false
  constructor(
    private readonly driver: CachingSqliteDriver,
    readonly unlock: () => void,
  ) {}
  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.run<R>(this, compiled)
  }
  // biome-ignore lint/correctness/useYield: streaming is not used; Kysely's interface requires it.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on SQLite here')
  }
}

/** Write transactions committed together: each ran in a savepoint of one BEGIN IMMEDIATE. */
interface Group {
  members: number
  done: Promise<void>
  resolve(): void
  reject(err: unknown): void
}

/** Writes per group commit: bounds how long the first one waits for its COMMIT. */
const GROUP_MAX = 64

/**
 * One connection (SQLite has one writer), handed to one transaction or query at a time, in turn.
 *
 * Group commit: a write transaction runs as a savepoint inside a BEGIN IMMEDIATE that stays open while
 * further writes are queued for the connection, so writes arriving together share one COMMIT (the
 * WAL append and the FTS5 segment flush are most of a small write's cost). A write's own failure rolls
 * back to its savepoint and touches no other; each write is answered only after the COMMIT that made
 * it durable, so an acknowledged write is never lost; if that COMMIT fails every write of the group
 * fails. Anything else that gets the connection (a read, a query outside a transaction) commits an
 * open group first, so no reader ever sees a write that is not committed.
 */
class CachingSqliteDriver implements Driver {
  private queue: Promise<void> = Promise.resolve()
  private holder: Lease | null = null
  private waiting = 0
  private group: Group | null = null
  /** Bumped when a group's COMMIT fails: rows changed by it were rolled back (see `version`). */
  epoch = 0

  constructor(readonly statements: SqliteStatements) {}
  async init() {}

  /** Runs `fn` on the connection when nothing holds it: at once if nothing does. */
  async whenIdle<T>(fn: () => T): Promise<T> {
    if (this.holder === null && this.waiting === 0 && this.group === null) return fn()
    const lease = (await this.acquireConnection()) as Lease
    try {
      await this.closeGroup()
      return fn()
    } finally {
      await this.releaseConnection(lease)
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue
    let unlock!: () => void
    this.queue = new Promise<void>((resolve) => {
      unlock = resolve
    })
    this.waiting++
    await previous
    this.waiting--
    this.holder = new Lease(this, unlock)
    return this.holder
  }

  async releaseConnection(connection: DatabaseConnection) {
    const lease = connection as Lease
    if (lease.released) return
    lease.released = true
    try {
      // A group nobody else is queued to join is committed before the connection is let go.
      if (this.waiting === 0) await this.closeGroup().catch(() => {})
    } finally {
      this.holder = null
      lease.unlock()
    }
  }

  run<R>(lease: Lease, compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (this.group && lease.use !== 'write') return this.closeGroup().then(() => this.exec<R>(compiled))
    return Promise.resolve(this.exec<R>(compiled))
  }

  private exec<R>(compiled: CompiledQuery): QueryResult<R> {
    const stmt = this.statements.prepare(compiled.sql)
    const params = compiled.parameters as unknown[]
    if (stmt.reader) return { rows: stmt.all(params) as R[] }
    const { changes, lastInsertRowid } = stmt.run(params)
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] }
  }

  private raw(text: string) {
    this.statements.prepare(text).run()
  }

  private async closeGroup(): Promise<void> {
    const group = this.group
    if (!group) return
    this.group = null
    try {
      this.raw('commit')
    } catch (err) {
      this.epoch++
      try {
        this.raw('rollback')
      } catch {}
      group.reject(err)
      throw err
    }
    group.resolve()
  }

  async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings) {
    const lease = connection as Lease
    if (settings?.accessMode === 'read only') {
      await this.closeGroup()
      this.raw('begin')
      lease.use = 'read'
      return
    }
    if (!this.group) {
      this.raw('begin immediate')
      let resolve!: () => void
      let reject!: (err: unknown) => void
      const done = new Promise<void>((res, rej) => {
        resolve = res
        reject = rej
      })
      // A group whose COMMIT nobody awaits (all its writes failed) must not be an unhandled rejection.
      done.catch(() => {})
      this.group = { members: 0, done, resolve, reject }
    }
    this.raw('savepoint w')
    this.group.members++
    lease.use = 'write'
  }

  async commitTransaction(connection: DatabaseConnection) {
    const lease = connection as Lease
    if (lease.use === 'read') {
      lease.use = 'none'
      this.raw('commit')
      return
    }
    const group = this.group!
    this.raw('release w')
    lease.use = 'none'
    if (this.waiting > 0 && group.members < GROUP_MAX) {
      // Others are queued: hand the connection on with the group open and wait for its COMMIT.
      lease.released = true
      this.holder = null
      lease.unlock()
      await group.done
      return
    }
    await this.closeGroup()
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    const lease = connection as Lease
    if (lease.use === 'read') {
      lease.use = 'none'
      this.raw('rollback')
    } else if (lease.use === 'write') {
      lease.use = 'none'
      this.raw('rollback to w')
      this.raw('release w')
    }
    // 'none': the COMMIT of its group failed; that group is already rolled back.
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
    await this.closeGroup().catch(() => {})
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
    const pool = new (postgres().Pool)({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 })
    // An idle client's error (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    const kysely = new Kysely({ dialect: new PostgresDialect({ pool }), log: opts.log })
    const version = async () =>
      (await pool.query<{ v: string }>('SELECT pg_current_snapshot()::text AS v')).rows[0]!.v
    return { kysely, dialect: 'postgres', version, close: () => kysely.destroy() }
  }
  fs.mkdirSync(opts.dataDir, { recursive: true })
  const sqlite = openSqlite(opts.dataDir)
  const stopCheckpoints = opts.backgroundCheckpoints
    ? checkpointInBackground(sqlite, path.join(opts.dataDir, 'parta.db'))
    : async () => {}
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
        return `${dialect.driver.epoch}.${r.c}.${r.d}`
      }),
    close: async () => {
      await stopCheckpoints()
      await kysely.destroy()
    },
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
