import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely'
import { insertShape, Shapes, updateShape } from '../../src/db/shapes.js'

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

test('an insert is kept by table, columns and row count, and bound to the values of each call', () => {
  const first = insertShape(db, 'sqlite', 'links', [{ record_id: 1, value: 2 }], ['id'])
  const kept = insertShape(db, 'sqlite', 'links', [{ record_id: 7, value: 8 }], ['id'])
  assert.equal(kept.sql, first.sql)
  assert.equal(kept.sql, 'insert into "links" ("record_id", "value") values (?, ?) returning "id"')
  assert.deepEqual(kept.parameters, [7, 8])
  const two = insertShape(db, 'sqlite', 'links', [
    { record_id: 7, value: 8 },
    { record_id: 7, value: 9 },
  ])
  assert.equal(two.sql, 'insert into "links" ("record_id", "value") values (?, ?), (?, ?)')
  assert.deepEqual(two.parameters, [7, 8, 7, 9])
  // A column whose value is undefined is left out, as Kysely leaves it out.
  const fewer = insertShape(db, 'sqlite', 'links', [{ record_id: 3, value: undefined }])
  assert.equal(fewer.sql, 'insert into "links" ("record_id") values (?)')
  assert.deepEqual(fewer.parameters, [3])
})

test('rows that differ in their columns, or hold an expression, are built as Kysely builds them', () => {
  const mixed = [
    { a: 1, b: 2 },
    { a: 3, c: 4 },
  ]
  const built = db.insertInto('t').values(mixed).compile()
  for (let i = 0; i < 2; i++) {
    const q = insertShape(db, 'sqlite', 't', mixed)
    assert.equal(q.sql, built.sql)
    assert.deepEqual(q.parameters, built.parameters)
  }
  // The first call with a plain value keeps the shape; an expression in its place is never bound to it.
  insertShape(db, 'sqlite', 'u', [{ n: 1 }])
  const expr = insertShape(db, 'sqlite', 'u', [{ n: sql`n + ${5}` }])
  assert.equal(expr.sql, 'insert into "u" ("n") values (n + ?)')
  assert.deepEqual(expr.parameters, [5])
})

test('an update by id is kept by table and columns and binds the id last', () => {
  updateShape(db, 'sqlite', 'customers', 1, { name: 'a', removed: 0 })
  const q = updateShape(db, 'sqlite', 'customers', 9, { name: 'b', removed: 1 })
  assert.equal(q.sql, 'update "customers" set "name" = ?, "removed" = ? where "id" = ?')
  assert.deepEqual(q.parameters, ['b', 1, 9])
  const other = updateShape(db, 'sqlite', 'customers', 9, { removed: 1, name: 'b' })
  assert.equal(other.sql, 'update "customers" set "removed" = ?, "name" = ? where "id" = ?')
  assert.deepEqual(other.parameters, [1, 'b', 9])
})

test('numbers bound where a builder puts them: found once with stand-ins, then bound in those places', () => {
  const shapes = new Shapes()
  let built = 0
  // The builder binds its second number first, and a constant of its own between them.
  const run = (args: readonly number[]) =>
    shapes.withArgs('w', args, ([a, b]) => {
      built++
      return db
        .selectFrom('t')
        .selectAll()
        .where('b', '=', b!)
        .where('c', '=', 5)
        .where('a', '=', a!)
        .compile()
    })
  const first = run([1, 2])
  assert.deepEqual(first.parameters, [2, 5, 1])
  const kept = run([7, 8])
  assert.equal(built, 2, 'built with the numbers and with stand-ins, then never again')
  assert.equal(kept.sql, first.sql)
  assert.deepEqual(kept.parameters, [8, 5, 7])
})

test('numbers a builder does not bind as they are leave the shape unkept, built each time', () => {
  const shapes = new Shapes()
  let built = 0
  const run = (args: readonly number[]) =>
    shapes.withArgs('json', args, (list) => {
      built++
      return sql`SELECT value FROM json_each(${JSON.stringify(list)})`.compile(db)
    })
  assert.deepEqual(run([1, 2]).parameters, ['[1,2]'])
  assert.deepEqual(run([3, 4]).parameters, ['[3,4]'])
  assert.equal(built, 3)
})

test('the oldest shapes make room: a client sending lists of every length cannot grow the store', () => {
  const shapes = new Shapes()
  let built = 0
  const run = (ids: number[]) =>
    shapes.compiled(`n:${ids.length}`, ids, () => {
      built++
      return db.selectFrom('t').selectAll().where('id', 'in', ids).compile()
    })
  run([1])
  run([2])
  assert.equal(built, 1, 'kept')
  for (let n = 2; n <= 300; n++) run(Array.from({ length: n }, (_, i) => i))
  run([3])
  assert.equal(built, 301, 'the first shape was dropped for the later ones and is built again')
})
