import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { models } from '../src/models/index.js'
import { COMPOSED, createPath, createRecord, SCOPED, sampleBody, sampleValue } from './helpers/samples.js'
import { type Server, startServer } from './helpers/server.js'

/**
 * The suite every model gets for free, looped over the registry (STYLE): create returns what was
 * stored, update changes only the given fields, delete behaves per §6.9, unknown ids, bad bodies,
 * every filter, paging without repeats or gaps, a log row per write, branch visibility (§2.5).
 * Sub-resources (teacher working hours and rates) are covered through their scoping parameters.
 */
const writable = [...models].filter(([, m]) => m.actions.includes('create'))

/** Index filters that show every record whatever its default filters (§4.7). */
const EVERYTHING = { removed: 1, is_study: 2, status: [1, 2, 3] }

let s: Server
before(async () => {
  s = await startServer()
  await s.api('branch/create', { name: 'Второй филиал' })
})
after(() => s.close())

const logRows = async (entity: string, id: number) =>
  (await s.api('1/log/index', { entity, entity_id: id, 'per-page': 50 })).body.items as Array<{
    event: number
  }>

// Paths use the registry key, so a sub-resource is addressed as `1/teacher/working-hour/create`.
for (const [resource, model] of writable) {
  describe(`contract: ${resource}`, () => {
    const scoping = async () => (SCOPED[resource] ? await SCOPED[resource]!(s, models) : '')
    const indexPath = (branch: number, query: string) =>
      `${branch}/${resource}/index${query ? `?${query}` : ''}`
    /** A record under the given scoping query (a fresh parent record when none is given). */
    const create = async (full = false, query?: string) => {
      const q = query ?? (await scoping())
      const r = await s.api(createPath(resource, q), await sampleBody(s, models, model, full))
      assert.equal(r.status, 200, r.text)
      return { id: r.body.model.id as number, query: q }
    }
    const writableFields = Object.entries(model.fields).filter(
      ([n, k]) =>
        !k.readOnly && !k.derived && !k.ref && !k.createOnly && n !== 'id' && !n.startsWith('branch'),
    )

    test('create returns the stored record, index by id finds the same, one log row', async () => {
      const body = await sampleBody(s, models, model, true)
      const query = await scoping()
      const r = await s.api(createPath(resource, query), body)
      assert.equal(r.status, 200, r.text)
      assert.equal(r.body.success, true)
      assert.deepEqual(r.body.errors, [])
      const m = r.body.model
      for (const [name] of writableFields.filter(([n]) => !COMPOSED[resource]?.includes(n))) {
        if (name in body && typeof body[name] !== 'object') {
          const kind = model.fields[name]!
          const parsed = kind.parse(body[name], '')
          assert.ok(parsed.ok)
          assert.deepEqual(m[name], kind.format(parsed.value), `${model.slug}.${name}`)
        }
      }
      const found = await s.api(indexPath(1, query), {
        id: m.id,
        removed: 1,
        is_study: 2,
        status: [1, 2, 3],
      })
      assert.equal(found.body.total, 1)
      // §7.30: a user's api key is shown once, in the create reply only; so is a webhook's generated secret
      const { api_key: _shownOnce, secret: _secretOnce, ...stored } = m
      assert.deepEqual(found.body.items[0], stored)
      const rows = await logRows(model.logName, m.id)
      assert.deepEqual(
        rows.map((x) => x.event),
        [1],
      )
    })

    test('update changes only the given field and logs only it; a no-op update logs nothing', async () => {
      const id = await createRecord(s, models, resource, true)
      const target =
        writableFields.find(([, k]) => !k.required && k.type.startsWith('string(')) ??
        writableFields.find(([, k]) => !k.required || k.type.startsWith('string'))
      if (!target) return
      const [name, kind] = target
      const value = sampleValue(kind, 1)
      const r = await s.api(`1/${resource}/update?id=${id}`, { [name]: value })
      assert.equal(r.status, 200, r.text)
      const before = await s.api(`1/${resource}/update?id=${id}`, {})
      assert.equal(before.status, 200)
      const rows = await logRows(model.logName, id)
      assert.deepEqual(
        rows.map((x) => x.event),
        [2, 1],
      )
      const logged = rows[0] as unknown as { fields_new: Record<string, unknown> }
      assert.deepEqual(Object.keys(logged.fields_new), [name])
    })

    test('unknown ids: update and delete answer 404, index answers an empty page', async () => {
      const u = await s.api(`1/${resource}/update?id=999999`, {})
      assert.equal(u.status, 404)
      assert.deepEqual(u.body, { name: 'Not Found', message: 'Not Found', code: 0, status: 404 })
      const d = await s.api(`1/${resource}/delete?id=999999`)
      assert.equal(d.status, 404)
      const missing = await s.api(`1/${resource}/update`, {})
      assert.equal(missing.status, 400)
      assert.equal(missing.body.message, 'Отсутствуют обязательные параметры: id')
    })

    test('a wrongly typed value is a 422 naming the field and changes nothing', async () => {
      const intField = Object.entries(model.fields).find(
        ([n, k]) =>
          !k.readOnly && !k.derived && !k.createOnly && n !== 'id' && (k.type === 'int' || k.type === 'bool'),
      )
      if (!intField) return
      const id = await createRecord(s, models, resource)
      const r = await s.api(`1/${resource}/update?id=${id}`, { [intField[0]]: 'not a number' })
      assert.equal(r.status, 422, r.text)
      assert.equal(r.body.success, false)
      assert.ok(r.body.errors[intField[0]]?.length > 0)
      assert.deepEqual(
        (await logRows(model.logName, id)).map((x) => x.event),
        [1],
      )
    })

    test('delete removes or archives per §6.9 and is logged', async () => {
      const { id, query } = await create()
      const r = await s.api(`1/${resource}/delete?id=${id}`)
      assert.deepEqual(r.body, { success: true, errors: [] })
      const left = await s.api(indexPath(1, query), { id, ...EVERYTHING, removed: 2 })
      if (model.archive) assert.equal(left.body.items[0]?.removed, 1)
      else assert.equal(left.body.total, 0)
      assert.equal((await logRows(model.logName, id))[0]?.event, 3)
      if (model.archive) {
        const back = await s.api(`1/${resource}/restore?id=${id}`)
        assert.equal(back.body.model.removed, 0)
      }
    })

    test('every filter answers 200 or a 400 in the error shape, never a 500', async () => {
      const query = model.scoping ? await scoping() : ''
      for (const key of Object.keys(model.filters)) {
        for (const value of [1, '1', 'Тест', '01.09.2025', [1, 2], { a: 1 }]) {
          const r = await s.api(`1/${resource}/index${query ? `?${query}` : ''}`, { [key]: value })
          assert.ok(
            r.status === 200 || r.status === 400,
            `${model.slug} ${key}=${JSON.stringify(value)}: ${r.status}`,
          )
          if (r.status === 400) assert.equal(r.body.name, 'Bad Request')
        }
      }
    })

    test('a filter on a field finds the record by its own value', async () => {
      const { id, query } = await create(true)
      const rec = (await s.api(indexPath(1, query), { id, ...EVERYTHING })).body.items[0]
      for (const key of Object.keys(model.filters)) {
        const field = model.fields[key] ? key : model.fields[`${key}s`] ? `${key}s` : null
        if (
          !field ||
          rec[field] === null ||
          rec[field] === undefined ||
          key === 'removed' ||
          key === 'is_study'
        )
          continue
        let value = rec[field]
        if (Array.isArray(value)) value = value[0]
        if (value === undefined || value === '') continue
        if (model.fields[field]!.type === 'money') value = value.replace('.00', '')
        const r = await s.api(indexPath(1, query), { [key]: value, id, ...EVERYTHING })
        assert.equal(r.body.total, 1, `${model.slug} ${key}=${JSON.stringify(value)} → ${r.text}`)
      }
    })

    test('paging visits every record once, past the end is empty with the true total', async () => {
      const query = await scoping()
      for (let i = 0; i < 3; i++) await create(false, query)
      const all = await s.api(indexPath(1, query), { 'per-page': 50, ...EVERYTHING })
      const total = all.body.total as number
      const seen: number[] = []
      for (let page = 0; page <= total; page++) {
        const paged = indexPath(1, [query, 'per-page=2'].filter(Boolean).join('&'))
        const r = await s.api(paged, { page, ...EVERYTHING })
        assert.equal(r.body.total, total)
        seen.push(...r.body.items.map((i: { id: number }) => i.id))
        if (page >= Math.ceil(total / 2)) assert.deepEqual([r.body.count, r.body.items], [0, []])
      }
      assert.equal(seen.length, total)
      assert.equal(new Set(seen).size, total)
    })

    if (model.scope !== 'global' && model.scope !== 'tenant') {
      test('a record of branch 1 is invisible through branch 2', async () => {
        const { id, query } = await create()
        const idx = await s.api(indexPath(2, query), {
          id,
          removed: 1,
          is_study: 2,
        })
        assert.equal(idx.body.total, 0)
        const u = await s.api(`2/${resource}/update?id=${id}`, {})
        assert.equal(u.status, 404)
        const d = await s.api(`2/${resource}/delete?id=${id}`)
        assert.equal(d.status, 404)
      })
    }
  })
}
