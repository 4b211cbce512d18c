import path from 'node:path'
import SQLite from 'better-sqlite3'

/**
 * The SQLite file of a data folder, set up as the server uses it (also by the seed, the bench and the
 * reader threads of db/readers). WAL: readers never block the writer; NORMAL sync keeps every commit
 * across a process kill.
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

/** SQL text kept prepared, in bytes in all; a statement costs memory roughly in proportion to its text. */
const MAX_BYTES = 8 * 1024 * 1024
/** A text longer than this is prepared for its one use and not kept (a huge list, a hostile filter). */
const MAX_KEPT_BYTES = 64 * 1024

/**
 * Prepared statements kept by their SQL text: the engine sends the same few hundred shapes again and
 * again, and preparing one costs more than running it on a small page. Bounded by count and by the
 * bytes of the texts, so distinct shapes (id lists of every length, a client sending huge filters) can
 * neither grow the process without bound nor push the common shapes out all at once: the oldest kept
 * statements make room for a new one.
 */
export class SqliteStatements {
  private readonly cache = new Map<string, { stmt: SQLite.Statement; bytes: number }>()
  private bytes = 0
  constructor(
    readonly sqlite: SQLite.Database,
    private readonly max = 2000,
    private readonly maxBytes = MAX_BYTES,
  ) {}

  prepare(text: string): SQLite.Statement {
    const kept = this.cache.get(text)
    if (kept) return kept.stmt
    const stmt = this.sqlite.prepare(text)
    const bytes = Buffer.byteLength(text)
    if (bytes > MAX_KEPT_BYTES) return stmt
    for (const [old, entry] of this.cache) {
      if (this.cache.size < this.max && this.bytes + bytes <= this.maxBytes) break
      this.cache.delete(old)
      this.bytes -= entry.bytes
    }
    this.cache.set(text, { stmt, bytes })
    this.bytes += bytes
    return stmt
  }
}
