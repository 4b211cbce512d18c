import { parentPort, workerData } from 'node:worker_threads'
import { openSqlite, SqliteStatements } from './sqlite.js'

/**
 * One reader of db/readers: a connection of its own on the server's WAL file, set up as the writer's
 * (pragmas, lower()), refusing writes (query_only). It runs what the main thread sends, in order: a
 * statement (answered by its id), or the start or end of a read-only transaction (not answered: the
 * next statement comes after it in the same queue).
 */
export type ReaderRequest =
  | { id: number; sql: string; params: readonly unknown[] }
  | { tx: 'begin' | 'commit' | 'rollback' }
  | 'stop'

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

function execute(sql: string, params: readonly unknown[]): Outcome {
  const stmt = statements.prepare(sql)
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
      // A transaction left open (its end was lost with a failed statement) must not hold a snapshot.
      if (m.tx === 'begin') {
        endTransaction('rollback')
        statements.prepare('begin').run()
      } else endTransaction(m.tx)
    } catch {
      // Reported by the next statement, which then runs outside a transaction or fails itself.
    }
    return
  }
  try {
    port.postMessage({ id: m.id, ...execute(m.sql, m.params) })
  } catch (err) {
    const e = err as { message?: string; code?: string }
    port.postMessage({ id: m.id, error: { message: String(e.message), code: e.code } })
  }
})
