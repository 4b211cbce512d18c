import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { assertNow, idsOf, make, tag } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'

/**
 * §7.23 Task: the author defaults to the API user, executors are required, `is_done` drives
 * `done_date`, and the list filters (contains, null check, ranges).
 */

describe('task (§7.23)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' }, make.secondBranch)

  /** Group ids for tasks: real groups once the group model exists (§7.4); until then any id is kept. */
  let spareGroupId = 1000
  async function groupId(): Promise<number> {
    const r = await s.api('1/group/create', { name: `Группа ${tag()}` })
    return r.status === 200 ? (r.body.model.id as number) : ++spareGroupId
  }

  test('user_id defaults to the API user; a given author is kept', async () => {
    const u = await make.user(s)
    const own = await make.task(s, {}, { token: u.token })
    assert.equal(own.user_id, u.id)
    const byAdmin = await make.task(s)
    assert.equal(byAdmin.user_id, 1)
    const given = await make.task(s, { user_id: u.id })
    assert.equal(given.user_id, u.id)
    const unknown = await s.api('1/task/create', { title: 'X', text: 'Y', assigned_ids: [1], user_id: 9999 })
    assert.deepEqual(unknown.body, wire.invalid({ user_id: ['Значение «Автор» неверно.'] }))
    const up = await s.api(`1/task/update?id=${own.id}`, { title: 'Другая' })
    assert.equal(up.body.model.user_id, u.id, 'an update by someone else keeps the author')
  })

  test('assigned_ids is required on create and cannot be emptied; each must be a user', async () => {
    for (const assigned of [undefined, [], null, '']) {
      const body: Record<string, unknown> = { title: 'Позвонить', text: 'Клиенту' }
      if (assigned !== undefined) body.assigned_ids = assigned
      const r = await s.api('1/task/create', body)
      assert.equal(r.status, 422, `${JSON.stringify(assigned)}: ${r.text}`)
      assert.deepEqual(r.body, wire.invalid({ assigned_ids: ['Необходимо заполнить «Исполнители».'] }))
    }
    const unknown = await s.api('1/task/create', {
      title: 'Позвонить',
      text: 'Клиенту',
      assigned_ids: [1, 9999],
    })
    assert.deepEqual(unknown.body, wire.invalid({ assigned_ids: ['Значение «Исполнители» неверно.'] }))
    const t = await make.task(s, { assigned_ids: 1 })
    assert.deepEqual(t.assigned_ids, [1], 'a single id is a one-element list')
    const emptied = await s.api(`1/task/update?id=${t.id}`, { assigned_ids: [] })
    assert.deepEqual(emptied.body, wire.invalid({ assigned_ids: ['Необходимо заполнить «Исполнители».'] }))
  })

  test('every missing required field is reported in field order', async () => {
    const r = await s.api('1/task/create', {})
    assert.deepEqual(
      r.body,
      wire.invalid({
        assigned_ids: ['Необходимо заполнить «Исполнители».'],
        title: ['Необходимо заполнить «Заголовок».'],
        text: ['Необходимо заполнить «Текст».'],
      }),
    )
  })

  test('a new task is open, stamped now, with the defaults of the field table', async () => {
    const t = await make.task(s)
    assert.equal(t.is_done, 0)
    assert.equal(t.done_date, null)
    assert.equal(t.due_date, null)
    assert.equal(t.priority, 2)
    assert.deepEqual(t.branch_ids, [1])
    assertNow(t.created_at, 'created_at')
  })

  test('creating a done task sets done_date to now unless given', async () => {
    const now = await make.task(s, { is_done: 1 })
    assertNow(now.done_date, 'done_date')
    const given = await make.task(s, { is_done: 1, done_date: '01.09.2025 10:30' })
    assert.equal(given.done_date, '2025-09-01 10:30:00')
  })

  test('is_done 1 sets done_date to now; is_done 0 clears it; other updates keep it', async () => {
    const t = await make.task(s)
    const done = await s.api(`1/task/update?id=${t.id}`, { is_done: '1' })
    assert.equal(done.status, 200, done.text)
    assert.equal(done.body.model.is_done, 1)
    assertNow(done.body.model.done_date, 'done_date')
    const touched = await s.api(`1/task/update?id=${t.id}`, { title: 'Уточнить' })
    assert.equal(touched.body.model.done_date, done.body.model.done_date)
    const reopened = await s.api(`1/task/update?id=${t.id}`, { is_done: false })
    assert.equal(reopened.body.model.is_done, 0)
    assert.equal(reopened.body.model.done_date, null)
    const log = await s.api('1/log/index', { entity: 'Task', entity_id: t.id, field: 'done_date' })
    assert.equal(log.body.total, 3, 'the create row and both changes')
    assert.deepEqual(log.body.items[0].fields_new, { is_done: 0, done_date: null })
  })

  test('is_done 1 with a done_date keeps the given date', async () => {
    const t = await make.task(s)
    const r = await s.api(`1/task/update?id=${t.id}`, { is_done: 1, done_date: '2025-09-02 18:00:00' })
    assert.equal(r.body.model.done_date, '2025-09-02 18:00:00')
  })

  test('due_date comes out yyyy-mm-dd from either date style', async () => {
    const a = await make.task(s, { due_date: '15.09.2025' })
    const b = await make.task(s, { due_date: '2025-09-16' })
    assert.deepEqual([a.due_date, b.due_date], ['2025-09-15', '2025-09-16'])
    const bad = await s.api(`1/task/update?id=${a.id}`, { due_date: '31.09.2025' })
    assert.deepEqual(bad.body, wire.invalid({ due_date: ['Неверный формат значения «Срок».'] }))
  })

  test('customers of a task must be visible in one of its branches', async () => {
    const foreign = await make.customer(s, { branch_ids: [2] })
    const r = await s.api('1/task/create', {
      title: 'X',
      text: 'Y',
      assigned_ids: [1],
      customer_ids: [foreign.id],
    })
    assert.deepEqual(r.body, wire.invalid({ customer_ids: ['Значение «Клиенты» неверно.'] }))
    const both = await make.task(s, { branch_ids: [1, 2], customer_ids: [foreign.id] })
    assert.deepEqual(both.customer_ids, [foreign.id])
  })

  describe('filters', () => {
    let u1: number
    let u2: number
    let c1: number
    let c2: number
    let g1: number
    let g2: number
    const t: Record<string, number> = {}
    const find = async (filter: Record<string, unknown>) =>
      idsOf(await s.api('1/task/index', { ...filter, ids: Object.values(t) }))

    before(async () => {
      u1 = (await make.user(s)).id
      u2 = (await make.user(s)).id
      c1 = (await make.customer(s)).id
      c2 = (await make.customer(s)).id
      g1 = await groupId()
      g2 = await groupId()
      t.a = (
        await make.task(s, {
          assigned_ids: [u1],
          customer_ids: [c1],
          group_ids: [g1],
          due_date: '2025-09-01',
        })
      ).id
      t.b = (
        await make.task(s, { assigned_ids: [u1, u2], customer_ids: [c1, c2], due_date: '2025-09-15' })
      ).id
      t.c = (await make.task(s, { assigned_ids: [u2], group_ids: [g1, g2], due_date: '2025-09-30' })).id
      t.d = (await make.task(s, { assigned_ids: [1], is_done: 1, done_date: '2025-09-10 12:00:00' })).id
    })

    test('assigned_id: the executors contain the user, or any of several', async () => {
      assert.deepEqual(await find({ assigned_id: u1 }), [t.a, t.b])
      assert.deepEqual(await find({ assigned_id: String(u2) }), [t.b, t.c])
      assert.deepEqual(await find({ assigned_id: [u2, 1] }), [t.b, t.c, t.d])
    })

    test('customer_id and group_id: the lists contain the record', async () => {
      assert.deepEqual(await find({ customer_id: c1 }), [t.a, t.b])
      assert.deepEqual(await find({ customer_id: c2 }), [t.b])
      assert.deepEqual(await find({ group_id: g1 }), [t.a, t.c])
      assert.deepEqual(await find({ group_id: g2 }), [t.c])
    })

    test('due_date_is_null: 1 finds tasks without a due date, 0 those with one', async () => {
      assert.deepEqual(await find({ due_date_is_null: 1 }), [t.d])
      assert.deepEqual(await find({ due_date_is_null: 0 }), [t.a, t.b, t.c])
      assert.deepEqual(await find({ due_date_is_null: 'true' }), [t.d])
    })

    test('due_date range: inclusive bounds in either date style; no due date never matches', async () => {
      assert.deepEqual(await find({ due_date_from: '15.09.2025' }), [t.b, t.c])
      assert.deepEqual(await find({ due_date_to: '2025-09-15' }), [t.a, t.b])
      assert.deepEqual(await find({ due_date_from: '2025-09-02', due_date_to: '29.09.2025' }), [t.b])
      assert.deepEqual(await find({ due_date_from: '2025-10-01' }), [])
    })

    test('done_date range: a date bound covers the whole day', async () => {
      assert.deepEqual(await find({ done_date_from: '10.09.2025', done_date_to: '10.09.2025' }), [t.d])
      assert.deepEqual(await find({ done_date_to: '2025-09-09' }), [])
    })

    test('a filter value of the wrong type is 400 naming the key', async () => {
      for (const [key, value] of [
        ['assigned_id', 'abc'],
        ['due_date_from', '32.13.2025'],
        ['due_date_is_null', 'maybe'],
      ] as const) {
        const r = await s.api('1/task/index', { [key]: value })
        assert.deepEqual(r.body, wire.badParam(key))
      }
    })
  })
})
