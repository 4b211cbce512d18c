import { parentPort, workerData } from 'node:worker_threads'
import { openSqlite, SqliteStatements } from './sqlite.js'

/**
 * One reader of db/readers: a connection of its own on the server's WAL file, set up as the writer's
 * (pragmas, lower()), refusing writes (query_only). It runs what the main thread sends, in order: a
 * statement (answered by its id), or the start or end of a read-only transaction (not answered: the
 * next statement comes after it in the same queue).
 */
export interface StatementRequest {
  id: number
  /** The number of a text sent before (db/readers `textOf`), or the one `sql` is kept under. */
  text?: number
  /** The statement's text: sent the first time, or every time when it is too long to keep. */
  sql?: string
  /** The main thread's table of texts started over: so does this one, before keeping `sql`. */
  forget?: boolean
  params: readonly unknown[]
  /** A read-only transaction begins before this statement. */
  begin?: boolean
  /** Rows as arrays of their columns' values, in the statement's order (see db/readers `ArrayRows`). */
  arrays?: boolean
}

export type ReaderRequest = StatementRequest | { tx: 'begin' | 'commit' | 'rollback' } | 'stop'

type Outcome =
  | { rows: unknown[] }
  | { changes: number; lastInsertRowid: number | bigint }
  | { error: { message: string; code?: string } }

export type ReaderReply = { id: number } & Outcome

const { dataDir } = workerData as { dataDir: string }
const sqlite = openSqlite(dataDir)
sqlite.pragma('query_only = 1')
// Each reader keeps its own page cache of the same file (16 MB by default, four readers: 64 MB of
// mostly the same pages, also in the OS's cache). 4 MB holds the upper levels of the B-trees reads
// walk; a leaf missed is a read from the OS's cache.
sqlite.pragma('cache_size = -4000')
const statements = new SqliteStatements(sqlite)
const port = parentPort!
port.postMessage('ready')

function endTransaction(how: 'commit' | 'rollback') {
  if (sqlite.inTransaction) statements.prepare(how).run()
}

function begin() {
  // A transaction left open (its end was lost with a failed statement) must not hold a snapshot.
  endTransaction('rollback')
  statements.prepare('begin').run()
}

/** Texts by the number the main thread sends for them. */
const texts = new Map<number, string>()

function textOf(m: StatementRequest): string {
  if (m.forget) texts.clear()
  if (m.sql === undefined) return texts.get(m.text!)!
  if (m.text !== undefined) texts.set(m.text, m.sql)
  return m.sql
}

function execute(sql: string, params: readonly unknown[], arrays: boolean): Outcome {
  const stmt = statements.prepare(sql)
  if (stmt.reader && arrays) {
    // Prepared statements are shared by text: raw mode is set for this run only.
    stmt.raw(true)
    try {
      return { rows: stmt.all(params) }
    } finally {
      stmt.raw(false)
    }
  }
  if (stmt.reader) return { rows: stmt.all(params) }
  const { changes, lastInsertRowid } = stmt.run(params)
  return { changes, lastInsertRowid }
}

port.on('message', (m: ReaderRequest) => {
  if (m === 'stop') {
    sqlite.close()
    port.close()
    return
  }
  if ('tx' in m) {
    try {
      if (m.tx === 'begin') begin()
      else endTransaction(m.tx)
    } catch {
      // Reported by the next statement, which then runs outside a transaction or fails itself.
    }
    return
  }
  const sql = textOf(m)
  try {
    if (m.begin) begin()
    port.postMessage({ id: m.id, ...execute(sql, m.params, m.arrays === true) })
  } catch (err) {
    const e = err as { message?: string; code?: string }
    port.postMessage({ id: m.id, error: { message: String(e.message), code: e.code } })
  }
})
