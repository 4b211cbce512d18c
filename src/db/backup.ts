import fs from 'node:fs'
import path from 'node:path'

/**
 * What backup-sqlite.ts and backup-postgres.ts share: the error an operator can act on, how a backup
 * file tells its kind, and writing a file so that a crash never leaves half of it under its name.
 */

/** A backup or restore that cannot be done, with a message for the operator (no stack). */
export class BackupError extends Error {}

export type BackupKind = 'sqlite' | 'postgres'

/** The migrations table Kysely keeps: a database without it is not Parta's. */
export const MIGRATIONS_TABLE = 'kysely_migration'

/** Reports a step of a long copy: `done` of `total` units (pages, tables). */
export type OnProgress = (done: number, total: number, unit: string) => void

export interface BackupResult {
  kind: BackupKind
  file: string
  bytes: number
  seconds: number
}

export interface RestoreResult extends BackupResult {
  /** Where it went: the SQLite file, or the PostgreSQL database's name. */
  target: string
  /** Migrations applied after the restore (the backup was made by an older version). */
  migrated: string[]
}

const LABEL: Record<BackupKind, string> = {
  sqlite: 'a SQLite backup',
  postgres: 'a PostgreSQL backup (pg_dump custom format)',
}

/** The kind by the file's first bytes: SQLite's header, or pg_dump's custom-format magic. */
export function backupKind(file: string): BackupKind | null {
  let fd: number
  try {
    fd = fs.openSync(file, 'r')
  } catch (e) {
    throw new BackupError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
  try {
    const head = Buffer.alloc(16)
    const n = fs.readSync(fd, head, 0, 16, 0)
    if (n === 16 && head.toString('latin1') === 'SQLite format 3\0') return 'sqlite'
    if (n >= 5 && head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'postgres'
    return null
  } finally {
    fs.closeSync(fd)
  }
}

/** Refuses a file that is not a backup for the database in use, naming what it is. */
export function requireKind(file: string, wanted: BackupKind): void {
  const kind = backupKind(file)
  if (kind === wanted) return
  const using = wanted === 'sqlite' ? 'SQLite (DATABASE_URL is not set)' : 'PostgreSQL (DATABASE_URL is set)'
  const is = kind ? `is ${LABEL[kind]}` : 'is neither a SQLite database nor a pg_dump custom-format file'
  throw new BackupError(`${file} ${is}, but this server uses ${using}: nothing was changed`)
}

/** A temporary name next to `file`: the same file system, so the final rename is atomic. */
export function partialName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}`)
}

/** The target's folder must exist and be a folder; the backup is written beside it first. */
export function requireFolder(file: string): void {
  const dir = path.dirname(file)
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new BackupError(`the folder ${dir} does not exist`)
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory())
    throw new BackupError(`${file} is a folder: give a file name`)
}

/** Makes `partial` durable, then gives it the name `file` (replacing an older one in one step). */
export function publish(partial: string, file: string): void {
  const fd = fs.openSync(partial, 'r+')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(partial, file)
  syncFolder(path.dirname(file))
}

/** The rename itself survives a power loss only once the folder is synced. */
function syncFolder(dir: string): void {
  const fd = fs.openSync(dir, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** Removes a partial file left by a failure or an interrupt; a missing one is fine. */
export function discard(partial: string): void {
  fs.rmSync(partial, { force: true })
}

/**
 * Runs `work` writing `partial`, then publishes it as `file`. A failure or Ctrl-C removes the partial
 * file, so `file` is either the old backup or the complete new one, never half of it.
 */
export async function writeAtomically<T>(file: string, work: (partial: string) => Promise<T>): Promise<T> {
  requireFolder(file)
  const partial = partialName(file)
  const interrupted = (signal: NodeJS.Signals) => {
    discard(partial)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    const result = await work(partial)
    // A backup holds personal data and key hashes: readable by its owner only, whatever the umask.
    fs.chmodSync(partial, 0o600)
    publish(partial, file)
    return result
  } catch (e) {
    discard(partial)
    throw e
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
  }
}

const CHUNK = 4 * 1024 * 1024

/** Copies a file in chunks, reporting megabytes as it goes (a restore of gigabytes takes a while). */
export function copyWithProgress(from: string, to: string, onProgress: OnProgress): number {
  const total = fs.statSync(from).size
  const mb = (n: number) => Math.ceil(n / (1024 * 1024))
  const buffer = Buffer.alloc(CHUNK)
  const input = fs.openSync(from, 'r')
  try {
    const output = fs.openSync(to, 'w')
    try {
      let done = 0
      for (let n = fs.readSync(input, buffer); n > 0; n = fs.readSync(input, buffer)) {
        fs.writeSync(output, buffer, 0, n)
        done += n
        onProgress(mb(done), mb(total), 'MB')
      }
      return done
    } finally {
      fs.closeSync(output)
    }
  } finally {
    fs.closeSync(input)
  }
}
