import path from 'node:path'
import SQLite from 'better-sqlite3'
import { postgres, registerUnicodeLower } from '../db/connect.js'

/**
 * Bulk loading for the generator: rows are buffered per table and written with multi-row INSERTs in one
 * transaction per `commit()` — a prepared `VALUES (…),(…)` statement of up to 500 rows on SQLite, an
 * `INSERT … SELECT FROM unnest($1::int4[], …)` of 2 000 rows on PostgreSQL (one parameter per column).
 * Ids are given by the generator (`nextId`), so rows can refer to each other before they are written;
 * PostgreSQL's sequences are moved past them in `finish()`.
 *
 * It has a connection of its own, outside Kysely: the API's query builder costs more per statement
 * than the whole insert of a row.
 */
export type Row = Record<string, string | number | null>

interface Buffer {
  columns: string[]
  rows: unknown[][]
}

interface Target {
  /** Drops the secondary indexes of the tables; returns the statements that make them again. */
  dropIndexes(tables: string[]): Promise<string[]>
  exec(sql: string): Promise<void>
  begin(): Promise<void>
  insert(table: string, columns: string[], rows: unknown[][]): Promise<void>
  commitTx(): Promise<void>
  maxId(table: string): Promise<number>
  finish(tables: string[]): Promise<void>
  close(): Promise<void>
}

export class BulkWriter {
  private readonly buffers = new Map<string, Buffer>()
  private readonly ids = new Map<string, number>()
  /** Rows written so far, by table. */
  readonly written = new Map<string, number>()

  private constructor(
    private readonly target: Target,
    readonly dialect: 'sqlite' | 'postgres',
  ) {}

  static async open(opts: { databaseUrl: string | null; dataDir: string }): Promise<BulkWriter> {
    if (opts.databaseUrl) return new BulkWriter(await postgresTarget(opts.databaseUrl), 'postgres')
    return new BulkWriter(sqliteTarget(opts.dataDir), 'sqlite')
  }

  /** Loads the next free id of each table (once, before generating). */
  async prepareIds(tables: string[]): Promise<void> {
    for (const t of tables) if (!this.ids.has(t)) this.ids.set(t, (await this.target.maxId(t)) + 1)
  }

  nextId(table: string): number {
    const id = this.ids.get(table)
    if (id === undefined) throw new Error(`bulk writer: ids of ${table} not prepared`)
    this.ids.set(table, id + 1)
    return id
  }

  add(table: string, row: Row): void {
    let buf = this.buffers.get(table)
    if (!buf) {
      buf = { columns: Object.keys(row), rows: [] }
      this.buffers.set(table, buf)
    }
    const values = buf.columns.map((c) => row[c] ?? null)
    if (Object.keys(row).length !== buf.columns.length) {
      throw new Error(`bulk writer: ${table} rows differ in columns (${Object.keys(row).join(',')})`)
    }
    buf.rows.push(values)
  }

  /** Writes every buffered row in one transaction. */
  async commit(): Promise<void> {
    if (this.buffers.size === 0) return
    await this.target.begin()
    for (const [table, buf] of this.buffers) {
      await this.target.insert(table, buf.columns, buf.rows)
      this.written.set(table, (this.written.get(table) ?? 0) + buf.rows.length)
    }
    await this.target.commitTx()
    this.buffers.clear()
  }

  /**
   * Runs the load without the secondary indexes of the tables, and builds them once at the end:
   * building an index from the full table is several times faster than growing it row by row.
   */
  async withoutIndexes<T>(tables: string[], load: () => Promise<T>, onBuild?: () => void): Promise<T> {
    const again = await this.target.dropIndexes(tables)
    try {
      return await load()
    } finally {
      onBuild?.()
      for (const statement of again) await this.target.exec(statement)
    }
  }

  /** Sequences past the given ids and fresh planner statistics (PostgreSQL); a WAL checkpoint (SQLite). */
  async finish(): Promise<void> {
    await this.commit()
    await this.target.finish([...this.ids.keys()])
  }

  close(): Promise<void> {
    return this.target.close()
  }
}

function sqliteTarget(dataDir: string): Target {
  const db = new SQLite(path.join(dataDir, 'parta.db'))
  db.pragma('busy_timeout = 10000')
  // A seed that dies half-way is thrown away, so durability per commit buys nothing here.
  db.pragma('synchronous = OFF')
  db.pragma('cache_size = -262144')
  // Unicode-aware lower(), which the search-table triggers call on insert.
  registerUnicodeLower(db)
  const statements = new Map<string, SQLite.Statement>()
  const statement = (table: string, columns: string[], n: number) => {
    const key = `${table}|${columns.join(',')}|${n}`
    let s = statements.get(key)
    if (!s) {
      const one = `(${columns.map(() => '?').join(',')})`
      const cols = columns.map((c) => `"${c}"`).join(',')
      s = db.prepare(`INSERT INTO "${table}" (${cols}) VALUES ${Array(n).fill(one).join(',')}`)
      statements.set(key, s)
    }
    return s
  }
  return {
    async dropIndexes(tables) {
      const marks = tables.map(() => '?').join(',')
      const found = db
        .prepare(
          `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${marks})`,
        )
        .all(...tables) as Array<{ name: string; sql: string }>
      for (const i of found) db.exec(`DROP INDEX "${i.name}"`)
      return found.map((i) => i.sql)
    },
    async exec(sql) {
      db.exec(sql)
    },
    async begin() {
      db.exec('BEGIN')
    },
    async insert(table, columns, rows) {
      // SQLite allows 32 766 parameters in one statement.
      const per = Math.max(1, Math.min(500, Math.floor(32_000 / columns.length)))
      for (let i = 0; i < rows.length; i += per) {
        const part = rows.slice(i, i + per)
        statement(table, columns, part.length).run(part.flat())
      }
    },
    async commitTx() {
      db.exec('COMMIT')
    },
    async maxId(table) {
      const r = db.prepare(`SELECT COALESCE(max(id), 0) AS n FROM "${table}"`).get() as { n: number }
      return Number(r.n)
    },
    async finish() {
      db.pragma('wal_checkpoint(TRUNCATE)')
    },
    async close() {
      db.close()
    },
  }
}

const PG_ARRAY: Record<string, string> = { integer: 'int4[]', bigint: 'int8[]', text: 'text[]' }

async function postgresTarget(url: string): Promise<Target> {
  const client = new (postgres().Client)({ connectionString: url })
  await client.connect()
  const types = new Map<string, Map<string, string>>()
  const typesOf = async (table: string) => {
    let t = types.get(table)
    if (!t) {
      const r = await client.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1`,
        [table],
      )
      t = new Map(r.rows.map((c) => [c.column_name, PG_ARRAY[c.data_type] ?? 'text[]']))
      types.set(table, t)
    }
    return t
  }
  return {
    async dropIndexes(tables) {
      // Indexes that back a primary key or another constraint stay.
      const r = await client.query<{ name: string; def: string }>(
        `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relname = ANY($1) AND t.relnamespace = current_schema()::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)`,
        [tables],
      )
      for (const i of r.rows) await client.query(`DROP INDEX "${i.name}"`)
      return r.rows.map((i) => i.def)
    },
    async exec(sql) {
      await client.query(sql)
    },
    async begin() {
      await client.query('BEGIN')
    },
    async insert(table, columns, rows) {
      const t = await typesOf(table)
      const casts = columns.map((c, i) => `$${i + 1}::${t.get(c) ?? 'text[]'}`).join(', ')
      const text = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) SELECT * FROM unnest(${casts})`
      for (let i = 0; i < rows.length; i += 2000) {
        const part = rows.slice(i, i + 2000)
        await client.query(
          text,
          columns.map((_, c) => part.map((r) => r[c])),
        )
      }
    },
    async commitTx() {
      await client.query('COMMIT')
    },
    async maxId(table) {
      const r = await client.query(`SELECT COALESCE(max(id), 0) AS n FROM "${table}"`)
      return Number(r.rows[0].n)
    },
    async finish(tables) {
      for (const t of tables) {
        await client.query(
          `SELECT setval(pg_get_serial_sequence($1, 'id'), GREATEST(m, 1), m > 0)
           FROM (SELECT COALESCE(max(id), 0) AS m FROM "${t}") AS s`,
          [t],
        )
      }
      await client.query('ANALYZE')
    },
    async close() {
      await client.end()
    },
  }
}
