import crypto from 'node:crypto'
import { sql } from 'kysely'
import pg from 'pg'
import type { Db } from '../../src/db/connect.js'

/** One table's fingerprint: its row count and a hash of its rows in a stable order. */
export interface TableDump {
  rows: number
  hash: string
}

export type Dump = Record<string, TableDump>

const quoteId = (name: string) => `"${name.replace(/"/g, '""')}"`

async function tableNames(db: Db): Promise<string[]> {
  const rows =
    db.dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master
          where type = 'table' and name not like 'sqlite_%' order by name`.execute(db.kysely)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(
          db.kysely,
        )
  return rows.rows.map((r) => r.name)
}

/**
 * Tables read as what they mean rather than row by row: the kept counts (migrations 014, 016) are folded in
 * the background (deltas become one row per cell, sums unchanged), so their rows change with no change
 * of the data; their sums per cell do not.
 */
const MEANING: Record<string, { columns: string[]; from: string }> = {
  customers_tally: {
    columns: ['branch_id', 'is_study', 'removed', 'n', 'changes'],
    from: `(select branch_id, is_study, removed, sum(n) as n, sum(changes) as changes
             from customers_tally group by branch_id, is_study, removed)`,
  },
  customers_tally_by: {
    columns: ['branch_id', 'is_study', 'removed', 'dim', 'value', 'n', 'changes'],
    from: `(select branch_id, is_study, removed, dim, value, sum(n) as n, sum(changes) as changes
             from customers_tally_by group by branch_id, is_study, removed, dim, value)`,
  },
}

/**
 * One statement that reads every table: PostgreSQL hashes each table's rows itself; SQLite (which has no
 * hash function) returns them as one text per table, in a stable order, to be hashed here.
 */
async function dumpQuery(db: Db): Promise<string> {
  const parts: string[] = []
  for (const t of await tableNames(db)) {
    const literal = `'${t.replace(/'/g, "''")}'`
    const meaning = Object.hasOwn(MEANING, t) ? MEANING[t] : undefined
    const from = meaning?.from ?? quoteId(t)
    if (db.dialect === 'postgres') {
      parts.push(
        `select ${literal} as t, count(*)::int as n, coalesce(md5(string_agg(x::text, E'\\n' order by x::text)), '') as h from ${from} x`,
      )
      continue
    }
    const cols =
      meaning?.columns ??
      (await sql<{ name: string }>`select name from pragma_table_info(${t})`.execute(db.kysely)).rows.map(
        (r) => quoteId(r.name),
      )
    const row = cols.map((c) => `quote(${c})`).join(` || ',' || `)
    parts.push(
      `select ${literal} as t, count(*) as n, coalesce(group_concat(r, char(10)), '') as h from (select ${row} as r from ${from} order by 1)`,
    )
  }
  return parts.join('\nunion all\n')
}

type Row = { t: string; n: number; h: string }
type Reader = () => Promise<Row[]>

const readers = new WeakMap<Db, Promise<Reader>>()
const clients: pg.Client[] = []

/**
 * PostgreSQL: a connection of our own with the statement prepared once — planning sixty aggregates
 * costs ten times running them, and parallel workers and JIT would cost ten times more again.
 */
async function postgresReader(db: Db, query: string): Promise<Reader> {
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db.kysely)
  const url = new URL(process.env.TEST_DATABASE_URL ?? '')
  url.pathname = `/${rows[0]!.name}`
  const client = new pg.Client({ connectionString: url.toString() })
  // The database is dropped (WITH FORCE) when its server closes, which ends this connection.
  client.on('error', () => {})
  await client.connect()
  clients.push(client)
  await client.query('set max_parallel_workers_per_gather = 0; set jit = off')
  return async () => (await client.query<Row>({ name: 'hostile_dump', text: query })).rows
}

async function readerFor(db: Db): Promise<Reader> {
  const query = await dumpQuery(db)
  if (db.dialect === 'postgres') return postgresReader(db, query)
  return async () => (await sql<Row>`${sql.raw(query)}`.execute(db.kysely)).rows
}

/**
 * Every table of the database, counted and hashed row by row, so two dumps are equal exactly when no
 * row was added, removed or changed. Rows are hashed in sorted order: the dump ignores physical order.
 */
export async function dumpDatabase(db: Db): Promise<Dump> {
  let reader = readers.get(db)
  if (!reader) {
    reader = readerFor(db)
    readers.set(db, reader)
  }
  const dump: Dump = {}
  for (const r of await (await reader)()) {
    const hash = db.dialect === 'postgres' ? r.h : crypto.createHash('sha1').update(r.h).digest('hex')
    dump[r.t] = { rows: Number(r.n), hash: hash.slice(0, 16) }
  }
  return dump
}

/**
 * SQLite counts every row inserted, updated or deleted on its connection (rolled back ones included), and
 * the server and the tests share that one connection: an unchanged count proves an unchanged database
 * without a dump. PostgreSQL has no such counter: null.
 */
export async function rowChanges(db: Db): Promise<number | null> {
  if (db.dialect !== 'sqlite') return null
  const { rows } = await sql<{ n: number }>`select total_changes() as n`.execute(db.kysely)
  return Number(rows[0]!.n)
}

/** Closes the dump connections (call before the suite's server drops its database). */
export async function closeDumps(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => {})))
}

/** The tables whose content differs between two dumps, for a readable failure. */
export function changedTables(before: Dump, after: Dump): string[] {
  const all = new Set([...Object.keys(before), ...Object.keys(after)])
  return [...all].filter((t) => JSON.stringify(before[t]) !== JSON.stringify(after[t]))
}
