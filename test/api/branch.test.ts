import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { idsOf, make } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'

/**
 * §7.1 Branch and §2.5 branch scoping: a new branch is usable at once, non-admins list only their
 * branches (the path prefix of a global model is ignored), the default branch of a branch-less path
 * is the lowest active allowed one, and an inactive branch still works by path.
 */

const KEYS = ['id', 'name', 'is_active', 'subject_ids', 'weight']

describe('branch (§7.1, §2.5)', () => {
  let two: number
  let three: number
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' }, async () => {
    two = (await make.secondBranch(s)).id
    three = (await make.branch(s, { name: 'Третий филиал' })).id
  })

  /** Runs `body` with branches switched off, switching them back on afterwards. */
  async function withInactive(branches: number[], body: () => Promise<void>) {
    for (const b of branches)
      assert.equal((await s.api(`branch/update?id=${b}`, { is_active: 0 })).status, 200)
    try {
      await body()
    } finally {
      for (const b of branches) await s.api(`branch/update?id=${b}`, { is_active: 1 })
    }
  }

  test('an admin creates a branch and uses it at once with the same token', async () => {
    const r = await s.api('branch/create', { name: 'Новый филиал', weight: 5 })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(Object.keys(r.body.model), KEYS)
    const b = r.body.model.id
    assert.deepEqual(r.body.model, { id: b, name: 'Новый филиал', is_active: 1, subject_ids: [], weight: 5 })
    const customer = await make.customer(s, {}, { branch: b })
    assert.deepEqual(customer.branch_ids, [b])
    const location = await make.location(s, {}, { branch: b })
    assert.equal(location.branch_id, b)
    assert.deepEqual(idsOf(await s.api(`${b}/customer/index`)), [customer.id])
    assert.equal((await s.api('1/customer/index', { id: customer.id })).body.total, 0)
  })

  test('an admin lists every branch, active or not, by weight then id', async () => {
    await withInactive([three], async () => {
      const r = await s.api('branch/index')
      const items = r.body.items as Array<{ id: number; weight: number; is_active: number }>
      assert.ok(items.some((i) => i.id === three && i.is_active === 0))
      const sorted = [...items].sort((a, b) => a.weight - b.weight || a.id - b.id)
      assert.deepEqual(
        items.map((i) => i.id),
        sorted.map((i) => i.id),
      )
      const heavy = await s.api(`branch/update?id=1`, { weight: 100 })
      assert.equal(heavy.status, 200)
      const again = await s.api('branch/index')
      assert.equal(again.body.items.at(-1).id, 1)
      await s.api(`branch/update?id=1`, { weight: 0 })
    })
  })

  test('a manager of branch 2 sees only branch 2, with or without a branch prefix', async () => {
    const m = await make.user(s, { branch_ids: [two] })
    for (const path of [
      'branch/index',
      'branch',
      '1/branch/index',
      `${two}/branch/index`,
      '999/branch/index',
    ]) {
      const r = await s.call(path, {}, { token: m.token })
      assert.equal(r.status, 200, `${path}: ${r.text}`)
      assert.deepEqual(idsOf(r), [two], path)
      assert.equal(r.body.total, 1)
    }
    const other = await s.call('branch/index', { id: 1 }, { token: m.token })
    assert.deepEqual([other.body.total, other.body.items], [0, []])
    const plain = await s.call(`1/customer/index`, {}, { token: m.token })
    assert.equal(plain.status, 403, 'branch 1 itself stays closed to the manager')
  })

  test('a manager of several branches sees those, a readonly user likewise', async () => {
    const m = await make.user(s, { branch_ids: [three, 1] })
    assert.deepEqual(idsOf(await s.call('branch/index', {}, { token: m.token })), [1, three])
    const ro = await make.user(s, { role: 'readonly', branch_ids: [two] })
    assert.deepEqual(idsOf(await s.call('branch/index', {}, { token: ro.token })), [two])
  })

  test('a manager still sees an allowed branch that is inactive', async () => {
    const m = await make.user(s, { branch_ids: [two] })
    await withInactive([two], async () => {
      const r = await s.call('branch/index', {}, { token: m.token })
      assert.deepEqual(idsOf(r), [two])
      assert.equal(r.body.items[0].is_active, 0)
    })
  })

  test('a branch-less path of an admin runs in branch 1, or in branch 2 while branch 1 is inactive', async () => {
    const inOne = await make.customer(s, {}, { branch: 1 })
    const inTwo = await make.customer(s, {}, { branch: two })
    const listed = async () => idsOf(await s.api('customer/index', { id: [inOne.id, inTwo.id] }))
    assert.deepEqual(await listed(), [inOne.id])
    await withInactive([1], async () => {
      assert.deepEqual(await listed(), [inTwo.id])
      const created = await s.api('customer/create', { name: 'Без пути', is_study: 1, legal_type: 1 })
      assert.equal(created.status, 200, created.text)
      assert.deepEqual(created.body.model.branch_ids, [two])
      const room = await s.api('room/create', { name: 'Без пути' })
      assert.equal(room.body.model.branch_id, two)
      const log = await s.api('log/index', { entity: 'Customer', entity_id: created.body.model.id })
      assert.equal(log.body.total, 1, 'the log of the default branch shows it')
    })
    assert.deepEqual(await listed(), [inOne.id], 'back to branch 1 once it is active again')
  })

  test('the default branch skips every inactive branch: with 1 and 2 off it is 3', async () => {
    const inThree = await make.customer(s, {}, { branch: three })
    await withInactive([1, two], async () => {
      const r = await s.api('customer/index', { id: inThree.id })
      assert.deepEqual(idsOf(r), [inThree.id])
    })
  })

  test('a manager’s default branch is its lowest active allowed branch', async () => {
    const m = await make.user(s, { branch_ids: [three, two] })
    const inTwo = await make.customer(s, {}, { branch: two })
    const inThree = await make.customer(s, {}, { branch: three })
    const listed = async () =>
      idsOf(await s.call('customer/index', { id: [inTwo.id, inThree.id] }, { token: m.token }))
    assert.deepEqual(await listed(), [inTwo.id])
    await withInactive([two], async () => {
      assert.deepEqual(await listed(), [inThree.id])
    })
  })

  test('a user whose only branches are inactive gets 403 on a branch-less path but works by path', async () => {
    const m = await make.user(s, { branch_ids: [two] })
    await withInactive([two], async () => {
      const r = await s.call('customer/index', {}, { token: m.token })
      assert.equal(r.status, 403, r.text)
      assert.deepEqual(r.body, wire.accessDenied)
      const byPath = await s.call(`${two}/customer/index`, {}, { token: m.token })
      assert.equal(byPath.status, 200, byPath.text)
      const global = await s.call('branch/index', {}, { token: m.token })
      assert.equal(global.status, 200, 'global models need no default branch')
    })
  })

  test('an inactive branch can still be used by path: read, create, update, delete', async () => {
    const existing = await make.customer(s, {}, { branch: two })
    await withInactive([two], async () => {
      assert.deepEqual(idsOf(await s.api(`${two}/customer/index`, { id: existing.id })), [existing.id])
      const c = await make.customer(s, {}, { branch: two })
      assert.deepEqual(c.branch_ids, [two])
      const u = await s.api(`${two}/customer/update?id=${c.id}`, { note: 'В неактивном филиале' })
      assert.equal(u.status, 200, u.text)
      const loc = await make.location(s, {}, { branch: two })
      const d = await s.api(`${two}/location/delete?id=${loc.id}`)
      assert.deepEqual(d.body, wire.deleted)
      const m = await make.user(s, { branch_ids: [two] })
      assert.equal((await s.call(`${two}/customer/index`, {}, { token: m.token })).status, 200)
    })
  })

  test('subject_ids must name existing subjects and filter by subject_id', async () => {
    const subject = await make.dictionary(s, 'subject')
    const bad = await s.api('branch/create', { name: 'С предметами', subject_ids: [subject.id, 9999] })
    assert.deepEqual(bad.body, wire.invalid({ subject_ids: ['Значение «Предметы» неверно.'] }))
    const b = await make.branch(s, { subject_ids: [subject.id] })
    assert.deepEqual(b.subject_ids, [subject.id])
    assert.deepEqual(idsOf(await s.api('branch/index', { subject_id: subject.id })), [b.id])
    assert.deepEqual(idsOf(await s.api('branch/index', { subject_ids: [subject.id] })), [b.id])
  })

  test('a branch needs a name of at most 50 characters', async () => {
    const r = await s.api('branch/create', { name: ' ' })
    assert.deepEqual(r.body, wire.invalid({ name: ['Необходимо заполнить «Название».'] }))
    const long = await s.api('branch/create', { name: 'Ф'.repeat(51) })
    assert.deepEqual(
      long.body,
      wire.invalid({ name: ['Значение «Название» должно содержать максимум 50 символов.'] }),
    )
  })
})
