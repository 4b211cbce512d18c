import { spawn } from 'node:child_process'
import fs from 'node:fs'
import type pg from 'pg'
import {
  BackupError,
  type BackupResult,
  MIGRATIONS_TABLE,
  type OnProgress,
  type RestoreResult,
  requireKind,
  writeAtomically,
} from './backup.js'
import { connect, postgres } from './connect.js'
import { migrate } from './migrate.js'

/**
 * PostgreSQL backups with the client tools: `pg_dump --format=custom` (one consistent snapshot while
 * the server writes) and `pg_restore` in a single transaction (all of the backup or nothing).
 */

const seconds = (since: number) => (performance.now() - since) / 1000

export async function backupPostgres(
  url: string,
  file: string,
  onProgress: OnProgress,
): Promise<BackupResult> {
  const started = performance.now()
  const tables = await withClient(url, async (c) => {
    if (!(await hasMigrations(c))) throw new BackupError(`${databaseName(url)} is not a Parta database`)
    return (await userTables(c)).length
  })
  await writeAtomically(file, async (partial) => {
    let dumped = 0
    await runTool(
      'pg_dump',
      ['--format=custom', '--no-owner', '--verbose', `--file=${partial}`],
      url,
      (line) => {
        if (line.includes('dumping contents of table')) onProgress(++dumped, tables, 'tables')
      },
    )
  })
  return { kind: 'postgres', file, bytes: fs.statSync(file).size, seconds: seconds(started) }
}

export async function restorePostgres(
  url: string,
  file: string,
  force: boolean,
  onProgress: OnProgress,
): Promise<RestoreResult> {
  const started = performance.now()
  requireKind(file, 'postgres')
  const dumped = await contents(file)
  if (!dumped.tables.some((t) => t.endsWith(`.${MIGRATIONS_TABLE}`)))
    throw new BackupError(`${file} is a pg_dump file, but not of a Parta database (no ${MIGRATIONS_TABLE})`)
  const target = databaseName(url)
  await withClient(url, async (c) => {
    const others = await otherSessions(c)
    if (others > 0)
      throw new BackupError(`${others} other session(s) use ${target}: stop the server, then restore again`)
    if (force) return dropTablesNotIn(c, dumped.tables)
    if (await hasData(c))
      throw new BackupError(
        `${target} is not empty: restoring would replace its data. Give --force to replace it.`,
      )
  })
  let restored = 0
  const clean = force ? ['--clean', '--if-exists'] : []
  await runTool(
    'pg_restore',
    ['--no-owner', '--single-transaction', '--exit-on-error', '--verbose', ...clean, file],
    url,
    (line) => {
      if (line.includes('processing data for table')) onProgress(++restored, dumped.data, 'tables')
    },
  )
  const db = connect({ databaseUrl: url, dataDir: '', poolSize: 1 })
  try {
    const migrated = await migrate(db)
    const bytes = fs.statSync(file).size
    return { kind: 'postgres', file, target, bytes, seconds: seconds(started), migrated }
  } finally {
    await db.close()
  }
}

/** The tables a dump holds (`schema.name`) and how many carry data, from its table of contents. */
async function contents(file: string): Promise<{ tables: string[]; data: number }> {
  const listing = await runTool('pg_restore', ['--list', file], null, () => {})
  const tables: string[] = []
  let data = 0
  for (const line of listing.split('\n')) {
    const m = /^\d+; \d+ \d+ (TABLE DATA|TABLE) (\S+) (\S+) /.exec(line)
    if (m?.[1] === 'TABLE') tables.push(`${m[2]}.${m[3]}`)
    else if (m) data++
  }
  return { tables, data }
}

/**
 * Runs a client tool on the database of `url` (none for `null`) and returns its stdout. The password
 * goes in PGPASSWORD, not the command line, where other users of the machine could read it. Each line
 * of stderr goes to `onLine`; a failure shows the tool's own complaint.
 */
function runTool(
  tool: 'pg_dump' | 'pg_restore',
  args: string[],
  url: string | null,
  onLine: (line: string) => void,
): Promise<string> {
  // The child inherits the environment (PATH, PG* settings) as any program started from a shell would.
  const env = { ...process.env }
  if (url !== null) {
    const u = new URL(url)
    if (u.password) env.PGPASSWORD = decodeURIComponent(u.password)
    u.password = ''
    args = [...args, `--dbname=${u.toString()}`]
  }
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let pending = ''
    const lines: string[] = []
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      const parts = (pending + d).split('\n')
      pending = parts.pop() ?? ''
      for (const line of parts) {
        lines.push(line)
        onLine(line)
      }
    })
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new BackupError(
          e.code === 'ENOENT'
            ? `${tool} was not found on PATH: install the PostgreSQL client tools of the server's major version (or newer)`
            : `${tool} could not be started: ${e.message}`,
        ),
      ),
    )
    child.on('close', (code) => {
      if (pending) lines.push(pending)
      if (code === 0) return resolve(stdout)
      reject(new BackupError(`${tool} failed (exit ${code}):\n${complaint(lines)}`))
    })
  })
}

/** The lines of a tool's stderr that say what went wrong (its --verbose chatter left out). */
function complaint(lines: string[]): string {
  const told = lines.filter((l) => /error|fatal|detail:|hint:|warning/i.test(l))
  return (told.length > 0 ? told : lines.slice(-5)).map((l) => `  ${l}`).join('\n')
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || 'the database'
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new (postgres().Client)({ connectionString: url })
  try {
    await client.connect()
  } catch (e) {
    throw new BackupError(`cannot connect to ${databaseName(url)}: ${(e as Error).message}`)
  }
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function hasMigrations(c: pg.Client): Promise<boolean> {
  const r = await c.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    MIGRATIONS_TABLE,
  ])
  return r.rows[0]?.found === true
}

async function userTables(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ name: string }>(
    `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  )
  return r.rows.map((row) => row.name)
}

/** The migrations table, or any table with a row: a restore would lose something. */
async function hasData(c: pg.Client): Promise<boolean> {
  if (await hasMigrations(c)) return true
  for (const table of await userTables(c)) {
    if ((await c.query(`SELECT 1 FROM ${table} LIMIT 1`)).rows.length > 0) return true
  }
  return false
}

async function otherSessions(c: pg.Client): Promise<number> {
  const r = await c.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
  )
  return r.rows[0]?.n ?? 0
}

/**
 * `pg_restore --clean` drops only what the dump holds. Tables a newer version added would survive it
 * and make the migrations that create them fail after an older backup is restored, so they go first.
 */
async function dropTablesNotIn(c: pg.Client, dumped: string[]): Promise<void> {
  const keep = new Set(dumped)
  const r = await c.query<{ schema: string; name: string; qualified: string }>(
    `SELECT schemaname AS schema, tablename AS name,
            quote_ident(schemaname) || '.' || quote_ident(tablename) AS qualified
     FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
  )
  const extra = r.rows.filter((t) => !keep.has(`${t.schema}.${t.name}`))
  if (extra.length === 0) return
  await c.query(`DROP TABLE IF EXISTS ${extra.map((t) => t.qualified).join(', ')} CASCADE`)
}
