import path from 'node:path'
import { BackupError, type OnProgress } from '../db/backup.js'
import { backupPostgres, databaseName, restorePostgres } from '../db/backup-postgres.js'
import { backupSqlite, restoreSqlite, sqliteFile } from '../db/backup-sqlite.js'
import { Progress } from '../seed/progress.js'
import { defineStandalone, failure, parseOptions, required } from './command.js'

/** "12.4 MB": sizes for people, in powers of 1024 as file managers show them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** A progress bar on a terminal; nothing when stderr is a file or a pipe (cron mails stay short). */
function progressBar(label: string): OnProgress & { done(): void } {
  let bar: Progress | null = null
  const update = (done: number, total: number, unit: string) => {
    if (!process.stderr.isTTY) return
    bar ??= new Progress(`${label} (${unit})`, total)
    bar.update(done)
  }
  return Object.assign(update, { done: () => bar?.done() })
}

/** The database layer's refusals are the operator's to fix: shown as they are, exit 1. */
async function operatorErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (e) {
    if (e instanceof BackupError) throw failure(e.message)
    throw e
  }
}

export const backup = defineStandalone({
  standalone: true,
  synopsis: 'backup --to FILE [--json]',
  summary: 'copy the database to FILE while the server keeps running',
  details: [
    '--to FILE   where the backup goes; an older file of that name is replaced only once the new',
    '            one is complete (it is written beside it first, then renamed)',
    'SQLite (DATA_DIR): the online backup API, one consistent snapshot; the copy is checked and is a',
    'single self-contained file. PostgreSQL (DATABASE_URL): pg_dump in its custom format (pg_dump must',
    'be installed, of the server’s major version or newer). Progress is shown when stderr is a terminal.',
  ],
  parse(argv) {
    const v = parseOptions(argv, { to: { type: 'string' }, json: { type: 'boolean', default: false } })
    return { to: path.resolve(required(v.to, 'to')), json: v.json }
  },
  async run({ config, args, out }) {
    const bar = progressBar('backup')
    const result = await operatorErrors(() =>
      config.databaseUrl
        ? backupPostgres(config.databaseUrl, args.to, bar)
        : backupSqlite(config.dataDir, args.to, bar),
    )
    bar.done()
    if (args.json) return out.json(result)
    const from = config.databaseUrl
      ? `PostgreSQL database ${databaseName(config.databaseUrl)}`
      : `SQLite database ${sqliteFile(config.dataDir)}`
    out.line(
      `Backed up the ${from} to ${result.file}: ${formatBytes(result.bytes)} in ${result.seconds.toFixed(1)} s.`,
    )
  },
})

export const restore = defineStandalone({
  standalone: true,
  synopsis: 'restore --from FILE [--force] [--json]',
  summary: 'replace the database with a backup (stop the server first), then migrate it',
  details: [
    '--from FILE  a file made by `backup`, of the same kind as the database in use (SQLite or',
    '             PostgreSQL); another kind is refused and nothing is changed',
    '--force      replace a database that holds data (without it, only an empty one is replaced)',
    'The server must be stopped: a database in use is refused. After the restore, pending migrations',
    'run, so a backup made by an older version works with this one. SQLite: the backup is copied and',
    'checked beside DATA_DIR/parta.db, then renamed over it. PostgreSQL: pg_restore in one transaction.',
  ],
  parse(argv) {
    const v = parseOptions(argv, {
      from: { type: 'string' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    })
    return { from: path.resolve(required(v.from, 'from')), force: v.force, json: v.json }
  },
  async run({ config, args, out }) {
    const bar = progressBar('restore')
    const result = await operatorErrors(() =>
      config.databaseUrl
        ? restorePostgres(config.databaseUrl, args.from, args.force, bar)
        : restoreSqlite(config.dataDir, args.from, args.force, bar),
    )
    bar.done()
    if (args.json) return out.json(result)
    out.line(
      `Restored ${result.file} (${formatBytes(result.bytes)}) into ${result.target} in ${result.seconds.toFixed(1)} s.`,
    )
    for (const name of result.migrated) out.line(`Applied migration ${name}.`)
  },
})
