import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely'
import { Shapes } from '../../src/db/shapes.js'

const db = new Kysely<Record<string, Record<string, unknown>>>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new SqliteIntrospector(k),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
})

test('a shape is built once and run with the parameters given after', () => {
  const shapes = new Shapes()
  let built = 0
  const run = (ids: number[], day: string) =>
    shapes.compiled(`t:${ids.length}`, [...ids, day], () => {
      built++
      return db.selectFrom('t').selectAll().where('id', 'in', ids).where('day', '<=', day).compile()
    })
  const first = run([1, 2], '2026-01-01')
  const second = run([7, 8], '2026-02-02')
  assert.equal(built, 1)
  assert.equal(second.sql, first.sql)
  assert.deepEqual(second.parameters, [7, 8, '2026-02-02'])
  run([1, 2, 3], '2026-01-01')
  assert.equal(built, 2, 'another key is another shape')
})

test('a shape whose parameters are not the ones listed is never kept', () => {
  const shapes = new Shapes()
  let built = 0
  // The listed order is wrong (the statement binds the day first): every call builds its own.
  const run = (id: number, day: string) =>
    shapes.compiled('wrong', [id, day], () => {
      built++
      return sql`SELECT ${day} AS d, ${id} AS i`.compile(db)
    })
  assert.deepEqual(run(1, 'a').parameters, ['a', 1])
  assert.deepEqual(run(2, 'b').parameters, ['b', 2])
  assert.equal(built, 2)
})
