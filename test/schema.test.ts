import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { linkTable } from '../src/engine/model.js'
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
