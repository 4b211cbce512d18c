import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { assertNow, idsOf, make } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'

/**
 * §7.17 Communication: comments hang off a customer, group or task named by the scoping parameters
 * `class` and `related_id`, and are visible exactly where that record is (§2.5, §5.11).
 */

const KEYS = ['id', 'type_id', 'class', 'related_id', 'user_id', 'added', 'comment']

describe('communication (§7.17)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' }, make.secondBranch)

  test('index and create without class and related_id are 400 naming both, in order', async () => {
    const customer = await make.customer(s)
    for (const action of ['index', 'create']) {
      const none = await s.api(`1/communication/${action}`, { comment: 'Текст' })
      assert.equal(none.status, 400, none.text)
      assert.deepEqual(none.body, wire.missing('class', 'related_id'))
      const noRelated = await s.api(`1/communication/${action}?class=Customer`, { comment: 'Текст' })
      assert.deepEqual(noRelated.body, wire.missing('related_id'))
      const noClass = await s.api(`1/communication/${action}?related_id=${customer.id}`, { comment: 'Текст' })
      assert.deepEqual(noClass.body, wire.missing('class'))
    }
    const list = await s.api('1/communication/index?class=Customer', { related_id: customer.id })
    assert.equal(list.status, 200, 'related_id may come from the body')
  })

  test('a class outside Customer, Group, Task is 400 on index and create', async () => {
    const customer = await make.customer(s)
    for (const cls of ['Lesson', 'Customers', 'customer_', '1']) {
      for (const action of ['index', 'create']) {
        const r = await s.api(`1/communication/${action}?class=${cls}&related_id=${customer.id}`, {
          comment: 'Текст',
        })
        assert.equal(r.status, 400, `${action} ${cls}: ${r.text}`)
        assert.deepEqual(r.body, wire.badParam('class'))
      }
    }
  })

  test('a related_id that is not an integer is 400 naming it', async () => {
    for (const action of ['index', 'create']) {
      const r = await s.api(`1/communication/${action}?class=Customer&related_id=abc`, { comment: 'Текст' })
      assert.equal(r.status, 400, r.text)
      assert.deepEqual(r.body, wire.badParam('related_id'))
    }
  })

  test('class Group is accepted: a group that does not exist is an empty list and a 422 on create', async () => {
    const list = await s.api('1/communication/index?class=group&related_id=1')
    assert.equal(list.status, 200, list.text)
    assert.equal(list.body.total, 0)
    const r = await s.api('1/communication/create?class=Group&related_id=999999', { comment: 'Группе' })
    assert.deepEqual(r.body, wire.invalid({ related_id: ['Значение «Объект» неверно.'] }))
  })

  test('class is case-insensitive on input and comes out as Customer', async () => {
    const customer = await make.customer(s)
    for (const cls of ['customer', 'CUSTOMER', 'cUsToMeR']) {
      const r = await s.api(`1/communication/create?class=${cls}&related_id=${customer.id}`, { comment: cls })
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(Object.keys(r.body.model), KEYS)
      assert.equal(r.body.model.class, 'Customer')
    }
    const list = await s.api(`1/communication/index?class=customer&related_id=${customer.id}`)
    assert.equal(list.body.total, 3)
    assert.ok(list.body.items.every((c: { class: string }) => c.class === 'Customer'))
  })

  test('the scoping parameters may come from the body, the query winning', async () => {
    const a = await make.customer(s)
    const b = await make.customer(s)
    const r = await s.api('1/communication/create', {
      class: 'customer',
      related_id: a.id,
      comment: 'Из тела',
    })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.model.related_id, a.id)
    const q = await s.api(`1/communication/create?class=Customer&related_id=${b.id}`, {
      related_id: a.id,
      comment: 'Запрос важнее',
    })
    assert.equal(q.body.model.related_id, b.id)
  })

  test('a customer of another branch is 422 on create and an empty index; through its branch it works', async () => {
    const foreign = await make.customer(s, { branch_ids: [2] })
    const r = await s.api(`1/communication/create?class=Customer&related_id=${foreign.id}`, {
      comment: 'Нельзя',
    })
    assert.equal(r.status, 422, r.text)
    assert.deepEqual(r.body, wire.invalid({ related_id: ['Значение «Объект» неверно.'] }))
    const ok = await make.comment(s, 'Customer', foreign.id, {}, { branch: 2 })
    const mine = await s.api(`1/communication/index?class=Customer&related_id=${foreign.id}`)
    assert.equal(mine.status, 200)
    assert.deepEqual([mine.body.total, mine.body.items], [0, []])
    const theirs = await s.api(`2/communication/index?class=Customer&related_id=${foreign.id}`)
    assert.deepEqual(idsOf(theirs), [ok.id])
  })

  test('a customer that does not exist is 422 on create and an empty index', async () => {
    const r = await s.api('1/communication/create?class=Customer&related_id=999999', { comment: 'Никому' })
    assert.deepEqual(r.body, wire.invalid({ related_id: ['Значение «Объект» неверно.'] }))
    const list = await s.api('1/communication/index?class=Customer&related_id=999999')
    assert.deepEqual([list.status, list.body.total], [200, 0])
  })

  test('an archived customer can still be commented on', async () => {
    const customer = await make.customer(s)
    await s.api(`1/customer/delete?id=${customer.id}`)
    const c = await make.comment(s, 'Customer', customer.id)
    assert.deepEqual(idsOf(await s.api(`1/communication/index?class=Customer&related_id=${customer.id}`)), [
      c.id,
    ])
  })

  test('a comment on a customer in two branches is seen through both', async () => {
    const both = await make.customer(s, { branch_ids: [1, 2] })
    const c = await make.comment(s, 'Customer', both.id)
    for (const b of [1, 2]) {
      const list = await s.api(`${b}/communication/index?class=Customer&related_id=${both.id}`)
      assert.deepEqual(idsOf(list), [c.id])
    }
  })

  test('comments on a task are listed under class Task only', async () => {
    const task = await make.task(s)
    const c = await make.comment(s, 'task', task.id)
    assert.equal(c.class, 'Task')
    assert.deepEqual(idsOf(await s.api(`1/communication/index?class=Task&related_id=${task.id}`)), [c.id])
    const asCustomer = await s.api(`1/communication/index?class=Customer&related_id=${task.id}`)
    assert.ok(!idsOf(asCustomer).includes(c.id))
  })

  test('user_id is the API user and added is now; both are read-only', async () => {
    const u = await make.user(s)
    const customer = await make.customer(s)
    const r = await s.call(
      `1/communication/create?class=Customer&related_id=${customer.id}`,
      { comment: 'Позвонил', user_id: 1, added: '2001-01-01 00:00:00', id: 777 },
      { token: u.token },
    )
    assert.equal(r.status, 200, r.text)
    const m = r.body.model
    assert.equal(m.user_id, u.id)
    assertNow(m.added, 'added')
    assert.equal(m.type_id, 1)
    assert.notEqual(m.id, 777)
    const up = await s.api(`1/communication/update?id=${m.id}`, {
      comment: 'Правка',
      user_id: 1,
      added: '2001-01-01 00:00:00',
    })
    assert.equal(up.status, 200, up.text)
    assert.equal(up.body.model.user_id, u.id, 'an update by someone else keeps the author')
    assert.equal(up.body.model.added, m.added)
    assert.equal(up.body.model.comment, 'Правка')
  })

  test('index lists the newest first', async () => {
    const customer = await make.customer(s)
    const made: number[] = []
    for (let i = 0; i < 4; i++) made.push((await make.comment(s, 'Customer', customer.id)).id)
    const list = await s.api(`1/communication/index?class=Customer&related_id=${customer.id}`)
    assert.deepEqual(idsOf(list), [...made].reverse())
    const paged = await s.api(`1/communication/index?class=Customer&related_id=${customer.id}&per-page=3`, {
      page: 1,
    })
    assert.deepEqual(idsOf(paged), [made[0]])
  })

  test('index lists only the comments of the named record', async () => {
    const a = await make.customer(s)
    const b = await make.customer(s)
    const onA = await make.comment(s, 'Customer', a.id)
    await make.comment(s, 'Customer', b.id)
    assert.deepEqual(idsOf(await s.api(`1/communication/index?class=Customer&related_id=${a.id}`)), [onA.id])
  })

  test('update and delete with a related_id or class that does not match are 404 and change nothing', async () => {
    const a = await make.customer(s)
    const b = await make.customer(s)
    const c = await make.comment(s, 'Customer', a.id)
    for (const query of [
      `related_id=${b.id}`,
      `class=Customer&related_id=${b.id}`,
      `class=Task&related_id=${a.id}`,
    ]) {
      const u = await s.api(`1/communication/update?id=${c.id}&${query}`, { comment: 'Чужой' })
      assert.equal(u.status, 404, `${query}: ${u.text}`)
      assert.deepEqual(u.body, wire.notFound)
      const d = await s.api(`1/communication/delete?id=${c.id}&${query}`)
      assert.deepEqual(d.body, wire.notFound)
    }
    const inBody = await s.api(`1/communication/update?id=${c.id}`, { related_id: b.id, comment: 'Чужой' })
    assert.equal(inBody.status, 404, 'a body related_id is a scoping parameter too (§1.8)')
    const stored = await s.api(`1/communication/index?class=Customer&related_id=${a.id}`)
    assert.equal(stored.body.items[0].comment, c.comment)
    assert.equal((await s.api(`1/communication/index?class=Customer&related_id=${b.id}`)).body.total, 0)
    const same = await s.api(`1/communication/update?id=${c.id}&class=customer&related_id=${a.id}`, {
      comment: 'Тот же',
    })
    assert.equal(same.status, 200, same.text)
    assert.deepEqual([same.body.model.class, same.body.model.related_id], ['Customer', a.id])
    const matching = await s.api(`1/communication/delete?id=${c.id}&class=customer&related_id=${a.id}`)
    assert.deepEqual(matching.body, wire.deleted)
  })

  test('a comment on a customer of another branch is 404 through this branch', async () => {
    const foreign = await make.customer(s, { branch_ids: [2] })
    const c = await make.comment(s, 'Customer', foreign.id, {}, { branch: 2 })
    const u = await s.api(`1/communication/update?id=${c.id}`, { comment: 'Чужой' })
    assert.deepEqual(u.body, wire.notFound)
    const d = await s.api(`1/communication/delete?id=${c.id}`)
    assert.deepEqual(d.body, wire.notFound)
  })

  test('comments are in the log of the branch of their record only', async () => {
    const one = await make.customer(s)
    const two = await make.customer(s, { branch_ids: [2] })
    const c1 = await make.comment(s, 'Customer', one.id)
    const c2 = await make.comment(s, 'Customer', two.id, {}, { branch: 2 })
    const seen = async (branch: number, id: number) =>
      (await s.api(`${branch}/log/index`, { entity: 'Communication', entity_id: id })).body.total
    assert.equal(await seen(1, c1.id), 1)
    assert.equal(await seen(2, c1.id), 0)
    assert.equal(await seen(2, c2.id), 1)
    assert.equal(await seen(1, c2.id), 0)
    const row = (await s.api('1/log/index', { entity: 'Communication', entity_id: c1.id })).body.items[0]
    assert.equal(row.event, 1)
    assert.equal(row.fields_new.comment, c1.comment)
    await s.api(`1/communication/delete?id=${c1.id}`)
    assert.equal(await seen(1, c1.id), 2, 'the delete is in branch 1 as well')
    assert.equal(await seen(2, c1.id), 0)
  })

  test('filters: comment substring, user_id, type_id and the added range', async () => {
    const customer = await make.customer(s)
    const u = await make.user(s)
    const mine = await make.comment(s, 'Customer', customer.id, {
      comment: 'Перезвонить в ПЯТНИЦУ',
      type_id: 2,
    })
    const theirs = await make.comment(
      s,
      'Customer',
      customer.id,
      { comment: 'Оплатит позже' },
      { token: u.token },
    )
    const q = `1/communication/index?class=Customer&related_id=${customer.id}`
    assert.deepEqual(idsOf(await s.api(q, { comment: 'пятницу' })), [mine.id])
    assert.deepEqual(idsOf(await s.api(q, { user_id: u.id })), [theirs.id])
    assert.deepEqual(idsOf(await s.api(q, { type_id: 2 })), [mine.id])
    const today = String(mine.added).slice(0, 10)
    const [y, m, d] = today.split('-')
    assert.equal((await s.api(q, { date_from: `${d}.${m}.${y}`, date_to: today })).body.total, 2)
    assert.equal((await s.api(q, { date_from: '2001-01-01', date_to: '2001-12-31' })).body.total, 0)
  })
})
