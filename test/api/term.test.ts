import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { addDays, formatDate, nowParts } from '../../src/wire/dates.js'
import { type Server, startServer } from '../helpers/server.js'

/**
 * A term through the API (§6.1–§6.5, E10–E16 with dates around today): a package subscription paid
 * for, lessons conducted with attendance and a discount, a cancelled and a deleted lesson, and the
 * customer's derived figures after each step.
 */
describe('a term of lessons and money', () => {
  let s: Server
  const ok = async (path: string, body: unknown = {}) => {
    const r = await s.api(path, body)
    assert.equal(r.status, 200, `${path}: ${r.text}`)
    return r.body
  }
  const today = nowParts('Europe/Moscow').date
  const dmy = (d: string) => formatDate(d, 'dmy')!
  let a: number
  let b: number
  let g: number
  let subject: number
  let past: number
  const customer = async (id: number) => (await ok('1/customer/index', { id, is_study: 2 })).items[0]
  const lessonAt = async (date: string, time = '18:00') =>
    (
      await ok('1/lesson/create', {
        date,
        time_from: time,
        duration: 90,
        subject_id: subject,
        lesson_type_id: 2,
        group_ids: [g],
      })
    ).model.id as number

  before(async () => {
    s = await startServer()
    subject = (await ok('1/subject/create', { name: 'Английский язык' })).model.id
    g = (await ok('1/group/create', { name: 'A1' })).model.id
    a = (await ok('1/customer/create', { name: 'Петров Пётр', is_study: 1, legal_type: 1 })).model.id
    b = (await ok('1/customer/create', { name: 'Сидорова Анна', is_study: 1, legal_type: 1 })).model.id
    for (const c of [a, b])
      await ok(`1/cgi/create?customer_id=${c}&group_id=${g}`, { b_date: dmy(addDays(today, -30)) })
    await ok('1/pay-account/create', { name: 'Основная касса' })
    const tariff = await ok('1/tariff/create', {
      type: 1,
      name: '8 занятий',
      price: '5000.00',
      lessons_count: 8,
    })
    const sub = await ok(`1/customer-tariff/create?customer_id=${a}`, {
      tariff_id: tariff.model.id,
      b_date: dmy(addDays(today, -14)),
    })
    assert.equal(
      sub.model.e_date,
      dmy(addDays(addDays(today, -14), 364)).replace(/^\d\d/, (d) => d),
      'one year less a day',
    )
  })
  after(() => s.close())

  test('E11: a payment makes the balance and the paid lesson count (5000.00 ÷ 625.00 = 8)', async () => {
    await ok('1/pay/create', {
      customer_id: a,
      pay_type_id: 1,
      pay_account_id: 1,
      income: '5000',
      document_date: today,
    })
    const c = await customer(a)
    assert.deepEqual([c.balance, c.paid_count, c.paid_lesson_count], ['5000.00', 1, 8])
  })

  test('E12/E15/E16: the planned forecast is 625.00; conducting charges it once; figures follow', async () => {
    past = await lessonAt(addDays(today, -1))
    const planned = (await ok('1/lesson/index', { id: past, status: 1 })).items[0]
    assert.deepEqual(
      planned.details.map((d: any) => [d.customer_id, d.commission, d.ctt_id !== null]),
      [
        [a, '625.00', true],
        [b, '0.00', false],
      ],
    )
    const upcoming: number[] = []
    for (let i = 1; i <= 9; i++) upcoming.push(await lessonAt(addDays(today, i), '09:00'))
    const body = {
      status: 3,
      details: [
        { customer_id: a, is_attend: 1, grade: 5 },
        { customer_id: b, is_attend: 0, reason_id: 4 },
      ],
    }
    await Promise.all(Array.from({ length: 8 }, () => s.api(`1/lesson/update?id=${past}`, body)))
    const c = await customer(a)
    assert.deepEqual(
      [c.balance, c.paid_lesson_count, c.last_attend_date, c.next_lesson_date, c.paid_lesson_date],
      ['4375.00', 7, addDays(today, -1), `${addDays(today, 1)} 09:00:00`, `${addDays(today, 7)} 09:00:00`],
    )
    const other = await customer(b)
    assert.deepEqual(
      [other.balance, other.paid_lesson_count, other.next_lesson_date],
      ['0.00', 0, `${addDays(today, 1)} 09:00:00`],
    )
    const filtered = await ok('1/customer/index', {
      next_lesson_date_from: addDays(today, 1),
      next_lesson_date_to: addDays(today, 1),
    })
    assert.equal(filtered.total, 2)
  })

  test('§6.2: a 10 % discount prices 562.50 and conducted lessons keep their charges', async () => {
    await ok('1/discount/create', {
      customer_id: a,
      discount_type: 1,
      amount: 10,
      begin: dmy(addDays(today, -30)),
    })
    const planned = await lessonAt(addDays(today, -2))
    const forecast = (await ok('1/lesson/index', { id: planned, status: 1 })).items[0].details[0]
    assert.equal(forecast.commission, '562.50')
    const kept = (await ok('1/lesson/index', { id: past })).items[0].details[0]
    assert.equal(kept.commission, '625.00', 'later discounts never change conducted charges')
    await ok(`1/lesson/update?id=${planned}`, { status: 3, details: [{ customer_id: a, is_attend: 1 }] })
    assert.equal((await customer(a)).balance, '3812.50')
  })

  test('§6.4: cancelling a conducted lesson drops its charges; deleting one too', async () => {
    await ok(`1/lesson/update?id=${past}`, { status: 2 })
    assert.equal((await customer(a)).balance, '4437.50')
    const cancelled = (await ok('1/lesson/index', { id: past, status: 2 })).items[0].details[0]
    assert.deepEqual([cancelled.is_attend, cancelled.commission, cancelled.ctt_id], [1, '0.00', null])
    // Conducting again prices from today's data: the discount now applies (§6.2, §6.4).
    await ok(`1/lesson/update?id=${past}`, { status: 3 })
    assert.equal((await customer(a)).balance, '3875.00')
    await ok(`1/lesson/delete?id=${past}`)
    assert.equal((await customer(a)).balance, '4437.50')
  })

  test('§6.4: an explicit commission charges an absent participant; null removes the override', async () => {
    const l = await lessonAt(addDays(today, -3))
    await ok(`1/lesson/update?id=${l}`, { status: 3, details: [{ customer_id: b, commission: '300' }] })
    assert.equal((await customer(b)).balance, '-300.00')
    await ok(`1/lesson/update?id=${l}`, { details: [{ customer_id: b, commission: null }] })
    assert.equal((await customer(b)).balance, '0.00')
  })
})
