import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { attempt, make } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'

/**
 * §6.9 delete refusals and §2.6 reference checks for the models that exist so far. A refused delete
 * is a 422 keyed by `id` with one message per referencing slug, in the order of the §6.9 table, and
 * changes nothing: the record stays and no delete is logged.
 */

const CUSTOMER_DICTIONARIES = [
  ['lead-status', 'lead_status_id', 'LeadStatus'],
  ['lead-source', 'lead_source_id', 'LeadSource'],
  ['study-status', 'study_status_id', 'StudyStatus'],
  ['lead-reject', 'lead_reject_id', 'LeadReject'],
  ['customer-reject', 'customer_reject_id', 'CustomerReject'],
] as const

describe('delete refused while referenced (§6.9)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' }, make.secondBranch)

  /** Deletes through `path`, expects the exact refusal, and checks the record and its log are untouched. */
  async function assertRefused(path: string, entity: string, id: number, ...slugs: string[]) {
    const r = await s.api(`${path}/delete?id=${id}`)
    assert.equal(r.status, 422, r.text)
    assert.deepEqual(r.body, wire.refused(...slugs))
    const still = await s.api(`${path}/index`, { id, removed: 1, is_study: 2 })
    assert.equal(still.body.total, 1, `${entity} ${id} is still there`)
    const deletes = await s.api('1/log/index', { entity, entity_id: id, event: 3 })
    assert.equal(deletes.body.total, 0, `no delete of ${entity} ${id} is logged`)
  }

  /** `scoping`: the query an index of this model needs (communication). */
  async function assertDeleted(path: string, id: number, scoping = '') {
    const r = await s.api(`${path}/delete?id=${id}`)
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.body, wire.deleted)
    const gone = await s.api(`${path}/index${scoping}`, { id })
    assert.equal(gone.status, 200, gone.text)
    assert.equal(gone.body.total, 0)
  }

  test('a location used by a room is refused naming «room»; once the room is gone it deletes', async () => {
    const location = await make.location(s)
    const room = await make.room(s, { location_id: location.id })
    await assertRefused('1/location', 'Location', location.id, 'room')
    await assertDeleted('1/room', room.id)
    await assertDeleted('1/location', location.id)
  })

  test('a location referenced only through a room’s update is refused too', async () => {
    const location = await make.location(s)
    const room = await make.room(s)
    const u = await s.api(`1/room/update?id=${room.id}`, { location_id: location.id })
    assert.equal(u.status, 200, u.text)
    await assertRefused('1/location', 'Location', location.id, 'room')
    const cleared = await s.api(`1/room/update?id=${room.id}`, { location_id: null })
    assert.equal(cleared.body.model.location_id, null)
    await assertDeleted('1/location', location.id)
  })

  for (const [slug, field, entity] of CUSTOMER_DICTIONARIES) {
    test(`a ${slug} used by a customer is refused naming «customer», also while the customer is archived`, async () => {
      const row = await make.dictionary(s, slug)
      const customer = await make.customer(s, { is_study: 0, [field]: row.id })
      await assertRefused(`1/${slug}`, entity, row.id, 'customer')
      const archived = await s.api(`1/customer/delete?id=${customer.id}`)
      assert.equal(archived.status, 200)
      await assertRefused(`1/${slug}`, entity, row.id, 'customer')
      // archived records stay updatable (§6.9): clearing the reference frees the row
      const u = await s.api(`1/customer/update?id=${customer.id}`, { [field]: null })
      assert.equal(u.status, 200, u.text)
      assert.equal(u.body.model[field], null)
      await assertDeleted(`1/${slug}`, row.id)
    })
  }

  test('a dictionary row used by a customer of another branch is refused through any branch', async () => {
    const status = await make.dictionary(s, 'lead-status')
    await make.customer(s, { is_study: 0, lead_status_id: status.id, branch_ids: [2] })
    await assertRefused('1/lead-status', 'LeadStatus', status.id, 'customer')
  })

  test('a subject in a branch’s subject_ids is refused naming «branch»', async () => {
    const subject = await make.dictionary(s, 'subject')
    const b = await make.branch(s, { subject_ids: [subject.id] })
    await assertRefused('1/subject', 'Subject', subject.id, 'branch')
    const u = await s.api(`branch/update?id=${b.id}`, { subject_ids: [] })
    assert.deepEqual(u.body.model.subject_ids, [])
    await assertDeleted('1/subject', subject.id)
  })

  test('a user responsible for a customer is refused naming «customer»', async () => {
    const u = await make.user(s)
    const customer = await make.customer(s, { assigned_id: u.id })
    await assertRefused('user', 'User', u.id, 'customer')
    const still = await s.call('1/customer/index', {}, { token: u.token })
    assert.equal(still.status, 200, 'a refused delete revokes no token')
    await s.api(`1/customer/update?id=${customer.id}`, { assigned_id: null })
    await assertDeleted('user', u.id)
  })

  test('a user responsible for an archived customer is still refused', async () => {
    const u = await make.user(s)
    const customer = await make.customer(s, { assigned_id: u.id })
    await s.api(`1/customer/delete?id=${customer.id}`)
    await assertRefused('user', 'User', u.id, 'customer')
  })

  test('a user among a task’s assigned_ids is refused naming «task»', async () => {
    const u = await make.user(s)
    const task = await make.task(s, { assigned_ids: [1, u.id] })
    await assertRefused('user', 'User', u.id, 'task')
    await s.api(`1/task/update?id=${task.id}`, { assigned_ids: [1] })
    await assertDeleted('user', u.id)
  })

  test('the author of a task (user_id) is refused naming «task»', async () => {
    const u = await make.user(s)
    const task = await make.task(s, { assigned_ids: [1] }, { token: u.token })
    assert.equal(task.user_id, u.id)
    await assertRefused('user', 'User', u.id, 'task')
  })

  test('the author of a comment is refused naming «communication»', async () => {
    const u = await make.user(s)
    const customer = await make.customer(s)
    const comment = await make.comment(s, 'Customer', customer.id, {}, { token: u.token })
    assert.equal(comment.user_id, u.id)
    await assertRefused('user', 'User', u.id, 'communication')
    await s.api(`1/communication/delete?id=${comment.id}`)
    await assertDeleted('user', u.id)
  })

  test('a user referenced three ways gets one message per slug, each once, in table order', async () => {
    const u = await make.user(s)
    const customer = await make.customer(s, { assigned_id: u.id })
    await make.customer(s, { assigned_id: u.id })
    await make.comment(s, 'Customer', customer.id, {}, { token: u.token })
    await make.comment(s, 'Customer', customer.id, {}, { token: u.token })
    await make.task(s, { assigned_ids: [u.id] }, { token: u.token })
    await make.task(s, { assigned_ids: [u.id] })
    await assertRefused('user', 'User', u.id, 'customer', 'task', 'communication')
  })

  test('a task with a comment attached is refused naming «communication»; without it, it deletes', async () => {
    const task = await make.task(s)
    const comment = await make.comment(s, 'Task', task.id)
    assert.equal(comment.class, 'Task')
    await assertRefused('1/task', 'Task', task.id, 'communication')
    await assertDeleted('1/communication', comment.id, `?class=Task&related_id=${task.id}`)
    await assertDeleted('1/task', task.id)
  })

  test('log rows never count: a lead stage that only appears in the log deletes', async () => {
    const first = await make.dictionary(s, 'lead-status')
    const second = await make.dictionary(s, 'lead-status')
    const customer = await make.customer(s, { is_study: 0, lead_status_id: first.id })
    const u = await s.api(`1/customer/update?id=${customer.id}`, { lead_status_id: second.id })
    assert.equal(u.status, 200)
    const history = await s.api('1/log/index', {
      entity: 'Customer',
      entity_id: customer.id,
      field: 'lead_status_id',
    })
    assert.equal(history.body.total, 2, 'the old stage is in the log')
    await assertDeleted('1/lead-status', first.id)
  })

  test('log rows never count: a user whose only trace is the log deletes', async () => {
    const u = await make.user(s)
    // the user's own writes are in the log (user_id), but nothing else names it
    const location = await make.location(s, {}, { token: u.token })
    await s.call(`1/location/delete?id=${location.id}`, undefined, { token: u.token })
    const rows = await s.api('1/log/index', { user_id: u.id })
    assert.ok(rows.body.total >= 2)
    await assertDeleted('user', u.id)
  })
})

describe('the class of a comment decides what it holds (§6.9)', () => {
  const s = suiteServer()

  test('a comment on customer N does not hold task N', async () => {
    const task = await make.task(s)
    const customer = await make.customer(s)
    assert.equal(customer.id, task.id, 'a fresh database gives both id 1')
    await make.comment(s, 'Customer', customer.id)
    const r = await s.api(`1/task/delete?id=${task.id}`)
    assert.deepEqual(r.body, wire.deleted)
  })
})

describe('deleting branches (§6.9, §7.1)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' })

  test('the last branch is never deleted', async () => {
    const r = await s.api('branch/delete?id=1')
    assert.equal(r.status, 422, r.text)
    assert.deepEqual(r.body, wire.invalid({ id: ['Невозможно удалить последний филиал.'] }))
    const still = await s.api('branch/index', { id: 1 })
    assert.equal(still.body.total, 1)
  })

  test('a branch with customers is refused naming «customer»', async () => {
    const b = await make.branch(s)
    const customer = await make.customer(s, {}, { branch: b.id })
    const r = await s.api(`branch/delete?id=${b.id}`)
    assert.deepEqual(r.body, wire.refused('customer'))
    // an archived customer still belongs to the branch
    await s.api(`${b.id}/customer/delete?id=${customer.id}`)
    const again = await s.api(`branch/delete?id=${b.id}`)
    assert.deepEqual(again.body, wire.refused('customer'))
    assert.equal((await s.api('branch/index', { id: b.id })).body.total, 1)
  })

  test('a branch that is one of a customer’s several branches is refused too', async () => {
    const b = await make.branch(s)
    await make.customer(s, { branch_ids: [1, b.id] })
    const r = await s.api(`branch/delete?id=${b.id}`)
    assert.deepEqual(r.body, wire.refused('customer'))
  })

  test('a branch in a user’s branch_ids is refused naming «user»', async () => {
    const b = await make.branch(s)
    const u = await make.user(s, { branch_ids: [1, b.id] })
    const r = await s.api(`branch/delete?id=${b.id}`)
    assert.deepEqual(r.body, wire.refused('user'))
    await s.api(`user/update?id=${u.id}`, { branch_ids: [1] })
    const ok = await s.api(`branch/delete?id=${b.id}`)
    assert.deepEqual(ok.body, wire.deleted)
  })

  test('a branch with a location, a customer, a task and a user names each slug once, in table order', async () => {
    const b = await make.branch(s)
    await make.location(s, {}, { branch: b.id })
    await make.customer(s, {}, { branch: b.id })
    await make.customer(s, {}, { branch: b.id })
    await make.task(s, {}, { branch: b.id })
    await make.user(s, { branch_ids: [b.id] })
    const r = await s.api(`branch/delete?id=${b.id}`)
    assert.equal(r.status, 422)
    assert.deepEqual(r.body, wire.refused('location', 'customer', 'task', 'user'))
  })

  test('an empty branch deletes and is logged', async () => {
    const b = await make.branch(s)
    const r = await s.api(`branch/delete?id=${b.id}`)
    assert.deepEqual(r.body, wire.deleted)
    assert.equal((await s.api('branch/index', { id: b.id })).body.total, 0)
    const log = await s.api('1/log/index', { entity: 'Branch', entity_id: b.id })
    assert.deepEqual(
      log.body.items.map((i: { event: number }) => i.event),
      [3, 1],
    )
  })
})

describe('references must name visible records (§2.6)', () => {
  const s = suiteServer({}, make.secondBranch)

  test('a customer with a lead stage that does not exist is refused and not created', async () => {
    const before = await s.api('1/customer/index', { is_study: 2, removed: 1 })
    const r = await attempt.customer(s, { name: 'Иванов', is_study: 0, lead_status_id: 9999 })
    assert.equal(r.status, 422, r.text)
    assert.deepEqual(r.body, wire.invalid({ lead_status_id: ['Значение «Этап воронки» неверно.'] }))
    const afterIdx = await s.api('1/customer/index', { is_study: 2, removed: 1 })
    assert.equal(afterIdx.body.total, before.body.total)
  })

  test('an update to a lead stage that does not exist is refused and changes nothing', async () => {
    const stage = await make.dictionary(s, 'lead-status')
    const customer = await make.customer(s, { is_study: 0, lead_status_id: stage.id })
    const r = await s.api(`1/customer/update?id=${customer.id}`, { lead_status_id: 9999, name: 'Новое имя' })
    assert.deepEqual(r.body, wire.invalid({ lead_status_id: ['Значение «Этап воронки» неверно.'] }))
    const stored = (await s.api('1/customer/index', { id: customer.id, is_study: 0 })).body.items[0]
    assert.equal(stored.lead_status_id, stage.id)
    assert.equal(stored.name, customer.name)
  })

  test('every bad dictionary reference of a customer is reported with its label', async () => {
    const r = await attempt.customer(s, {
      name: 'Иванов',
      study_status_id: 9999,
      lead_status_id: 9999,
      lead_reject_id: 9999,
      customer_reject_id: 9999,
      lead_source_id: 9999,
      assigned_id: 9999,
    })
    assert.deepEqual(
      r.body,
      wire.invalid({
        study_status_id: ['Значение «Статус обучения» неверно.'],
        lead_status_id: ['Значение «Этап воронки» неверно.'],
        lead_reject_id: ['Значение «Причина отказа лида» неверно.'],
        customer_reject_id: ['Значение «Причина отказа клиента» неверно.'],
        lead_source_id: ['Значение «Источник» неверно.'],
        assigned_id: ['Значение «Ответственный» неверно.'],
      }),
    )
  })

  test('a room with a location of another branch is refused; in that branch it is accepted', async () => {
    const foreign = await make.location(s, {}, { branch: 2 })
    const r = await s.api('1/room/create', { name: 'Ауд. 1', location_id: foreign.id })
    assert.equal(r.status, 422, r.text)
    assert.deepEqual(r.body, wire.invalid({ location_id: ['Значение «Локация» неверно.'] }))
    assert.equal((await s.api('1/room/index', { location_id: foreign.id })).body.total, 0)
    const ok = await make.room(s, { location_id: foreign.id }, { branch: 2 })
    assert.equal(ok.location_id, foreign.id)
  })

  test('moving a room to a location of another branch is refused', async () => {
    const own = await make.location(s)
    const foreign = await make.location(s, {}, { branch: 2 })
    const room = await make.room(s, { location_id: own.id })
    const r = await s.api(`1/room/update?id=${room.id}`, { location_id: foreign.id })
    assert.deepEqual(r.body, wire.invalid({ location_id: ['Значение «Локация» неверно.'] }))
    const stored = (await s.api('1/room/index', { id: room.id })).body.items[0]
    assert.equal(stored.location_id, own.id)
  })

  test('a room created in branch 2 through branch 1 takes a location of branch 2', async () => {
    const foreign = await make.location(s, {}, { branch: 2 })
    const r = await s.api('1/room/create', { name: 'Ауд. 2', branch_id: 2, location_id: foreign.id })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.model.branch_id, 2)
  })
})
