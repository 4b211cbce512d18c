import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type ApiUser, make } from '../helpers/make.js'
import { type Server, suiteServer } from '../helpers/server.js'
import { strict } from '../helpers/wire.js'

/**
 * `names` [ext] over HTTP: index, count and pay/total name the records their references point at, in
 * the same call, only for models the caller may read and records visible in the path branch.
 */
type Item = Record<string, any>

async function ok(s: Server, path: string, body: unknown = {}, token?: string) {
  const r = token === undefined ? await s.api(path, body) : await s.call(path, body, { token })
  assert.equal(r.status, 200, `${path} ${JSON.stringify(body)}: ${r.text}`)
  return r.body
}

describe('names [ext]', () => {
  let subject: Item
  let room: Item
  const teachers: Item[] = []
  const customers: Item[] = []
  let otherBranchCustomer: Item
  let group: Item
  let lessonIds: number[] = []
  const accounts: Item[] = []
  const sources: Item[] = []
  let manager: ApiUser
  let taskId: number

  const s = suiteServer({}, async (s) => {
    subject = await make.dictionary(s, 'subject', { name: 'Английский' })
    room = await make.room(s, { name: 'Ауд. 7' })
    for (const name of ['Иванова А. П.', 'Петров Б. В.'])
      teachers.push((await ok(s, '1/teacher/create', { name })).model)
    for (const name of ['Сайт', 'Звонок']) sources.push(await make.dictionary(s, 'lead-source', { name }))
    for (const [name, source] of [
      ['Клиент Один', sources[0]!.id],
      ['Клиент Два', sources[0]!.id],
      ['Клиент Три', sources[1]!.id],
    ] as const)
      customers.push(await make.customer(s, { name, is_study: 0, lead_source_id: source }))
    group = (await ok(s, '1/group/create', { name: 'Группа А1', teacher_ids: [teachers[0]!.id] })).model
    lessonIds = []
    for (const [teacher_ids, customer_ids, group_ids] of [
      [[teachers[0]!.id], [customers[0]!.id], []],
      [[teachers[0]!.id, teachers[1]!.id], [], [group.id]],
      [[], [customers[1]!.id, customers[2]!.id], []],
    ]) {
      const l = await ok(s, '1/lesson/create', {
        date: '2025-09-15',
        time_from: '10:00',
        time_to: '11:00',
        lesson_type_id: 1,
        subject_id: subject.id,
        room_id: room.id,
        teacher_ids,
        customer_ids,
        group_ids,
      })
      lessonIds.push(l.model.id)
    }
    for (const name of ['Касса', 'Банк']) accounts.push(await make.payAccount(s, { name }))
    await make.pay(s, { customer_id: customers[0]!.id, pay_account_id: accounts[0]!.id, income: '100.00' })
    await make.pay(s, { customer_id: customers[1]!.id, pay_account_id: accounts[1]!.id, income: '50.00' })
    manager = await make.user(s, { role: 'manager', branch_ids: [1] })
    taskId = (await make.task(s, { customer_ids: [customers[0]!.id], assigned_ids: [1, manager.id] })).id
    await make.secondBranch(s)
    otherBranchCustomer = await make.customer(s, { name: 'Чужой', branch_ids: [2] })
  })

  const lessonsBody = { status: [1, 2, 3], date_from: '2025-09-15', date_to: '2025-09-15' }

  test('index: every reference field named, exactly what the records point at', async () => {
    const r = await ok(s, '1/lesson/index', { ...lessonsBody, names: 1 })
    assert.equal(r.items.length, 3)
    assert.deepEqual(r.names.subject_id, { [subject.id]: 'Английский' })
    assert.deepEqual(r.names.room_id, { [room.id]: 'Ауд. 7' })
    assert.deepEqual(r.names.teacher_ids, {
      [teachers[0]!.id]: 'Иванова А. П.',
      [teachers[1]!.id]: 'Петров Б. В.',
    })
    assert.deepEqual(r.names.group_ids, { [group.id]: 'Группа А1' })
    assert.deepEqual(r.names.customer_ids, {
      [customers[0]!.id]: 'Клиент Один',
      [customers[1]!.id]: 'Клиент Два',
      [customers[2]!.id]: 'Клиент Три',
    })
    // Every id an item holds is named, and nothing else.
    for (const field of ['subject_id', 'room_id', 'teacher_ids', 'group_ids', 'customer_ids']) {
      const held = new Set(r.items.flatMap((l: Item) => (Array.isArray(l[field]) ? l[field] : [l[field]])))
      held.delete(null)
      assert.deepEqual(Object.keys(r.names[field]).map(Number).sort(), [...held].sort(), field)
    }
  })

  test('without names (absent, 0 or empty) the reply is the plain index; names does not change it', async () => {
    const plain = await ok(s, '1/lesson/index', lessonsBody)
    assert.deepEqual(Object.keys(plain), ['total', 'count', 'page', 'items'])
    assert.deepEqual(await ok(s, '1/lesson/index', { ...lessonsBody, names: 0 }), plain)
    assert.deepEqual(await ok(s, '1/lesson/index', { ...lessonsBody, names: '' }), plain)
    const { names, ...rest } = await ok(s, '1/lesson/index', { ...lessonsBody, names: 1 })
    assert.ok(names)
    assert.deepEqual(rest, plain)
    // The query form, and strict mode takes it as no filter.
    const q = await ok(s, '1/lesson/index?names=1', lessonsBody)
    assert.ok(q.names.subject_id)
    const strictly = await s.api('1/lesson/index', { ...lessonsBody, names: 1 }, strict)
    assert.equal(strictly.status, 200, strictly.text)
  })

  test('a wrong names value is a 400 on names', async () => {
    for (const path of ['1/lesson/index', '1/customer/count', '1/pay/total']) {
      const r = await s.api(path, {
        names: 'yes',
        group_by: path.includes('count') ? 'lead_source_id' : undefined,
      })
      assert.equal(r.status, 400, path)
      assert.match(r.body.message, /names/)
    }
  })

  test('an empty page names nothing; ids of records not visible in the branch are not named', async () => {
    const none = await ok(s, '1/lesson/index', {
      ...lessonsBody,
      date_from: '2030-01-01',
      date_to: '2030-01-01',
      names: 1,
    })
    assert.equal(none.items.length, 0)
    assert.deepEqual(none.names.subject_id, {})
    // A task of both branches naming a customer of each: each branch names only its own.
    const t = await make.task(s, {
      branch_ids: [1, 2],
      customer_ids: [customers[2]!.id, otherBranchCustomer.id],
    })
    const one = await ok(s, '1/task/index', { id: t.id, names: 1 })
    assert.deepEqual(one.names.customer_ids, { [customers[2]!.id]: 'Клиент Три' })
    const two = await ok(s, '2/task/index', { id: t.id, names: 1 })
    assert.deepEqual(two.names.customer_ids, { [otherBranchCustomer.id]: 'Чужой' })
  })

  test('models the caller may not read are left out (users for a manager), the rest named', async () => {
    const admin = await ok(s, '1/task/index', { id: taskId, names: 1 })
    assert.equal(admin.names.assigned_ids[manager.id], 'Сотрудник')
    const r = await ok(s, '1/task/index', { id: taskId, names: 1 }, manager.token)
    assert.equal(r.items.length, 1)
    assert.equal('assigned_ids' in r.names, false)
    assert.equal('user_id' in r.names, false)
    assert.deepEqual(r.names.customer_ids, { [customers[0]!.id]: 'Клиент Один' })
  })

  test('customer/count names the grouped values; the counts are unchanged', async () => {
    const body = { is_study: 0, group_by: 'lead_source_id' }
    const plain = await ok(s, '1/customer/count', body)
    const r = await ok(s, '1/customer/count', { ...body, names: 1 })
    assert.deepEqual(r, {
      ...plain,
      names: { lead_source_id: { [sources[0]!.id]: 'Сайт', [sources[1]!.id]: 'Звонок' } },
    })
    // Grouped through an id list: the names sit under the group_by key.
    const byTeacher = await ok(s, '1/lesson/count', { ...lessonsBody, group_by: 'teacher_id', names: 1 })
    assert.deepEqual(byTeacher.names, {
      teacher_id: { [teachers[0]!.id]: 'Иванова А. П.', [teachers[1]!.id]: 'Петров Б. В.' },
    })
    // A grouped value that references nothing (status) has no names.
    assert.deepEqual(
      (await ok(s, '1/lesson/count', { ...lessonsBody, group_by: 'status', names: 1 })).names,
      {},
    )
  })

  test('pay/total names the accounts of its groups; without group_by names adds nothing', async () => {
    const plain = await ok(s, '1/pay/total', { group_by: 'pay_account_id' })
    const r = await ok(s, '1/pay/total', { group_by: 'pay_account_id', names: 1 })
    assert.deepEqual(r, {
      ...plain,
      names: { pay_account_id: { [accounts[0]!.id]: 'Касса', [accounts[1]!.id]: 'Банк' } },
    })
    assert.deepEqual(await ok(s, '1/pay/total', { names: 1 }), await ok(s, '1/pay/total'))
  })

  test('the OpenAPI document describes the key and the replies', async () => {
    const doc = (await (await fetch(`${s.url}/v2api/openapi.json`)).json()) as Item
    const schemas = doc.components.schemas
    assert.deepEqual(schemas.LessonFilter.properties.names.enum, [0, 1])
    assert.ok(schemas.LessonList.properties.names)
    assert.equal(schemas.LessonList.required.includes('names'), false)
  })
})
