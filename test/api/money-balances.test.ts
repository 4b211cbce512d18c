import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { idsOf, make, wallClock } from '../helpers/make.js'
import type { Server } from '../helpers/server.js'
import { suiteServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'

/**
 * Accounts and balances (§6.1, §6.5, §6.6), the lesson price (§6.2) as forecasts and charges, and
 * concurrent pays (§6.10). Every figure is read back through the API.
 */
const today = () => wallClock().slice(0, 10)
const dmy = (iso: string) => iso.split('-').reverse().join('.')
const addDays = (iso: string, n: number) => {
  const d = new Date(`${iso}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

type Figures = { balance: string; balance_base: string; paid_count: number; paid_lesson_count: number }

async function figuresOf(s: Server, customerId: number): Promise<Figures & Record<string, unknown>> {
  const r = await s.api('1/customer/index', { id: customerId, is_study: 2, removed: 1 })
  assert.equal(r.body.total, 1, r.text)
  return r.body.items[0]
}

const money = (f: Figures) => [f.balance, f.balance_base, f.paid_count, f.paid_lesson_count]

async function subscriptionOf(s: Server, customerId: number, id: number) {
  const r = await s.api(`1/customer-tariff/index?customer_id=${customerId}`, { id })
  return r.body.items[0] as Record<string, unknown>
}

describe('accounts and balances (§6.1, §6.5, §6.6)', () => {
  let account = 0
  const s = suiteServer({}, async (server) => {
    account = (await make.payAccount(server)).id
  })
  const pay = (fields: Record<string, unknown>) => make.pay(s, { pay_account_id: account, ...fields })

  test('E11: 5000.00 with the 8 × 5000.00 package gives balance 5000.00, paid_count 1, 8 paid lessons', async () => {
    const c = await make.customer(s)
    const t = await make.tariff(s)
    await make.subscription(s, c.id, { tariff_id: t.id })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['0.00', '0.00', 0, 0])
    const p = await pay({ customer_id: c.id, income: '5000' })
    const f = await figuresOf(s, c.id)
    assert.deepEqual(money(f), ['5000.00', '5000.00', 1, 8])
    assert.deepEqual([f.balance_bonus, f.paid_till], ['0.00', null])
    await pay({ customer_id: c.id, income: '624.99' })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['5624.99', '5624.99', 2, 8])
    await s.api(`1/pay/update?id=${p.id}`, { income: '5000.01' })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['5625.00', '5625.00', 2, 9])
  })

  test('a refund lowers the base account; an unconfirmed pay counts only once it is confirmed', async () => {
    const c = await make.customer(s)
    const income = await pay({ customer_id: c.id, income: 1000, is_confirmed: 0 })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['0.00', '0.00', 0, 0])
    await s.api(`1/pay/update?id=${income.id}`, { is_confirmed: 1 })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['1000.00', '1000.00', 1, 0])
    const refund = await pay({ customer_id: c.id, pay_type_id: 2, income: '1250.50' })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['-250.50', '-250.50', 1, 0])
    await s.api(`1/pay/update?id=${refund.id}`, { is_confirmed: false })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['1000.00', '1000.00', 1, 0])
    await s.api(`1/pay/update?id=${refund.id}`, { is_confirmed: '1', pay_type_id: 1 })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['2250.50', '2250.50', 2, 0])
    await s.api(`1/pay/delete?id=${income.id}`)
    assert.deepEqual(money(await figuresOf(s, c.id)), ['1250.50', '1250.50', 1, 0])
  })

  test('expenses and salaries never touch a customer’s accounts', async () => {
    const c = await make.customer(s)
    const teacher = (await s.api('1/teacher/create', { name: 'Педагог' })).body.model
    await pay({ customer_id: c.id, pay_type_id: 3, income: 300 })
    const salary = await pay({ customer_id: c.id, pay_type_id: 4, teacher_id: teacher.id, income: 700 })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['0.00', '0.00', 0, 0])
    await s.api(`1/pay/update?id=${salary.id}`, { pay_type_id: 1 })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['700.00', '700.00', 1, 0])
  })

  test('moving a pay to another customer refreshes both; deleting it refreshes its customer', async () => {
    const a = await make.customer(s)
    const b = await make.customer(s)
    const p = await pay({ customer_id: a.id, income: 400 })
    await s.api(`1/pay/update?id=${p.id}`, { customer_id: b.id })
    assert.deepEqual(money(await figuresOf(s, a.id)), ['0.00', '0.00', 0, 0])
    assert.deepEqual(money(await figuresOf(s, b.id)), ['400.00', '400.00', 1, 0])
    await s.api(`1/pay/delete?id=${p.id}`)
    assert.deepEqual(money(await figuresOf(s, b.id)), ['0.00', '0.00', 0, 0])
  })

  test('pays to a separate-balance subscription go to its account; toggling the flag moves them', async () => {
    const c = await make.customer(s)
    const t = await make.tariff(s, { price: '1000', lessons_count: 3, calculation_type: 2 })
    const sub = await make.subscription(s, c.id, { tariff_id: t.id })
    assert.equal(sub.is_separate_balance, 1)
    await pay({ customer_id: c.id, income: 1000, ctt_id: sub.id })
    await pay({ customer_id: c.id, pay_type_id: 2, income: 100, ctt_id: sub.id })
    await pay({ customer_id: c.id, income: 50 })
    const own = await subscriptionOf(s, c.id, sub.id)
    // 900.00 ÷ round2(1000.00 ÷ 3) = 900.00 ÷ 333.33 → 2 lessons
    assert.deepEqual(
      [own.balance, own.paid_count, own.paid_lesson_count, own.paid_till],
      ['900.00', 1, 2, null],
    )
    assert.deepEqual(money(await figuresOf(s, c.id)), ['50.00', '50.00', 2, 0])
    await s.api(`1/customer-tariff/update?id=${sub.id}`, { is_separate_balance: 0 })
    const shared = await subscriptionOf(s, c.id, sub.id)
    assert.deepEqual([shared.balance, shared.paid_count, shared.paid_lesson_count], ['0.00', 0, 0])
    // 950.00 ÷ 333.33 → 2; the subscription is now the current package of the base account
    assert.deepEqual(money(await figuresOf(s, c.id)), ['950.00', '950.00', 2, 2])
  })

  test('a monthly period charge is taken once at creation, kept on a price change, removed on delete', async () => {
    const c = await make.customer(s)
    await pay({ customer_id: c.id, income: 5000 })
    const month = await make.tariff(s, { type: 2, price: '3000', lessons_count: 0 })
    const sub = await make.subscription(s, c.id, { tariff_id: month.id })
    const f = await figuresOf(s, c.id)
    assert.deepEqual(money(f), ['2000.00', '2000.00', 1, 0])
    assert.equal(f.paid_till, `${sub.paid_till}`)
    assert.equal(sub.paid_till, `${addDays(addMonthsIso(today(), 1), -1)} 00:00:00`)
    await s.api(`1/tariff/update?id=${month.id}`, { price: '3500' })
    await s.api(`1/customer-tariff/update?id=${sub.id}`, { note: 'без изменений' })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['2000.00', '2000.00', 1, 0])
    const week = await make.tariff(s, { type: 3, price: '700.50', lessons_count: 0 })
    await s.api(`1/customer-tariff/update?id=${sub.id}`, { tariff_id: week.id })
    assert.deepEqual(money(await figuresOf(s, c.id)), ['4299.50', '4299.50', 1, 0])
    await s.api(`1/customer-tariff/update?id=${sub.id}`, { tariff_id: month.id })
    assert.deepEqual(
      money(await figuresOf(s, c.id)),
      ['1500.00', '1500.00', 1, 0],
      'the new price of the tariff',
    )
    assert.deepEqual((await s.api(`1/customer-tariff/delete?id=${sub.id}`)).body, wire.deleted)
    const after = await figuresOf(s, c.id)
    assert.deepEqual([...money(after), after.paid_till], ['5000.00', '5000.00', 1, 0, null])
  })

  test('a separate period subscription charges its own account; paid_till follows its e_date', async () => {
    const c = await make.customer(s)
    const week = await make.tariff(s, { type: 3, price: '700', lessons_count: 0, calculation_type: 2 })
    const sub = await make.subscription(s, c.id, { tariff_id: week.id, e_date: dmy(addDays(today(), 30)) })
    await pay({ customer_id: c.id, income: 1000, ctt_id: sub.id })
    const own = await subscriptionOf(s, c.id, sub.id)
    assert.deepEqual([own.balance, own.paid_count, own.paid_lesson_count], ['300.00', 1, 0])
    assert.equal(own.paid_till, `${addDays(today(), 30)} 00:00:00`)
    const f = await figuresOf(s, c.id)
    assert.deepEqual([...money(f), f.paid_till], ['0.00', '0.00', 1, 0, `${addDays(today(), 30)} 00:00:00`])
    await s.api(`1/customer-tariff/update?id=${sub.id}`, { is_archive: 1 })
    assert.equal((await figuresOf(s, c.id)).paid_till, null, 'an archived subscription is not current')
  })

  test('the current package decides q: latest b_date, then the highest id; separate and future ones do not', async () => {
    const c = await make.customer(s)
    await pay({ customer_id: c.id, income: 1000 })
    const cheap = await make.tariff(s, { price: 1000, lessons_count: 10 })
    const dear = await make.tariff(s, { price: 1000, lessons_count: 2 })
    const split = await make.tariff(s, { price: 1000, lessons_count: 4, calculation_type: 2 })
    await make.subscription(s, c.id, { tariff_id: cheap.id, b_date: dmy(addDays(today(), -10)) })
    assert.equal((await figuresOf(s, c.id)).paid_lesson_count, 10)
    await make.subscription(s, c.id, { tariff_id: dear.id, b_date: dmy(addDays(today(), -5)) })
    assert.equal((await figuresOf(s, c.id)).paid_lesson_count, 2)
    await make.subscription(s, c.id, { tariff_id: cheap.id, b_date: dmy(addDays(today(), -5)) })
    assert.equal((await figuresOf(s, c.id)).paid_lesson_count, 10, 'same b_date: the highest id')
    await make.subscription(s, c.id, { tariff_id: split.id, b_date: dmy(today()) })
    await make.subscription(s, c.id, { tariff_id: dear.id, b_date: dmy(addDays(today(), 1)) })
    assert.equal((await figuresOf(s, c.id)).paid_lesson_count, 10)
  })

  test('customer filters on paid_lesson_count, paid_till and balance', async () => {
    const name = `Фильтр ${Date.now()}`
    const rich = await make.customer(s, { name })
    const poor = await make.customer(s, { name })
    const t = await make.tariff(s)
    await make.subscription(s, rich.id, { tariff_id: t.id })
    await make.subscription(s, poor.id, { tariff_id: t.id })
    await pay({ customer_id: rich.id, income: 2500 })
    await pay({ customer_id: poor.id, income: 1000 })
    const month = await make.tariff(s, { type: 2, price: 0, lessons_count: 0 })
    const end = addDays(today(), 20)
    await make.subscription(s, poor.id, { tariff_id: month.id, e_date: dmy(end) })
    const find = async (f: Record<string, unknown>) => idsOf(await s.api('1/customer/index', { name, ...f }))
    assert.deepEqual(await find({ lesson_count_from: 2 }), [rich.id])
    assert.deepEqual(await find({ lesson_count_from: 1, lesson_count_to: 1 }), [poor.id])
    assert.deepEqual(await find({ lesson_count_to: 4 }), [rich.id, poor.id])
    assert.deepEqual(await find({ lesson_count_to: 0 }), [])
    assert.deepEqual(await find({ tariff_till_from: dmy(end), tariff_till_to: end }), [poor.id])
    assert.deepEqual(await find({ tariff_till_from: `${end} 00:00:01` }), [])
    assert.deepEqual(await find({ tariff_till_to: addDays(end, -1) }), [])
    assert.deepEqual(await find({ balance_contract_from: '1000.01' }), [rich.id])
    const bad = await s.api('1/customer/index', { tariff_till_from: '31.02.2025' })
    assert.deepEqual(bad.body, wire.badParam('tariff_till_from'))
  })

  test('20 simultaneous pays for one customer add up exactly', async () => {
    const c = await make.customer(s)
    const amounts = Array.from({ length: 20 }, (_, i) => 1000 + i * 17 + 0.01 * i)
    const replies = await Promise.all(
      amounts.map((income) =>
        s.api('1/pay/create', {
          customer_id: c.id,
          pay_type_id: 1,
          pay_account_id: account,
          income,
          document_date: '15.09.2025',
        }),
      ),
    )
    assert.deepEqual(
      replies.map((r) => r.status),
      amounts.map(() => 200),
    )
    const kopecks = amounts.reduce((sum, a) => sum + Math.round(a * 100), 0)
    const f = await figuresOf(s, c.id)
    assert.deepEqual([f.balance, f.paid_count], [(kopecks / 100).toFixed(2), 20])
  })
})

describe('lesson price and charges (§6.2, §6.4, §6.9)', () => {
  let subject = 0
  let other = 0
  const s = suiteServer({}, async (server) => {
    subject = (await server.api('1/subject/create', { name: 'Английский язык' })).body.model.id
    other = (await server.api('1/subject/create', { name: 'Математика' })).body.model.id
  })

  async function plannedPrice(customerId: number, fields: Record<string, unknown> = {}) {
    const r = await s.api('1/lesson/create', {
      date: '2025-09-17',
      time_from: '18:00',
      time_to: '19:30',
      subject_id: subject,
      lesson_type_id: 2,
      customer_ids: [customerId],
      ...fields,
    })
    assert.equal(r.status, 200, r.text)
    const d = r.body.model.details[0]
    return {
      lesson: r.body.model.id as number,
      commission: d.commission as string,
      ctt: d.ctt_id as number | null,
    }
  }

  test('625.00 from the 8 × 5000.00 package; a 10 % discount gives 562.50 (§6.2)', async () => {
    const c = await make.customer(s)
    const t = await make.tariff(s)
    assert.deepEqual(await plannedPrice(c.id).then((p) => [p.commission, p.ctt]), ['0.00', null])
    const sub = await make.subscription(s, c.id, { tariff_id: t.id, b_date: '01.09.2025' })
    assert.deepEqual(await plannedPrice(c.id).then((p) => [p.commission, p.ctt]), ['625.00', sub.id])
    await make.discount(s, c.id)
    assert.equal((await plannedPrice(c.id)).commission, '562.50')
    await make.discount(s, c.id, { amount: '12.5' })
    assert.equal((await plannedPrice(c.id)).commission, '546.88', 'the highest id wins; 546.875 rounds up')
    await make.discount(s, c.id, { discount_type: 2, amount: 700, subject_ids: [other] })
    assert.equal(
      (await plannedPrice(c.id)).commission,
      '546.88',
      'a discount of another subject does not apply',
    )
    assert.equal((await plannedPrice(c.id, { subject_id: other })).commission, '0.00', 'fixed, at least 0')
    await make.discount(s, c.id, { discount_type: 2, amount: '100.10', begin: '18.09.2025' })
    assert.equal((await plannedPrice(c.id)).commission, '546.88', 'a discount not begun yet')
    assert.equal((await plannedPrice(c.id, { date: '2025-09-18' })).commission, '524.90')
  })

  test('a period subscription prices 0.00 and takes no discount; the later b_date wins', async () => {
    const c = await make.customer(s)
    await make.discount(s, c.id, { discount_type: 2, amount: 100 })
    const pack = await make.tariff(s, { price: 1000, lessons_count: 3 })
    const month = await make.tariff(s, { type: 2, price: 4000, lessons_count: 0 })
    const a = await make.subscription(s, c.id, { tariff_id: pack.id, b_date: '01.09.2025' })
    assert.equal((await plannedPrice(c.id)).commission, '233.33')
    const b = await make.subscription(s, c.id, { tariff_id: month.id, b_date: '10.09.2025' })
    assert.deepEqual(await plannedPrice(c.id).then((p) => [p.commission, p.ctt]), ['0.00', b.id])
    await s.api(`1/customer-tariff/update?id=${b.id}`, { subject_ids: [other] })
    assert.deepEqual(await plannedPrice(c.id).then((p) => [p.commission, p.ctt]), ['233.33', a.id])
    await s.api(`1/customer-tariff/update?id=${a.id}`, { is_archive: 1 })
    assert.deepEqual(await plannedPrice(c.id).then((p) => [p.commission, p.ctt]), ['0.00', null])
  })

  test('conducting charges the base or the separate account; the subscription cannot be deleted then', async () => {
    const c = await make.customer(s)
    const account = await make.payAccount(s)
    await make.pay(s, { customer_id: c.id, pay_account_id: account.id, income: 5000 })
    const t = await make.tariff(s)
    const sub = await make.subscription(s, c.id, { tariff_id: t.id, b_date: '01.09.2025' })
    const { lesson } = await plannedPrice(c.id)
    const conduct = await s.api(`1/lesson/update?id=${lesson}`, {
      status: 3,
      details: [{ customer_id: c.id, is_attend: 1 }],
    })
    assert.equal(conduct.status, 200, conduct.text)
    const f = await figuresOf(s, c.id)
    assert.deepEqual([f.balance, f.last_attend_date], ['4375.00', '2025-09-17'])
    assert.deepEqual((await s.api(`1/customer-tariff/delete?id=${sub.id}`)).body, wire.refused('lesson'))
    await s.api(`1/customer-tariff/update?id=${sub.id}`, { is_separate_balance: 1 })
    assert.equal((await figuresOf(s, c.id)).balance, '5000.00')
    assert.equal((await subscriptionOf(s, c.id, sub.id)).balance, '-625.00')
    await make.pay(s, { customer_id: c.id, pay_account_id: account.id, income: 625, ctt_id: sub.id })
    assert.equal((await subscriptionOf(s, c.id, sub.id)).balance, '0.00')
    assert.deepEqual(
      (await s.api(`1/customer-tariff/delete?id=${sub.id}`)).body,
      wire.refused('pay', 'lesson'),
    )
    await s.api(`1/lesson/update?id=${lesson}`, { status: 1 })
    assert.equal((await subscriptionOf(s, c.id, sub.id)).balance, '625.00')
    assert.deepEqual((await s.api(`1/customer-tariff/delete?id=${sub.id}`)).body, wire.refused('pay'))
  })
})

function addMonthsIso(iso: string, n: number): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number]
  const months = y * 12 + m - 1 + n
  const ty = Math.floor(months / 12)
  const tm = months - ty * 12 + 1
  const last = new Date(Date.UTC(ty, tm, 0)).getUTCDate()
  return `${ty}-${String(tm).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`
}
