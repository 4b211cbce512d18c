import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { make } from '../helpers/make.js'
import { type Server, startServer } from '../helpers/server.js'

/**
 * §8 items about groups, memberships, lessons, subscriptions, tariffs and pays (the rest of the
 * checklist is in checklist.test.ts; 36, 38, 40 and 48 also have rule tests of their own).
 */
describe('§8 checklist: schedule and money', () => {
  let s: Server
  let subject: number
  let teacher: number
  let g: number
  let c: number
  const ok = async (path: string, body: unknown = {}) => {
    const r = await s.api(path, body)
    assert.equal(r.status, 200, `${path}: ${r.text}`)
    return r.body
  }
  before(async () => {
    s = await startServer()
    subject = (await ok('1/subject/create', { name: 'Математика' })).model.id
    teacher = (await ok('1/teacher/create', { name: 'Кузнецова Ольга' })).model.id
    g = (await ok('1/group/create', { name: 'M1', teacher_ids: [String(teacher)] })).model.id
    c = (await make.customer(s)).id
  })
  after(() => s.close())

  test('§8.2: /v2api/1/lesson without an action is lesson/index', async () => {
    const r = await s.api('1/lesson', {})
    assert.deepEqual(Object.keys(r.body), ['total', 'count', 'page', 'items'])
  })

  test('§8.27: cgi/create takes its ids from the query or the body; neither → 400 group_id', async () => {
    const q = await ok(`1/cgi/create?customer_id=${c}&group_id=${g}`, {
      b_date: '01.09.2025',
      e_date: '31.12.2025',
    })
    assert.equal(q.model.group_id, g)
    const b = await ok('1/cgi/create', { customer_id: c, group_id: g, b_date: '01.01.2026' })
    assert.equal(b.model.customer_id, c)
    const none = await s.api('1/cgi/create', { b_date: '01.09.2025' })
    assert.deepEqual([none.status, none.body.message], [400, 'Отсутствуют обязательные параметры: group_id'])
  })

  test('§8.28: customer-tariff/index?customer_id lists subscriptions; without it → 400', async () => {
    const t = await make.tariff(s, { type: 1, price: '5000', lessons_count: 8 })
    await make.subscription(s, c, { tariff_id: t.id })
    const r = await ok(`1/customer-tariff/index?customer_id=${c}`)
    assert.equal(r.total, 1)
    const missing = await s.api('1/customer-tariff/index', {})
    assert.deepEqual(
      [missing.status, missing.body.message],
      [400, 'Отсутствуют обязательные параметры: customer_id'],
    )
  })

  test('§8.37: lesson/create takes lesson_date dd.mm.yyyy with HH:MM; update takes HH:MM:SS', async () => {
    const l = await ok('1/lesson/create', {
      lesson_date: '15.09.2025',
      time_from: '18:00',
      duration: 60,
      subject_id: subject,
      lesson_type_id: 1,
      customer_ids: [c],
    })
    assert.equal(l.model.time_from, '2025-09-15 18:00:00')
    const u = await ok(`1/lesson/update?id=${l.model.id}`, { time_from: '18:30:00' })
    assert.deepEqual([u.model.time_from, u.model.time_to], ['2025-09-15 18:30:00', '2025-09-15 19:30:00'])
  })

  test('§8.39: regular-lesson/create takes the _v fields, branch_id, and raw dates in either style', async () => {
    const base = {
      branch_id: 1,
      related_class: 'Group',
      related_id: g,
      subject_id: subject,
      lesson_type_id: 2,
      days: [2],
    }
    const v = await ok('1/regular-lesson/create', {
      ...base,
      time_from_v: '10:00',
      time_to_v: '11:00',
      b_date_v: '01.09.2025',
      e_date_v: '30.09.2025',
    })
    assert.deepEqual([v.model.b_date, v.model.e_date_v], ['2025-09-01', '30.09.2025'])
    const raw = await ok('1/regular-lesson/create', {
      ...base,
      time_from: '12:00',
      time_to: '13:00',
      b_date: '01.10.2025',
      e_date: '2025-10-31',
    })
    assert.deepEqual(
      [raw.model.b_date_v, raw.model.e_date, raw.model.time_from_v],
      ['01.10.2025', '2025-10-31', '12:00'],
    )
  })

  test('§8.49: calendar/customer answers a bare JSON array', async () => {
    const r = await s.api(`1/calendar/customer?id=${c}&date1=01.09.2025&date2=30.09.2025`)
    assert.ok(Array.isArray(r.body))
    assert.ok(r.body.length > 0)
  })

  test('§8.51: group teacher_ids are integers', async () => {
    const r = await ok('1/group/index', { id: g })
    assert.deepEqual(r.items[0].teacher_ids, [teacher])
  })

  test('§8.52: tariffs carry both lessons_count and lesson_count', async () => {
    const t = await ok('1/tariff/create', { type: 1, name: 'Четыре', price: '1000', lesson_count: 4 })
    const r = await ok('1/tariff/index', { id: t.model.id })
    assert.deepEqual([r.items[0].lessons_count, r.items[0].lesson_count], [4, 4])
  })

  test('§8.53: lessons come newest first; pays by document_date newest first', async () => {
    const lessons = await ok('1/lesson/index', { status: [1, 2, 3], 'per-page': 50 })
    const starts = lessons.items.map((l: any) => l.time_from)
    assert.deepEqual(starts, [...starts].sort().reverse())
    await make.payAccount(s)
    for (const d of ['2025-09-01', '2025-10-01', '2025-08-01']) {
      await ok('1/pay/create', {
        customer_id: c,
        pay_type_id: 1,
        pay_account_id: 1,
        income: 100,
        document_date: d,
      })
    }
    const pays = await ok('1/pay/index')
    assert.deepEqual(
      pays.items.map((p: any) => p.document_date),
      ['01.10.2025', '01.09.2025', '01.08.2025'],
    )
  })

  test('§8.31: money inputs 5000, "5000" and "5000,00" are accepted and come out "5000.00"', async () => {
    for (const price of [5000, '5000', '5000,00']) {
      const t = await ok('1/tariff/create', { type: 2, name: `Месяц ${price}`, price })
      assert.equal(t.model.price, '5000.00')
    }
  })

  test('§8.32/§8.34: teacher e_date is 2030-12-31 while active; lesson date is yyyy-mm-dd', async () => {
    const t = await ok('1/teacher/index', { id: teacher })
    assert.equal(t.items[0].e_date, '2030-12-31')
    const l = await ok('1/lesson/index', { status: 1, 'per-page': 1 })
    assert.match(l.items[0].date, /^\d{4}-\d{2}-\d{2}$/)
  })
})
