import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import {
  BackupError,
  type BackupResult,
  copyWithProgress,
  discard,
  MIGRATIONS_TABLE,
  type OnProgress,
  partialName,
  publish,
  type RestoreResult,
  requireKind,
  writeAtomically,
} from './backup.js'
import { connect } from './connect.js'
import { migrate } from './migrate.js'

/** Pages copied per step of the online backup (1 MiB at the default page size): the progress tick. */
const PAGES_PER_STEP = 256

/** The database file of a data folder (db/connect's openSqlite). */
export const sqliteFile = (dataDir: string) => path.join(dataDir, 'parta.db')

const seconds = (since: number) => (performance.now() - since) / 1000

/**
 * Copies the live database with SQLite's online backup API while the server keeps serving. The whole
 * copy reads one snapshot: a read transaction held across the steps means the server's commits (to the
 * WAL) neither tear the copy nor make SQLite restart it, however busy the server is.
 */
export async function backupSqlite(
  dataDir: string,
  file: string,
  onProgress: OnProgress,
): Promise<BackupResult> {
  const started = performance.now()
  const source = sqliteFile(dataDir)
  if (path.resolve(file) === source) throw new BackupError('--to names the live database itself')
  const db = openExisting(source)
  try {
    db.pragma('busy_timeout = 10000')
    if (!isParta(db))
      throw new BackupError(`${source} is not a Parta database (no ${MIGRATIONS_TABLE} table)`)
    await writeAtomically(file, async (partial) => {
      db.exec('BEGIN')
      try {
        db.prepare('SELECT count(*) FROM sqlite_schema').get()
        const { totalPages } = await db.backup(partial, {
          progress: ({ totalPages, remainingPages }) => {
            onProgress(totalPages - remainingPages, totalPages, 'pages')
            return PAGES_PER_STEP
          },
        })
        onProgress(totalPages, totalPages, 'pages')
      } finally {
        db.exec('COMMIT')
      }
      seal(partial, file)
    })
  } finally {
    db.close()
  }
  return { kind: 'sqlite', file, bytes: fs.statSync(file).size, seconds: seconds(started) }
}

/**
 * Puts a backup in place of DATA_DIR/parta.db (the server must be stopped), then migrates it, so a
 * backup of an older version serves a newer server. A target with data is replaced only with
 * `force`; it is replaced in one rename, once the copy beside it is checked.
 */
export async function restoreSqlite(
  dataDir: string,
  file: string,
  force: boolean,
  onProgress: OnProgress,
): Promise<RestoreResult> {
  const started = performance.now()
  requireKind(file, 'sqlite')
  const target = sqliteFile(dataDir)
  if (path.resolve(file) === target) throw new BackupError('--from names the live database itself')
  fs.mkdirSync(dataDir, { recursive: true })
  releaseTarget(target, force)
  const partial = partialName(target)
  try {
    const bytes = copyWithProgress(file, partial, onProgress)
    seal(partial, file)
    // A WAL left by the replaced database would be replayed into the restored one: remove it first.
    for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${target}${suffix}`, { force: true })
    publish(partial, target)
    const db = connect({ databaseUrl: null, dataDir })
    try {
      const migrated = await migrate(db)
      return { kind: 'sqlite', file, target, bytes, seconds: seconds(started), migrated }
    } finally {
      await db.close()
    }
  } finally {
    discard(partial)
  }
}

function openExisting(file: string): SQLite.Database {
  try {
    return new SQLite(file, { fileMustExist: true })
  } catch {
    throw new BackupError(`no database at ${file} (is DATA_DIR right?)`)
  }
}

const isParta = (db: SQLite.Database) =>
  db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE) !==
  undefined

/**
 * Makes a copy one self-contained file (rollback journal, not WAL: nothing beside it is needed) and
 * checks it is a sound Parta database. `origin` names it in messages.
 */
function seal(copy: string, origin: string): void {
  let db: SQLite.Database
  try {
    db = new SQLite(copy, { fileMustExist: true })
  } catch (e) {
    throw new BackupError(`${origin} cannot be opened as SQLite: ${(e as Error).message}`)
  }
  try {
    db.pragma('journal_mode = DELETE')
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new BackupError(`${origin} is damaged: ${String(check)}`)
    if (!isParta(db))
      throw new BackupError(`${origin} is not a Parta database (no ${MIGRATIONS_TABLE} table)`)
  } catch (e) {
    if (e instanceof BackupError) throw e
    throw new BackupError(`${origin} is not a usable SQLite database: ${(e as Error).message}`)
  } finally {
    db.close()
  }
}

/**
 * Lets the target be replaced: it must not be open elsewhere (a running server would go on writing to
 * the replaced file), and must hold no data unless `force`.
 */
function releaseTarget(target: string, force: boolean): void {
  if ((fs.statSync(target, { throwIfNoEntry: false })?.size ?? 0) === 0) return
  let db: SQLite.Database
  try {
    db = new SQLite(target, { fileMustExist: true })
  } catch (e) {
    if (force) return
    throw new BackupError(`${target} cannot be opened (${(e as Error).message}): give --force to replace it`)
  }
  try {
    // Leaving WAL mode needs the only connection to the file: a running server's makes it fail.
    if (leaveWal(db) !== 'delete')
      throw new BackupError(`${target} is in use: stop the server, then restore again`)
    if (!force && hasData(db))
      throw new BackupError(
        `${target} is not empty: restoring would replace its data. Give --force to replace it.`,
      )
  } finally {
    db.close()
  }
}

function leaveWal(db: SQLite.Database): string {
  try {
    return String(db.pragma('journal_mode = DELETE', { simple: true }))
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY')) return 'busy'
    return 'delete' // not readable as SQLite: it holds nothing a restore could lose but the file
  }
}

function hasData(db: SQLite.Database): boolean {
  try {
    if (isParta(db)) return true
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{ name: string }>
    return tables.some((t) => db.prepare(`SELECT 1 FROM "${t.name.replaceAll('"', '""')}" LIMIT 1`).get())
  } catch {
    return true
  }
}
