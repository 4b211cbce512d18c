import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { translateDbError } from '../src/db/sql-errors.js'
import { linkTable } from '../src/engine/model.js'
import { fail } from '../src/errors.js'
import { messages } from '../src/fields/kind.js'
import { models } from '../src/models/index.js'
import { type Server, startServer } from './helpers/server.js'

/** Migrations never import the models (STYLE); this test keeps the two from drifting apart. */
let s: Server
before(async () => {
  s = await startServer()
})
after(() => s.close())

async function columnsOf(table: string): Promise<Set<string>> {
  const db = s.db.kysely
  const rows =
    s.dialect === 'sqlite'
      ? (await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(db)).rows
      : (
          await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ${table}`.execute(db)
        ).rows
  return new Set(rows.map((r) => r.name))
}

test('every declared field has its column, shadow columns and link table', async () => {
  for (const model of models.values()) {
    const cols = await columnsOf(model.table)
    assert.ok(cols.size > 0, `table ${model.table} of ${model.slug} exists`)
    for (const [name, kind] of model.columns) {
      assert.ok(cols.has(kind.column), `${model.table}.${kind.column} (${model.slug}.${name})`)
      for (const extra of Object.keys(kind.extraColumns?.([], kind.column) ?? {})) {
        assert.ok(cols.has(extra), `${model.table}.${extra}`)
      }
    }
    for (const name of model.links) {
      const link = await columnsOf(linkTable(model, name))
      assert.deepEqual([...link].sort(), ['record_id', 'value'], `${linkTable(model, name)}`)
    }
    if (model.archive) assert.ok(cols.has('archived_e_date'), `${model.table}.archived_e_date`)
    if (model.stamps?.updated)
      assert.ok(cols.has(model.stamps.updated), `${model.table}.${model.stamps.updated}`)
    for (const [field, column] of model.sortable)
      assert.ok(cols.has(column), `${model.table}.${column} (sort by ${model.slug}.${field})`)
  }
})

test('a new database holds the default lesson types and the fixed pay types', async () => {
  const types = await s.api('1/lesson-type/index')
  assert.deepEqual(
    types.body.items.map((t: { id: number; name: string }) => [t.id, t.name]),
    [
      [2, 'Групповой'],
      [1, 'Индивидуальный'],
      [3, 'Пробный'],
    ],
  )
  const created = await s.api('1/lesson-type/create', { name: 'Мастер-класс' })
  assert.equal(created.body.model.id, 4)
  const pays = await s.api('pay-type/index')
  assert.deepEqual(pays.body.items, [
    { id: 1, name: 'Приход' },
    { id: 2, name: 'Возврат' },
    { id: 3, name: 'Расход' },
    { id: 4, name: 'Зарплата' },
  ])
})

/** `table.column → referenced table` of every foreign key (PostgreSQL), with its ON DELETE action. */
async function foreignKeys(): Promise<Map<string, string>> {
  const { rows } = await sql<{ source: string; target: string; action: string }>`
    SELECT c.conrelid::regclass::text || '.' || a.attname AS source, c.confrelid::regclass::text AS target,
      c.confdeltype AS action
    FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'f'`.execute(s.db.kysely)
  return new Map(rows.map((r) => [r.source, `${r.target} ${r.action === 'r' ? 'RESTRICT' : r.action}`]))
}

/** Foreign keys exist on PostgreSQL only: SQLite runs one writer at a time (migration 006). */
const keys = { skip: process.env.TEST_DATABASE_URL ? false : 'no foreign keys on SQLite (migration 006)' }

test(
  'on PostgreSQL every reference §6.9 refuses a delete for is a RESTRICT foreign key, and only those',
  keys,
  async () => {
    const wanted = new Map([['lesson_details.ctt_id', 'customer_tariffs RESTRICT']])
    for (const model of models.values()) {
      for (const [slug, field] of model.refusedBy) {
        if (typeof field !== 'string') continue
        const other = models.get(slug)!
        const kind = other.fields[field]!
        const source = kind.linked ? `${linkTable(other, field)}.value` : `${other.table}.${kind.column}`
        wanted.set(source, `${model.table} RESTRICT`)
      }
    }
    assert.deepEqual(
      Object.fromEntries([...(await foreignKeys())].sort()),
      Object.fromEntries([...wanted].sort()),
    )
  },
)

/** The error a statement run straight on the database fails with. */
async function violation(statement: ReturnType<typeof sql>): Promise<unknown> {
  try {
    await statement.execute(s.db.kysely)
  } catch (err) {
    return err
  }
  assert.fail(`no error from ${statement.compile(s.db.kysely).sql}`)
}

test(
  'on PostgreSQL a violated foreign key is the 422 of the reference check or of the delete refusal',
  keys,
  async () => {
    const account = (await s.api('1/pay-account/create', { name: 'Касса' })).body.model.id
    const pay = { pay_type_id: 3, pay_account_id: account, income: '1', document_date: '01.02.2024' }
    assert.equal((await s.api('1/pay/create', pay)).status, 200)
    const cases: Array<[ReturnType<typeof sql>, Record<string, string[]>]> = [
      [
        sql`INSERT INTO pays (branch_id, pay_account_id) VALUES (1, 999999)`,
        { pay_account_id: ['Значение «Касса» неверно.'] },
      ],
      [
        sql`INSERT INTO tariffs_subject_ids (record_id, value) VALUES (1, 999999)`,
        { subject_ids: ['Значение «Предметы» неверно.'] },
      ],
      [sql`DELETE FROM pay_accounts WHERE id = ${account}`, { id: [messages.referenced('pay')] }],
    ]
    for (const [statement, errors] of cases) {
      assert.deepEqual(translateDbError(await violation(statement), models), fail.invalid(errors))
    }
  },
)
