import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type ApiUser, idsOf, make } from '../helpers/make.js'
import { type Server, suiteServer } from '../helpers/server.js'
import { strict } from '../helpers/wire.js'

/**
 * The staff app's second round of extensions (§9), over HTTP against a real server: a user linked to a
 * teacher (`user.teacher_id`), grouped counts (`customer/count`, `lesson/count`) and `pay/total` groups.
 */
type Item = Record<string, any>

async function ok(s: Server, path: string, body: unknown = {}, token?: string) {
  const r = token === undefined ? await s.api(path, body) : await s.call(path, body, { token })
  assert.equal(r.status, 200, `${path} ${JSON.stringify(body)}: ${r.text}`)
  return r.body
}

/** Every status, since lesson/index lists only conducted lessons by default (§7.5). */
const ANY_STATUS = { status: [1, 2, 3] }

describe('user.teacher_id [ext]', () => {
  let teacherA: number
  let teacherB: number
  let customer: number
  let lessonsA: number[] = []
  let lessonB: number
  let linked: ApiUser
  let unlinked: ApiUser

  const lesson = async (s: Server, teacherIds: number[], date: string) =>
    (
      await ok(s, '1/lesson/create', {
        date,
        time_from: '10:00',
        time_to: '11:00',
        lesson_type_id: 1,
        subject_id: 1,
        teacher_ids: teacherIds,
        customer_ids: [customer],
      })
    ).model.id as number

  const s = suiteServer({}, async (s) => {
    await make.dictionary(s, 'subject')
    teacherA = (await ok(s, '1/teacher/create', { name: 'Педагог А' })).model.id
    teacherB = (await ok(s, '1/teacher/create', { name: 'Педагог Б' })).model.id
    customer = (await make.customer(s)).id
    lessonsA = [
      await lesson(s, [teacherA], '2025-09-15'),
      await lesson(s, [teacherA, teacherB], '2025-09-16'),
      await lesson(s, [teacherA], '2025-09-17'),
    ]
    lessonB = await lesson(s, [teacherB], '2025-09-18')
    await lesson(s, [], '2025-09-19')
    linked = await make.user(s, { role: 'teacher', teacher_id: teacherA })
    unlinked = await make.user(s, { role: 'teacher' })
  })

  test('a linked teacher lists only its lessons, with an exact total and paging', async () => {
    const mine = await ok(s, '1/lesson/index', ANY_STATUS, linked.token)
    assert.equal(mine.total, 3)
    assert.deepEqual([...idsOf({ body: mine })].sort(), [...lessonsA].sort())
    const page = await ok(s, '1/lesson/index', { ...ANY_STATUS, count: 2, page: 1 }, linked.token)
    assert.equal(page.total, 3)
    assert.equal(page.items.length, 1)
    const counted = await ok(s, '1/lesson/count', { ...ANY_STATUS, group_by: 'status' }, linked.token)
    assert.deepEqual(counted, { total: 3, groups: [{ value: 1, count: 3 }] })
  })

  test('a linked teacher sees only its lessons in a calendar view', async () => {
    const range = 'date1=01.09.2025&date2=30.09.2025'
    const all = await ok(s, `1/calendar/customer?id=${customer}&${range}`)
    assert.equal(all.length, 5)
    const mine = (await ok(s, `1/calendar/customer?id=${customer}&${range}`, {}, linked.token)) as Item[]
    assert.deepEqual(mine.map((l) => l.id).sort(), [...lessonsA].sort())
    const b = (await ok(s, `1/calendar/teacher?id=${teacherB}&${range}`, {}, linked.token)) as Item[]
    assert.deepEqual(
      b.map((l) => l.id),
      [lessonsA[1]],
      "of teacher B's lessons only the one A teaches too",
    )
  })

  test("a linked teacher updates the attendance of its lesson; another's is a 403 and changes nothing", async () => {
    const own = await s.call(
      '1/lesson/update',
      { id: lessonsA[0], details: [{ customer_id: customer, is_attend: 1, note: 'Был' }] },
      { token: linked.token },
    )
    assert.equal(own.status, 200, own.text)
    assert.equal(own.body.model.details[0].is_attend, 1)
    const before = (await ok(s, '1/lesson/index', { ...ANY_STATUS, id: lessonB })).items[0]
    const other = await s.call(
      '1/lesson/update',
      { id: lessonB, topic: 'Чужой', details: [{ customer_id: customer, is_attend: 1 }] },
      { token: linked.token },
    )
    assert.equal(other.status, 403, other.text)
    assert.equal(other.body.message, 'Access Denied')
    const after = (await ok(s, '1/lesson/index', { ...ANY_STATUS, id: lessonB })).items[0]
    assert.deepEqual(after, before)
    assert.equal((await s.call('1/lesson/delete', { id: lessonsA[2] }, { token: linked.token })).status, 403)
  })

  test('a teacher user without teacher_id, and a manager, still see every lesson (§2.4)', async () => {
    assert.equal((await ok(s, '1/lesson/index', ANY_STATUS, unlinked.token)).total, 5)
    const manager = await make.user(s, { role: 'manager', teacher_id: teacherA })
    assert.equal((await ok(s, '1/lesson/index', ANY_STATUS, manager.token)).total, 5)
    const update = await s.call('1/lesson/update', { id: lessonB, topic: 'Тема' }, { token: unlinked.token })
    assert.equal(update.status, 200, update.text)
  })

  test('an admin sets and clears teacher_id; a wrong one is a 422; the user filter finds it', async () => {
    const u = await make.user(s, { role: 'teacher' }, { login: false })
    const set = await ok(s, 'user/update', { id: u.id, teacher_id: teacherB })
    assert.equal(set.model.teacher_id, teacherB)
    const found = await ok(s, 'user/index', { teacher_id: teacherB })
    assert.deepEqual(idsOf({ body: found }), [u.id])
    const cleared = await ok(s, 'user/update', { id: u.id, teacher_id: null })
    assert.equal(cleared.model.teacher_id, null)
    const bad = await s.api('user/update', { id: u.id, teacher_id: 999999 })
    assert.equal(bad.status, 422)
    assert.deepEqual(bad.body.errors, { teacher_id: ['Значение «Педагог» неверно.'] })
    const text = await s.api('user/create', { name: 'X', email: 'x@school.example', teacher_id: 'abc' })
    assert.equal(text.status, 422)
    assert.ok(text.body.errors.teacher_id)
    const unchanged = await ok(s, 'user/index', { id: u.id })
    assert.equal(unchanged.items[0].teacher_id, null)
  })

  test('deleting a teacher a user names archives it, as every teacher delete does (§6.9)', async () => {
    // Teachers are never removed, so the user's reference never dangles: it stays, and so do its rules.
    const t = (await ok(s, '1/teacher/create', { name: 'Педагог В' })).model.id
    const u = await make.user(s, { role: 'teacher', teacher_id: t }, { login: false })
    assert.deepEqual(await ok(s, '1/teacher/delete', { id: t }), { success: true, errors: [] })
    const archived = await ok(s, '1/teacher/index', { id: t, removed: 1 })
    assert.equal(archived.items[0].removed, 1)
    assert.equal((await ok(s, 'user/index', { id: u.id })).items[0].teacher_id, t)
  })

  test('auth/me shows teacher_id (null when unlinked)', async () => {
    assert.equal((await ok(s, 'auth/me', {}, linked.token)).user.teacher_id, teacherA)
    assert.equal((await ok(s, 'auth/me', {}, unlinked.token)).user.teacher_id, null)
  })
})

describe('customer/count and lesson/count [ext]', () => {
  const statuses: number[] = []
  let teachers: number[] = []
  const s = suiteServer({}, async (s) => {
    for (const name of ['Новый', 'Пробное', 'Оплатил'])
      statuses.push((await make.dictionary(s, 'lead-status', { name })).id)
    const plan: Array<[number | null, number]> = [
      [statuses[0]!, 3],
      [statuses[1]!, 1],
      [statuses[2]!, 2],
      [null, 2],
    ]
    for (const [status, n] of plan)
      for (let i = 0; i < n; i++)
        await make.customer(s, { is_study: i % 2, lead_status_id: status, gender: i === 0 ? 1 : 2 })
    await make.dictionary(s, 'subject')
    teachers = [
      (await ok(s, '1/teacher/create', { name: 'Т1' })).model.id,
      (await ok(s, '1/teacher/create', { name: 'Т2' })).model.id,
    ]
    const lists = [[teachers[0]], [teachers[0], teachers[1]], [teachers[1]], [], [teachers[0]]]
    for (const [i, teacher_ids] of lists.entries()) {
      const l = await ok(s, '1/lesson/create', {
        date: `2025-09-1${i}`,
        time_from: '10:00',
        time_to: '11:00',
        lesson_type_id: 1,
        subject_id: 1,
        teacher_ids,
      })
      if (i < 2) await ok(s, '1/lesson/update', { id: l.model.id, status: 3 })
    }
  })

  /** Asserts the groups' counts against index totals, one filter per group; returns the groups. */
  async function checkGroups(path: string, field: string, body: Record<string, unknown>, key = field) {
    const counted = await ok(s, `1/${path}/count`, { ...body, group_by: field })
    const index = await ok(s, `1/${path}/index`, body)
    assert.equal(counted.total, index.total, 'total is index total')
    const values = counted.groups.map((g: Item) => g.value)
    const nonNull = values.filter((v: unknown) => v !== null)
    assert.deepEqual(
      nonNull,
      [...nonNull].sort((a: number, b: number) => a - b),
      'ascending',
    )
    if (values.includes(null)) assert.equal(values.at(-1), null, 'null last')
    for (const g of counted.groups as Item[]) {
      if (g.value === null) continue
      assert.equal(
        g.count,
        (await ok(s, `1/${path}/index`, { ...body, [key]: g.value })).total,
        `${field}=${g.value}`,
      )
    }
    return counted
  }

  test('customers by lead status: counts add up to total, each equals index with that filter, null group', async () => {
    const body = { is_study: 2 }
    const counted = await checkGroups('customer', 'lead_status_id', body)
    assert.equal(counted.total, 8)
    assert.deepEqual(counted.groups, [
      { value: statuses[0], count: 3 },
      { value: statuses[1], count: 1 },
      { value: statuses[2], count: 2 },
      { value: null, count: 2 },
    ])
    const sum = counted.groups.reduce((n: number, g: Item) => n + g.count, 0)
    assert.equal(sum, counted.total)
  })

  test('filters and default filters narrow it like index; paging and sort are ignored', async () => {
    // The default is_study = 1 applies, as in index.
    const students = await checkGroups('customer', 'lead_status_id', {})
    assert.equal(students.total, (await ok(s, '1/customer/index')).total)
    assert.deepEqual(students.groups, [
      { value: statuses[0], count: 1 },
      { value: statuses[2], count: 1 },
      { value: null, count: 1 },
    ])
    const narrowed = await checkGroups('customer', 'lead_status_id', { is_study: 2, gender: 1 })
    assert.equal(narrowed.total, 4)
    const paged = await ok(s, '1/customer/count?sort=name', { group_by: 'lead_status_id', page: 3, count: 1 })
    assert.deepEqual(paged, students)
    const byQuery = await ok(s, '1/customer/count?group_by=lead_status_id')
    assert.deepEqual(byQuery, students)
    const other = await checkGroups('customer', 'study_status_id', { is_study: 2 })
    assert.deepEqual(other.groups, [{ value: null, count: 8 }])
  })

  test('lessons by status, room and teacher; a lesson counts once per teacher', async () => {
    const byStatus = await checkGroups('lesson', 'status', ANY_STATUS)
    assert.deepEqual(byStatus, {
      total: 5,
      groups: [
        { value: 1, count: 3 },
        { value: 3, count: 2 },
      ],
    })
    const defaulted = await checkGroups('lesson', 'status', {})
    assert.deepEqual(defaulted, { total: 2, groups: [{ value: 3, count: 2 }] })
    const byTeacher = await checkGroups('lesson', 'teacher_id', ANY_STATUS)
    assert.deepEqual(byTeacher, {
      total: 5,
      groups: [
        { value: teachers[0], count: 3 },
        { value: teachers[1], count: 2 },
        { value: null, count: 1 },
      ],
    })
    const narrowed = await checkGroups('lesson', 'teacher_id', { ...ANY_STATUS, date_from: '2025-09-11' })
    assert.equal(narrowed.total, 4)
    const byRoom = await ok(s, '1/lesson/count', { ...ANY_STATUS, group_by: 'room_id' })
    assert.deepEqual(byRoom, { total: 5, groups: [{ value: null, count: 5 }] })
  })

  test('group_by missing is a 400 naming it; a value not allowed is a 400 on it', async () => {
    for (const path of ['1/customer/count', '1/lesson/count']) {
      const missing = await s.api(path, {})
      assert.equal(missing.status, 400)
      assert.equal(missing.body.message, 'Отсутствуют обязательные параметры: group_by')
      for (const group_by of ['name', 'id', 'nope', 1, ['status']]) {
        const bad = await s.api(path, { group_by })
        assert.equal(bad.status, 400, `${path} ${JSON.stringify(group_by)}`)
        assert.match(bad.body.message, /group_by/)
      }
    }
    const badFilter = await s.api('1/lesson/count', { group_by: 'status', room_id: 'abc' })
    assert.equal(badFilter.status, 400)
  })

  test('branch visibility: another branch counts its own records', async () => {
    await make.secondBranch(s)
    assert.deepEqual(await ok(s, '2/customer/count', { group_by: 'lead_status_id' }), {
      total: 0,
      groups: [],
    })
  })
})

describe('pay/total group_by [ext]', () => {
  const accounts: number[] = []
  const s = suiteServer({}, async (s) => {
    accounts.push((await make.payAccount(s)).id, (await make.payAccount(s)).id, (await make.payAccount(s)).id)
    const customer = (await make.customer(s)).id
    const teacher = (await ok(s, '1/teacher/create', { name: 'Педагог' })).model.id
    const pays: Array<[account: number, type: number, income: string, confirmed: number]> = [
      [0, 1, '1000.00', 1],
      [0, 1, '250.50', 1],
      [0, 2, '100.00', 1],
      [0, 1, '999.00', 0],
      [1, 1, '5000.00', 1],
      [1, 3, '300.00', 1],
      [1, 4, '1200.00', 1],
      [2, 2, '70.00', 1],
    ]
    for (const [account, type, income, confirmed] of pays) {
      await make.pay(s, {
        customer_id: type <= 2 ? customer : null,
        teacher_id: type === 4 ? teacher : null,
        pay_account_id: accounts[account],
        pay_type_id: type,
        income,
        is_confirmed: confirmed,
      })
    }
  })

  const kopecks = (m: string) => Math.round(Number(m) * 100)

  test('each group equals pay/total filtered by its value; the groups add up to the totals', async () => {
    for (const [field, body] of [
      ['pay_account_id', {}],
      ['pay_type_id', {}],
      ['pay_account_id', { pay_type_id: 1 }],
    ] as const) {
      const r = await ok(s, '1/pay/total', { ...body, group_by: field })
      const { groups, ...totals } = r
      assert.deepEqual(totals, await ok(s, '1/pay/total', body), 'the totals are unchanged')
      const values = groups.map((g: Item) => g.value)
      assert.deepEqual(
        values,
        [...values].sort((a: number, b: number) => a - b),
      )
      for (const { value, ...figures } of groups as Item[])
        assert.deepEqual(
          figures,
          await ok(s, '1/pay/total', { ...body, [field]: value }),
          `${field}=${value}`,
        )
      for (const key of ['income', 'refund', 'expense', 'salary', 'net'])
        assert.equal(
          groups.reduce((n: number, g: Item) => n + kopecks(g[key]), 0),
          kopecks(totals[key]),
          `${field}: ${key}`,
        )
      assert.equal(
        groups.reduce((n: number, g: Item) => n + g.count, 0),
        totals.count,
      )
    }
  })

  test('the exact shape; without group_by no groups; a wrong group_by is a 400', async () => {
    const r = await ok(s, '1/pay/total', { group_by: 'pay_account_id' })
    assert.deepEqual(r.groups[0], {
      value: accounts[0],
      count: 4,
      income: '1250.50',
      refund: '100.00',
      expense: '0.00',
      salary: '0.00',
      net: '1150.50',
    })
    assert.equal('groups' in (await ok(s, '1/pay/total')), false)
    const bad = await s.api('1/pay/total', { group_by: 'customer_id' })
    assert.equal(bad.status, 400)
    assert.match(bad.body.message, /group_by/)
    const strictly = await s.api('1/pay/total', { group_by: 'pay_type_id' }, strict)
    assert.equal(strictly.status, 200, strictly.text)
  })
})

describe('cgi/count [ext]: members per group in one call', () => {
  const s = suiteServer()

  test('each group’s count equals cgi/index of that group; ended memberships count only with dates', async () => {
    const ok = async (path: string, body: unknown) => {
      const r = await s.api(path, body)
      assert.equal(r.status, 200, r.text)
      return r.body
    }
    const groups: number[] = []
    for (const name of ['Члены А', 'Члены Б']) groups.push((await ok('1/group/create', { name })).model.id)
    const [a, b] = groups as [number, number]
    const pupils: number[] = []
    for (let i = 0; i < 5; i++)
      pupils.push((await ok('1/customer/create', { name: `Член ${i}`, is_study: 1, legal_type: 1 })).model.id)
    for (const c of pupils.slice(0, 3))
      await ok(`1/cgi/create?customer_id=${c}&group_id=${a}`, { b_date: '01.09.2025' })
    for (const c of pupils.slice(2))
      await ok(`1/cgi/create?customer_id=${c}&group_id=${b}`, { b_date: '01.09.2025' })
    // One membership of B has ended: not a current member.
    const ended = (await ok('1/cgi/index', { group_id: b })).items[0].id
    await ok(`1/cgi/update?id=${ended}`, { e_date: '01.10.2025' })

    const counted = await ok('1/cgi/count', { group_by: 'group_id' })
    const byGroup = new Map(counted.groups.map((g: { value: number; count: number }) => [g.value, g.count]))
    for (const g of groups) assert.equal(byGroup.get(g), (await ok('1/cgi/index', { group_id: g })).total)
    assert.deepEqual([byGroup.get(a), byGroup.get(b)], [3, 2])
    assert.equal(counted.total, 5)
    const withEnded = await ok('1/cgi/count', { group_by: 'group_id', date_to: '31.12.2030' })
    assert.equal(new Map(withEnded.groups.map((g: any) => [g.value, g.count])).get(b), 3)
    const one = await ok('1/cgi/count', { group_by: 'customer_id', group_id: b })
    assert.equal(one.total, 2)
    assert.equal((await s.api('1/cgi/count', {})).status, 400)
  })
})
