import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
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
import { type Reader, ReaderPool } from './readers.js'
import { openSqlite, SqliteStatements } from './sqlite.js'

export interface Db {
  kysely: AnyDb
  dialect: 'sqlite' | 'postgres'
  /**
   * The database's data version: it differs after any committed change by any process, so a value
   * computed after reading it stays true while it reads the same (see db/memo). It never waits for
   * other requests. SQLite: commits of this process's writer and of other connections (`data_version`).
   * PostgreSQL: the snapshot
   * (xmin:xmax:in-progress), whose xmax grows with every writing transaction and whose list loses a
   * transaction only when its commit is visible.
   */
  version(): Promise<string>
  /**
   * A version of what authentication reads (users, their tokens, branches), kept by the same rule:
   * it differs after any committed change of those tables, and after any commit by another process.
   * SQLite: this process's writer counts the commits that wrote them, so the token user and the
   * branches of a request survive the commits of other writes (a stream of creates). PostgreSQL: the
   * data version.
   */
  authVersion(): Promise<string>
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
  /** SQLite: reader threads for reads (the server; db/readers); none: reads take turns on the writer. */
  readers?: number
  /** A statement running longer is stopped with a clear error (`tooSlow`); 0 or absent: no limit. */
  statementTimeoutMs?: number
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

/** What a holder of a connection is doing: nothing yet, a read-only transaction, or a write. */
type Use = 'none' | 'read' | 'write'

/**
 * One user of the database, from acquire to release. It takes nothing when acquired: a read-only
 * transaction or a plain SELECT then gets a reader thread (db/readers), anything else a turn on the
 * writer connection; a write hands its turn on early (see below).
 */
class Lease implements DatabaseConnection {
  use: Use = 'none'
  released = false
  /** Set while it holds the writer: lets the next in the queue go. */
  unlock: (() => void) | null = null
  reader: Reader | null = null
  /** Its write opened the group and runs without a savepoint of its own (see `beginTransaction`). */
  first = false
  constructor(private readonly driver: CachingSqliteDriver) {}
  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.run<R>(this, compiled)
  }
  // biome-ignore lint/correctness/useYield: streaming is not used; Kysely's interface requires it.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on SQLite here')
  }
}

/**
 * Write transactions committed together in one BEGIN IMMEDIATE: the first runs in it directly, each
 * later one in a savepoint.
 */
interface Group {
  members: number
  /** A write of the group wrote users, tokens or branches (or may have: see `AUTH_TABLES`). */
  auth: boolean
  done: Promise<void>
  resolve(): void
  reject(err: unknown): void
}

/** Writes per group commit: bounds how long the first one waits for its COMMIT. */
const GROUP_MAX = 64

/**
 * Statements that may change what authentication reads: any writing statement naming those tables. A
 * false match only drops kept token users early; no trigger of another table writes them.
 */
const AUTH_TABLES = /\b(users|tokens|branches)\b/i

/**
 * better-sqlite3 behind Kysely. The writer is one connection (SQLite has one writer), handed to one
 * write transaction or statement at a time, in turn; reads go to reader threads when there are any
 * (db/readers), else take their turn on the writer too. Differences from Kysely's own driver:
 * - a write transaction takes the write lock when it begins (BEGIN IMMEDIATE): with several server
 *   processes (WORKERS) a writer then waits for the other (busy_timeout) instead of failing with
 *   SQLITE_BUSY when the snapshot it read from has gone stale. Read-only transactions stay deferred.
 * - prepared statements are kept by their SQL text (db/sqlite `SqliteStatements`).
 * - group commit: a write transaction runs inside a BEGIN IMMEDIATE that stays open while further
 *   writes are queued for the writer (or arrive within one turn of the event loop), so writes arriving
 *   together share one COMMIT (the WAL append and the FTS5 segment flush are most of a small write's
 *   cost). The write that opens the group runs in it directly and rolls the whole of it back on
 *   failure (nothing else is in it yet); each later one runs in a savepoint, so its failure rolls back
 *   to that savepoint and touches no other. Each write is answered only after the COMMIT
 *   that made it durable, so an acknowledged write is never lost; if that COMMIT fails every write of
 *   the group fails. Anything else that gets the writer (a statement outside a transaction) commits an
 *   open group first, and readers on their own connections see only committed data.
 */
class CachingSqliteDriver implements Driver {
  private queue: Promise<void> = Promise.resolve()
  private holder: Lease | null = null
  private waiting = 0
  group: Group | null = null
  /**
   * Bumped after every COMMIT of the writer (a group's, or a statement's outside a transaction) and
   * after a failed one, in the same tick: with `data_version` it makes the data version (`version`).
   */
  commits = 0
  /** Bumped, like `commits`, after a COMMIT that wrote users, tokens or branches (`Db.authVersion`). */
  authCommits = 0

  constructor(
    readonly statements: SqliteStatements,
    private readonly readers: ReaderPool | null,
  ) {}
  async init() {}

  /** Runs `fn` when nothing holds the writer: at once if nothing does. */
  async whenIdle<T>(fn: () => T): Promise<T> {
    if (this.holder === null && this.waiting === 0 && this.group === null) return fn()
    const lease = new Lease(this)
    await this.takeTurn(lease)
    try {
      await this.closeGroup()
      return fn()
    } finally {
      await this.releaseConnection(lease)
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this)
  }

  /** Waits for the writer, in turn. */
  private async takeTurn(lease: Lease) {
    const previous = this.queue
    this.queue = new Promise<void>((resolve) => {
      lease.unlock = resolve
    })
    this.waiting++
    await previous
    this.waiting--
    this.holder = lease
  }

  async releaseConnection(connection: DatabaseConnection) {
    const lease = connection as Lease
    if (lease.released) return
    lease.released = true
    if (lease.reader) {
      this.readers!.release(lease.reader)
      lease.reader = null
    }
    if (!lease.unlock) return
    try {
      // A group nobody else is queued to join is committed before the writer is let go.
      if (this.waiting === 0) await this.closeGroup().catch(() => {})
    } finally {
      this.holder = null
      lease.unlock()
    }
  }

  async run<R>(lease: Lease, compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (lease.reader) return this.readers!.run<R>(lease.reader, compiled)
    // A SELECT outside a transaction (auth, health) reads committed data on a reader.
    if (lease.use === 'none' && this.readers && compiled.query.kind === 'SelectQueryNode')
      return this.readers.once<R>(compiled)
    if (!lease.unlock) await this.takeTurn(lease)
    if (this.group && lease.use !== 'write') await this.closeGroup()
    return this.exec<R>(lease, compiled)
  }

  private exec<R>(lease: Lease, compiled: CompiledQuery): QueryResult<R> {
    const stmt = this.statements.prepare(compiled.sql)
    const params = compiled.parameters as unknown[]
    try {
      if (stmt.reader) return { rows: stmt.all(params) as R[] }
      const { changes, lastInsertRowid } = stmt.run(params)
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] }
    } finally {
      if (!stmt.readonly) {
        const auth = AUTH_TABLES.test(compiled.sql)
        // Outside a transaction a writing statement committed itself (or failed, maybe half done).
        if (lease.use === 'none' && !this.statements.sqlite.inTransaction) {
          this.commits++
          if (auth) this.authCommits++
        } else if (auth) {
          if (this.group) this.group.auth = true
          // A read-only transaction does not write; anything else in a transaction ends up in a COMMIT.
          else this.pendingAuth = true
        }
      }
    }
  }

  /** A statement naming an auth table ran in a transaction that is not a write group (none does). */
  private pendingAuth = false

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
      try {
        this.raw('rollback')
      } catch {}
      this.committed(group)
      group.reject(err)
      throw err
    }
    this.committed(group)
    group.resolve()
  }

  private committed(group: Group) {
    this.commits++
    if (group.auth || this.pendingAuth) this.authCommits++
    this.pendingAuth = false
  }

  async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings) {
    const lease = connection as Lease
    if (settings?.accessMode === 'read only' && this.readers) {
      lease.reader = await this.readers.acquire()
      this.readers.transaction(lease.reader, 'begin')
      lease.use = 'read'
      return
    }
    if (!lease.unlock) await this.takeTurn(lease)
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
      this.group = { members: 0, auth: false, done, resolve, reject }
      // The write that opens the group is alone in it until it ends, so its failure may roll back the
      // whole transaction: it needs no savepoint. A savepoint copies every page the write changes to
      // a sub-journal first (to a temporary file past 64 KB: a conducted lesson changes ~100 pages),
      // which made a write alone cost about twice as much.
      lease.first = true
    } else this.raw('savepoint w')
    this.group.members++
    lease.use = 'write'
  }

  async commitTransaction(connection: DatabaseConnection) {
    const lease = connection as Lease
    if (lease.use === 'read') {
      lease.use = 'none'
      if (lease.reader) this.readers!.transaction(lease.reader, 'commit')
      else this.raw('commit')
      return
    }
    const group = this.group!
    if (!lease.first) this.raw('release w')
    lease.use = 'none'
    if (group.members >= GROUP_MAX) return this.closeGroup()
    // Hand the writer on with the group open and wait for its COMMIT. Others queued join at once; with
    // nobody queued the COMMIT waits one turn of the event loop, so that writes whose requests are on
    // their way (their sockets already read) join it too: under concurrent writes each write would
    // otherwise commit alone, and the COMMIT is most of a small write's cost.
    lease.released = true
    this.holder = null
    lease.unlock!()
    if (this.waiting === 0) setImmediate(() => this.closeIdleGroup(group))
    await group.done
  }

  /**
   * Commits `group` if it is still open and nothing holds or awaits the writer. Otherwise whoever does
   * commits it: a write of the group when it ends (here or in `releaseConnection`), anything else
   * before it runs (`run`, `beginTransaction`, `whenIdle`).
   */
  private closeIdleGroup(group: Group) {
    if (this.group !== group || this.holder !== null || this.waiting > 0) return
    this.closeGroup().catch(() => {})
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    const lease = connection as Lease
    if (lease.use === 'read') {
      lease.use = 'none'
      if (lease.reader) this.readers!.transaction(lease.reader, 'rollback')
      else this.raw('rollback')
    } else if (lease.use === 'write') {
      lease.use = 'none'
      if (lease.first) this.rollbackGroup()
      else {
        this.raw('rollback to w')
        this.raw('release w')
      }
    }
    // 'none': the COMMIT of its group failed; that group is already rolled back.
  }

  /** Rolls back the group its first write opened, that write still alone in it (nobody awaits it). */
  private rollbackGroup() {
    const group = this.group!
    this.group = null
    try {
      // Some errors (a full disk) have rolled the transaction back already.
      if (this.statements.sqlite.inTransaction) this.raw('rollback')
    } finally {
      this.committed(group)
      group.resolve()
    }
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
    await this.readers?.close()
    this.statements.sqlite.close()
  }
}

const parseSavepoint = (command: string, name: string) =>
  RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)])

class CachingSqliteDialect extends SqliteDialect {
  readonly driver: CachingSqliteDriver
  constructor(statements: SqliteStatements, readers: ReaderPool | null) {
    super({ database: statements.sqlite })
    this.driver = new CachingSqliteDriver(statements, readers)
  }
  override createDriver() {
    return this.driver
  }
}

/** SQLite in DATA_DIR by default, PostgreSQL when DATABASE_URL is set. */
export function connect(opts: DbOptions): Db {
  const timeoutMs = opts.statementTimeoutMs ?? 0
  if (opts.databaseUrl) {
    const pool = new (postgres().Pool)({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      // The server stops a statement over the limit itself (SQLSTATE 57014, db/sql-errors).
      ...(timeoutMs > 0 ? { statement_timeout: timeoutMs } : {}),
    })
    // An idle client's error (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    const kysely = new Kysely({ dialect: new PostgresDialect({ pool }), log: opts.log })
    const version = async () =>
      (await pool.query<{ v: string }>('SELECT pg_current_snapshot()::text AS v')).rows[0]!.v
    return { kysely, dialect: 'postgres', version, authVersion: version, close: () => kysely.destroy() }
  }
  fs.mkdirSync(opts.dataDir, { recursive: true })
  const sqlite = openSqlite(opts.dataDir)
  // With reader threads the writer runs writes only, and a write's statement journal (the pages its
  // statement changes, kept in case the statement fails midway) is bounded by what one write changes.
  // SQLite spills a statement journal past 64 KB to a temporary file, and a customer's branch link
  // already changes ~16 pages (its triggers' kept counts): kept in memory instead, that insert costs
  // 67–76 µs instead of 117–120 µs (a pay or a conduct likewise). Reads, whose sorts can be as large
  // as a filter makes them, stay on the readers with SQLite's default.
  if (opts.readers) sqlite.pragma('temp_store = MEMORY')
  const stopCheckpoints = opts.backgroundCheckpoints
    ? checkpointInBackground(sqlite, path.join(opts.dataDir, 'parta.db'))
    : async () => {}
  const readers = opts.readers
    ? new ReaderPool({ dataDir: opts.dataDir, size: opts.readers, timeoutMs })
    : null
  const dialect = new CachingSqliteDialect(new SqliteStatements(sqlite), readers)
  const { driver } = dialect
  const kysely = new Kysely({ dialect, log: opts.log })
  // Commits of other connections (other processes); this connection's own are `driver.commits`.
  const others = sqlite.prepare('SELECT data_version AS d FROM pragma_data_version').pluck()
  const read = () => `${driver.commits}.${others.get() as number}`
  const readAuth = () => `${driver.authCommits}.${others.get() as number}`
  // Without waiting for the writer, but see `version` below.
  const when = <T>(fn: () => T): T | Promise<T> =>
    sqlite.inTransaction && driver.group === null ? driver.whenIdle(fn) : fn()
  return {
    kysely,
    dialect: 'sqlite',
    // Without waiting for the writer. Inside the writer's open write group data_version is exact (the
    // group holds the write lock, so no other process commits meanwhile) and `commits` moves only after
    // its COMMIT. Only a read-only transaction on the writer (no readers) may hold a snapshot older than
    // another process's commit, so then the version waits until the writer is free.
    version: async () => when(read),
    authVersion: async () => when(readAuth),
    close: async () => {
      await stopCheckpoints()
      await kysely.destroy()
    },
  }
}

export { openSqlite, registerUnicodeLower } from './sqlite.js'
