import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { addDays, formatDate, nowParts } from '../../src/wire/dates.js'
import { idsOf, make } from '../helpers/make.js'
import { type Server, suiteServer } from '../helpers/server.js'
import { strict, wire } from '../helpers/wire.js'

/**
 * The staff app's extensions of index (§9): `sort`, the customer filter `has_next_lesson` and
 * `pay/total`, each over HTTP against a real server.
 */
type Item = Record<string, any>

/** Money string → kopecks, sign included. */
const kopecks = (s: string) => (s.startsWith('-') ? -1 : 1) * Number(s.replace(/^-/, '').replace('.', ''))
const money = (k: number) =>
  `${k < 0 ? '-' : ''}${Math.floor(Math.abs(k) / 100)}.${String(Math.abs(k) % 100).padStart(2, '0')}`

async function ok(s: Server, path: string, body: unknown = {}, opts = {}) {
  const r = await s.api(path, body, opts)
  assert.equal(r.status, 200, `${path} ${JSON.stringify(body)}: ${r.text}`)
  return r.body
}

/** Every page of an index with `count` per page, concatenated; asserts the pages agree on the total. */
async function allPages(s: Server, path: string, body: Record<string, unknown>, count = 2) {
  const items: Item[] = []
  let total = -1
  for (let page = 0; page < 100; page++) {
    const r = await ok(s, path, { ...body, page, count })
    if (total === -1) total = r.total
    assert.equal(r.total, total, 'the total stays while paging')
    if (r.items.length === 0) break
    items.push(...r.items)
  }
  assert.equal(items.length, total, 'the pages hold every record once')
  assert.equal(new Set(items.map((i) => i.id)).size, items.length, 'no record repeats')
  return items
}

/** Compares two sort keys as the server does: nulls last, text case-insensitively by code point. */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null) return 1
  if (b === null) return -1
  const x = typeof a === 'string' ? a.toLowerCase() : a
  const y = typeof b === 'string' ? b.toLowerCase() : b
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0
}

/** Asserts `items` are in the order of `keys` (`-` descending, nulls last), then id in the last key's direction. */
function assertOrdered(
  items: Item[],
  keys: string[],
  value: (i: Item, f: string) => unknown = (i, f) => i[f],
) {
  const dirs = keys.map((k) => (k.startsWith('-') ? -1 : 1))
  const fields = keys.map((k) => k.replace(/^-/, ''))
  for (let n = 1; n < items.length; n++) {
    const [a, b] = [items[n - 1]!, items[n]!]
    let c = 0
    for (const [j, f] of fields.entries()) {
      const [va, vb] = [value(a, f), value(b, f)]
      c = va === null || vb === null ? compare(va, vb) : dirs[j]! * compare(va, vb)
      if (c !== 0) break
    }
    if (c === 0) c = dirs.at(-1)! * (a.id - b.id)
    assert.ok(
      c < 0,
      `${keys}: ${JSON.stringify([a, b].map((i) => [i.id, ...fields.map((f) => value(i, f))]))}`,
    )
  }
}

/** A customer's sort value: balance in kopecks, dob (dd.mm.yyyy on the wire) as ISO. */
const balance = (i: Item, f: string) =>
  f === 'balance' ? kopecks(i.balance) : f === 'dob' && i.dob ? i.dob.split('.').reverse().join('-') : i[f]

describe('index sort [ext]', () => {
  const names = ['бета', 'Альфа', 'альфа', 'Гамма', 'Бета', 'дельта', 'Альфа', 'Yankee', 'zulu']
  // Income, or a refund when negative: balances with ties, zeros and a negative one.
  const pays = [500, 0, 1500, 500, -200, 0, 500, 9999, 1500]
  const s = suiteServer({}, async (s) => {
    const account = await make.payAccount(s)
    for (const [i, name] of names.entries()) {
      const c = await make.customer(s, { name, dob: i % 3 === 0 ? null : `0${i + 1}.01.2015` })
      const amount = pays[i]!
      if (amount === 0) continue
      await make.pay(s, {
        customer_id: c.id,
        pay_account_id: account.id,
        pay_type_id: amount > 0 ? 1 : 2,
        income: money(Math.abs(amount) * 100),
      })
    }
  })

  test('sorts by name both ways, case-insensitively; pages concatenated are the whole sorted list', async () => {
    for (const sort of ['name', '-name']) {
      const paged = await allPages(s, '1/customer/index', { sort })
      assert.equal(paged.length, names.length)
      assertOrdered(paged, [sort])
      const whole = await ok(s, '1/customer/index', { sort, count: 50 })
      assert.deepEqual(
        paged.map((i) => i.id),
        idsOf({ body: whole }),
      )
    }
  })

  test('sorts by balance (the base account column), ties by id, with paging; query and body forms', async () => {
    const up = await allPages(s, '1/customer/index?sort=balance', {}, 3)
    assertOrdered(up, ['balance'], balance)
    assert.equal(up[0]!.balance, '-200.00')
    const down = await allPages(s, '1/customer/index?sort=name', { sort: '-balance' }, 4)
    assertOrdered(down, ['-balance'], balance)
    assert.equal(down[0]!.balance, '9999.00', 'the body wins over the query')
  })

  test('takes up to three keys as a list or an array', async () => {
    const listed = await allPages(s, '1/customer/index', { sort: '-balance,name' })
    assertOrdered(listed, ['-balance', 'name'], balance)
    const array = await allPages(s, '1/customer/index', { sort: ['dob', '-name', 'id'] }, 4)
    assertOrdered(array, ['dob', '-name', 'id'], balance)
    assert.equal(array.at(-1)!.dob, null, 'nulls come last')
    const spaced = await ok(s, '1/customer/index', { sort: 'balance, -name', count: 50 })
    assertOrdered(spaced.items, ['balance', '-name'], balance)
  })

  test('sorts what the filters select', async () => {
    const r = await allPages(s, '1/customer/index', { name: 'альфа', sort: '-id' }, 2)
    assert.deepEqual(
      r.map((i) => i.name.toLowerCase()),
      ['альфа', 'альфа', 'альфа'],
    )
    assertOrdered(r, ['-id'])
    const ranged = await allPages(s, '1/customer/index', { balance_contract_from: '0.01', sort: 'balance' })
    assert.deepEqual(
      ranged.map((i) => i.balance),
      ['500.00', '500.00', '500.00', '1500.00', '1500.00', '9999.00'],
    )
  })

  test('without a sort (absent or empty) the default order stays, and keyset paging after sorted paging', async () => {
    const plain = await ok(s, '1/customer/index', { count: 50 })
    const ascending = [...idsOf({ body: plain })].sort((a, b) => a - b)
    assert.deepEqual(idsOf({ body: plain }), ascending)
    for (const sort of ['', [], null]) {
      assert.deepEqual(idsOf({ body: await ok(s, '1/customer/index', { sort, count: 50 }) }), ascending)
    }
    // The same filter sorted, then in the default order: page starts kept for one order serve only it.
    await allPages(s, '1/customer/index', { sort: '-name' }, 2)
    const paged = await allPages(s, '1/customer/index', {}, 2)
    assert.deepEqual(
      paged.map((i) => i.id),
      ascending,
    )
    const lessons = await ok(s, '1/lesson/index', { sort: '-date' })
    assert.equal(lessons.total, 0)
  })

  test('a wrong sort is a 400 on `sort`', async () => {
    const wrong: unknown[] = [
      'note',
      'nope',
      '--name',
      'name,',
      ',name',
      'name,name',
      'name,-name',
      'id,name,dob,balance',
      ['name', 1],
      [''],
      5,
      { name: 1 },
      'balance_base',
    ]
    for (const sort of wrong) {
      const r = await s.api('1/customer/index', { sort })
      assert.deepEqual([r.status, r.body], [400, wire.badParam('sort')], JSON.stringify(sort))
    }
    const query = await s.api('1/customer/index?sort=phone')
    assert.deepEqual(query.body, wire.badParam('sort'))
    const pay = await s.api('1/pay/index', { sort: 'payer_name' })
    assert.deepEqual(pay.body, wire.badParam('sort'))
  })

  test('strict mode takes `sort` as a paging key; a model without sorts keeps its own `sort` field', async () => {
    const r = await ok(s, '1/customer/index', { sort: '-name', count: 50 }, strict)
    assertOrdered(r.items, ['-name'])
    const refused = await s.api('1/customer/index', { sorted: 'name' }, strict)
    assert.deepEqual(refused.body, wire.unknownParam('sorted'))
    // lesson-type has a field `sort` and takes no sort parameter: the key stays ignored, as before.
    const types = await ok(s, 'lesson-type/index', { sort: 'nope' }, strict)
    assert.deepEqual(idsOf({ body: types }), [2, 1, 3])
  })
})

describe('customer filter has_next_lesson [ext]', () => {
  const today = nowParts('Europe/Moscow').date
  const dmy = (d: string) => formatDate(d, 'dmy')!
  const who: Record<string, number> = {}
  const s = suiteServer({}, async (s) => {
    const subject = (await ok(s, '1/subject/create', { name: 'Английский язык' })).model.id
    const group = (await ok(s, '1/group/create', { name: 'A1' })).model.id
    const lesson = async (date: string, groupId: number, status = 1) =>
      ok(s, '1/lesson/create', {
        date,
        time_from: '09:00',
        duration: 60,
        subject_id: subject,
        lesson_type_id: 2,
        group_ids: [groupId],
        status,
      })
    for (const name of ['member', 'outsider', 'pastOnly', 'lead']) {
      who[name] = (await make.customer(s, { name, is_study: name === 'lead' ? 0 : 1 })).id
    }
    for (const name of ['member', 'lead']) {
      await ok(s, `1/cgi/create?customer_id=${who[name]}&group_id=${group}`, {
        b_date: dmy(addDays(today, -30)),
      })
    }
    await lesson(addDays(today, 2), group)
    const old = (await ok(s, '1/group/create', { name: 'B1' })).model.id
    await ok(s, `1/cgi/create?customer_id=${who.pastOnly}&group_id=${old}`, {
      b_date: dmy(addDays(today, -30)),
    })
    await lesson(addDays(today, -2), old)
  })

  test('1 and 0 split the customers exactly, as next_lesson_date shows', async () => {
    for (const is_study of [1, 2]) {
      const all = await allPages(s, '1/customer/index', { is_study }, 50)
      const yes = await allPages(s, '1/customer/index', { is_study, has_next_lesson: 1 }, 50)
      const no = await allPages(s, '1/customer/index', { is_study, has_next_lesson: '0' }, 50)
      assert.equal(yes.length + no.length, all.length)
      assert.deepEqual(
        yes.map((i) => i.id),
        all.filter((i) => i.next_lesson_date !== null).map((i) => i.id),
      )
      assert.deepEqual(
        no.map((i) => i.id),
        all.filter((i) => i.next_lesson_date === null).map((i) => i.id),
      )
    }
    const both = await allPages(s, '1/customer/index', { is_study: 2, has_next_lesson: true }, 50)
    assert.deepEqual(
      both.map((i) => i.id),
      [who.member, who.lead],
    )
    const none = await allPages(s, '1/customer/index', { has_next_lesson: 0 }, 50)
    assert.deepEqual(
      none.map((i) => i.id),
      [who.outsider, who.pastOnly],
    )
  })

  test('empty is absent; anything but 0/1 is a 400', async () => {
    const all = await ok(s, '1/customer/index', {})
    assert.equal((await ok(s, '1/customer/index', { has_next_lesson: '' })).total, all.total)
    assert.equal((await ok(s, '1/customer/index?has_next_lesson=')).total, all.total)
    for (const v of [2, -1, 'yes', [1], { a: 1 }, 1.5]) {
      const r = await s.api('1/customer/index', { has_next_lesson: v })
      assert.deepEqual([r.status, r.body], [400, wire.badParam('has_next_lesson')], JSON.stringify(v))
    }
    assert.equal((await ok(s, '1/customer/index', { has_next_lesson: 1 }, strict)).total, 1)
  })
})

describe('pay/total [ext]', () => {
  const s = suiteServer({}, async (s) => {
    await make.secondBranch(s)
    const account = await make.payAccount(s)
    const other = await make.payAccount(s, {}, { branch: 2 })
    const teacher = (await ok(s, '1/teacher/create', { name: 'Смирнова Анна' })).model.id
    const a = await make.customer(s)
    const b = await make.customer(s)
    const c2 = await make.customer(s, { branch_ids: [2] })
    const pay = (fields: Record<string, unknown>, branch = 1) =>
      make.pay(s, { pay_account_id: branch === 1 ? account.id : other.id, ...fields }, { branch })
    await pay({ customer_id: a.id, income: '4600.00' })
    await pay({ customer_id: a.id, income: '1000.50', document_date: '01.10.2025' })
    await pay({ customer_id: b.id, income: '300.25' })
    await pay({ customer_id: b.id, income: '777.00', is_confirmed: 0 })
    await pay({ customer_id: a.id, pay_type_id: 2, income: '100.00' })
    await pay({ customer_id: b.id, pay_type_id: 2, income: '500.00', document_date: '02.10.2025' })
    await pay({ pay_type_id: 3, income: '250.10' })
    await pay({ pay_type_id: 4, teacher_id: teacher, income: '2000.00' })
    await pay({ pay_type_id: 4, teacher_id: teacher, income: '50.00', is_confirmed: 0 })
    await pay({ customer_id: c2.id, income: '99999.99' }, 2)
    await pay({ pay_type_id: 3, income: '11.11' }, 2)
  })

  /** The reply pay/total should give, from paging through pay/index with the same parameters. */
  async function fromIndex(path: string, body: Record<string, unknown>) {
    const items = await allPages(s, path, body, 3)
    const sum = (type: number) =>
      items
        .filter((i) => i.pay_type_id === type && i.is_confirmed === 1)
        .reduce((k, i) => k + kopecks(i.income), 0)
    return {
      count: items.length,
      income: money(sum(1)),
      refund: money(sum(2)),
      expense: money(sum(3)),
      salary: money(sum(4)),
      net: money(sum(1) - sum(2)),
    }
  }

  test('equals the sums of the confirmed pays that pay/index lists with the same filters', async () => {
    const cases: Array<Record<string, unknown>> = [
      {},
      { pay_type_id: [1, 2] },
      { pay_type_id: 2 },
      { date_from: '2025-10-01', date_to: '31.10.2025' },
      { is_confirmed: 0 },
      { sum_from: '300', sort: '-income', page: 3, count: 1 },
      { customer_id: 999 },
    ]
    for (const body of cases) {
      const total = await ok(s, '1/pay/total', body)
      assert.deepEqual(total, await fromIndex('1/pay/index', body), JSON.stringify(body))
    }
    assert.deepEqual(await ok(s, '1/pay/total'), {
      count: 9,
      income: '5900.75',
      refund: '600.00',
      expense: '250.10',
      salary: '2000.00',
      net: '5300.75',
    })
    assert.deepEqual(await ok(s, '1/pay/total', { pay_type_id: 2 }), {
      count: 2,
      income: '0.00',
      refund: '600.00',
      expense: '0.00',
      salary: '0.00',
      net: '-600.00',
    })
    const byQuery = await ok(s, '1/pay/total?pay_type_id=1')
    assert.deepEqual(byQuery, await fromIndex('1/pay/index?pay_type_id=1', {}))
  })

  test('counts only the pays of the path branch', async () => {
    const second = await ok(s, '2/pay/total')
    assert.deepEqual(second, {
      count: 2,
      income: '99999.99',
      refund: '0.00',
      expense: '11.11',
      salary: '0.00',
      net: '99999.99',
    })
    assert.deepEqual(second, await fromIndex('2/pay/index', {}))
    assert.equal((await ok(s, '1/pay/total')).count, 9)
    const manager = await make.user(s, { role: 'manager', branch_ids: [1] })
    const mine = await s.call('pay/total', {}, { token: manager.token })
    assert.equal(mine.body.count, 9)
    const refused = await s.call('2/pay/total', {}, { token: manager.token })
    assert.deepEqual([refused.status, refused.body], [403, wire.accessDenied])
  })

  test('refuses what pay/index refuses', async () => {
    const bad = await s.api('1/pay/total', { customer_id: 'abc' })
    assert.deepEqual([bad.status, bad.body], [400, wire.badParam('customer_id')])
    const unknown = await s.api('1/pay/total', { nope: 1 }, strict)
    assert.deepEqual([unknown.status, unknown.body], [400, wire.unknownParam('nope')])
    assert.equal((await s.api('1/pay/total', { currency: 'RUB', sort: 'income' }, strict)).status, 200)
    const sorted = await s.api('1/pay/total', { sort: 'nope' })
    assert.equal(sorted.status, 200, 'sort is a paging key here: ignored')
  })
})
