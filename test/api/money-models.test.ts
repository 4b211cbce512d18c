import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { assertNow, attempt, idsOf, make, wallClock } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'
import { strict, wire } from '../helpers/wire.js'

/**
 * The money models' own rules (§7.13–§7.16, §7.18, §7.19, §7.22) and examples E10, E11 and E21;
 * balances live in money-balances, the generic behaviour in the contract suite.
 */
const today = () => wallClock().slice(0, 10)
const dmy = (iso: string) => iso.split('-').reverse().join('.')

describe('tariff (§7.22)', () => {
  const s = suiteServer({}, make.secondBranch)

  test('a package needs lessons_count ≥ 1; lesson_count is accepted as its input and mirrored', async () => {
    const base = { name: '8 занятий', type: 1, price: '5000' }
    const missing = await s.api('1/tariff/create', base)
    assert.deepEqual(
      missing.body,
      wire.invalid({ lessons_count: ['Необходимо заполнить «Количество уроков».'] }),
    )
    const zero = await s.api('1/tariff/create', { ...base, lessons_count: 0 })
    assert.deepEqual(zero.body.errors, {
      lessons_count: ['Значение «Количество уроков» должно быть не меньше 1.'],
    })
    const r = await s.api('1/tariff/create', { ...base, lesson_count: '8' })
    assert.equal(r.status, 200, r.text)
    const m = r.body.model
    assert.deepEqual(Object.keys(m), [
      'id',
      'type',
      'name',
      'price',
      'lessons_count',
      'lesson_count',
      'duration',
      'added',
      'branch_ids',
      'is_archive',
      'b_date',
      'e_date',
      'calculation_type',
      'period_count',
      'period_type',
      'subject_ids',
      'lesson_type_ids',
    ])
    assert.deepEqual([m.price, m.lessons_count, m.lesson_count, m.branch_ids], ['5000.00', 8, 8, [1]])
    assertNow(m.added)
    const toPeriod = await s.api(`1/tariff/update?id=${m.id}`, { lessons_count: 0 })
    assert.equal(toPeriod.status, 422)
    const monthly = await make.tariff(s, { type: 2, price: '3000', lessons_count: undefined })
    assert.deepEqual([monthly.lessons_count, monthly.lesson_count], [0, 0])
  })

  test('price ≥ 0 and the period of validity must not be reversed', async () => {
    const r = await s.api('1/tariff/create', {
      name: 'x',
      type: 2,
      price: '-1',
      b_date: '10.09.2025',
      e_date: '2025-09-01',
    })
    assert.deepEqual(r.body.errors, {
      price: ['Значение «Стоимость» должно быть не меньше 0.00.'],
      e_date: ['Некорректный период'],
    })
    const free = await make.tariff(s, { price: 0 })
    assert.equal(free.price, '0.00')
  })

  test('filters: type, price range, lessons_count, branch_id, is_archive', async () => {
    const name = `Фильтр ${Date.now()}`
    const a = await make.tariff(s, { name, price: '1000.50', lessons_count: 4 })
    const b = await make.tariff(s, { name, type: 3, price: '700', branch_ids: [2], is_archive: 1 })
    const find = async (f: Record<string, unknown>, branch = 1) =>
      idsOf(await s.api(`${branch}/tariff/index`, { name, ...f }))
    assert.deepEqual(await find({ type: 1 }), [a.id])
    assert.deepEqual(await find({ price_from: '1000.50', price_to: 1000.5 }), [a.id])
    assert.deepEqual(await find({ lessons_count: 4 }), [a.id])
    assert.deepEqual(await find({}), [a.id], 'branch 1 does not see a tariff of branch 2')
    assert.deepEqual(await find({ branch_id: 2 }, 2), [b.id])
    assert.deepEqual(await find({ is_archive: 1 }, 2), [b.id])
  })

  test('E21: a tariff used by a subscription is refused naming «customer-tariff»; then it deletes', async () => {
    const t = await make.tariff(s)
    const c = await make.customer(s)
    const sub = await make.subscription(s, c.id, { tariff_id: t.id })
    const r = await s.api(`1/tariff/delete?id=${t.id}`)
    assert.equal(r.status, 422)
    assert.equal(
      r.text,
      JSON.stringify({
        success: false,
        errors: { id: ['Невозможно удалить запись: на неё ссылаются записи «customer-tariff».'] },
        model: null,
        name: 'Unprocessable Entity',
        message: 'Невозможно удалить запись: на неё ссылаются записи «customer-tariff».',
        code: 0,
        status: 422,
      }),
    )
    assert.equal((await s.api('1/tariff/index', { id: t.id })).body.total, 1)
    assert.deepEqual((await s.api(`1/customer-tariff/delete?id=${sub.id}`)).body, wire.deleted)
    assert.deepEqual((await s.api(`1/tariff/delete?id=${t.id}`)).body, wire.deleted)
  })
})

describe('customer-tariff (§7.18)', () => {
  const s = suiteServer({}, make.secondBranch)

  test('E10: a package subscription from 01.09.2025 for a year, money in the base account', async () => {
    const c = await make.customer(s)
    const t = await make.tariff(s, { name: '8 занятий' })
    const r = await s.api(`1/customer-tariff/create?customer_id=${c.id}`, {
      tariff_id: t.id,
      b_date: '01.09.2025',
    })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.body, {
      success: true,
      errors: [],
      model: {
        id: r.body.model.id,
        customer_id: c.id,
        tariff_id: t.id,
        subject_ids: [],
        lesson_type_ids: [],
        is_separate_balance: 0,
        balance: '0.00',
        paid_count: 0,
        paid_lesson_count: 0,
        paid_till: null,
        note: '',
        b_date: '01.09.2025',
        e_date: '31.08.2026',
        is_archive: 0,
        // The example runs on 15.09.2025; later the subscription has ended.
        dead: today() > '2026-08-31' ? 1 : 0,
      },
    })
    const listed = await s.api(`1/customer-tariff/index?customer_id=${c.id}`)
    assert.deepEqual(listed.body.items, [r.body.model])
  })

  test('customer_id is required for index and create; a customer of another branch is a 422 / empty list', async () => {
    const t = await make.tariff(s)
    assert.deepEqual((await s.api('1/customer-tariff/index')).body, wire.missing('customer_id'))
    assert.deepEqual(
      (await s.api('1/customer-tariff/create', { tariff_id: t.id })).body,
      wire.missing('customer_id'),
    )
    const body = await s.api('1/customer-tariff/create', { customer_id: 'x', tariff_id: t.id })
    assert.deepEqual(body.body, wire.badParam('customer_id'))
    const other = await make.customer(s, { branch_ids: [2] })
    const shared = await make.tariff(s, { branch_ids: [1, 2] })
    const r = await attempt.subscription(s, other.id, { tariff_id: shared.id })
    assert.deepEqual(r.body, wire.invalid({ customer_id: ['Значение «Клиент» неверно.'] }))
    const sub = await make.subscription(
      s,
      other.id,
      { tariff_id: (await make.tariff(s, { branch_ids: [2] })).id },
      { branch: 2 },
    )
    const idx = await s.api(`1/customer-tariff/index?customer_id=${other.id}`)
    assert.deepEqual([idx.body.total, idx.body.items], [0, []])
    assert.equal((await s.api(`2/customer-tariff/index?customer_id=${other.id}`)).body.items[0].id, sub.id)
  })

  test('the tariff must be one of the path branch', async () => {
    const both = await make.customer(s, { branch_ids: [1, 2] })
    const t2 = await make.tariff(s, { branch_ids: [2] })
    const r = await attempt.subscription(s, both.id, { tariff_id: t2.id })
    assert.deepEqual(r.body.errors, { tariff_id: ['Значение «Абонемент» неверно.'] })
    assert.equal((await attempt.subscription(s, both.id, { tariff_id: t2.id }, { branch: 2 })).status, 200)
    const missing = await attempt.subscription(s, both.id, {})
    assert.deepEqual(missing.body.errors, { tariff_id: ['Необходимо заполнить «Абонемент».'] })
  })

  test('defaults come from the tariff: subjects, lesson types, separate balance, period end', async () => {
    const c = await make.customer(s)
    const subject = await make.dictionary(s, 'subject')
    const t = await make.tariff(s, {
      subject_ids: [subject.id],
      lesson_type_ids: [2, 1],
      calculation_type: 2,
    })
    const d = await make.subscription(s, c.id, { tariff_id: t.id })
    assert.deepEqual([d.subject_ids, d.lesson_type_ids, d.is_separate_balance], [[subject.id], [1, 2], 1])
    assert.equal(d.b_date, dmy(today()))
    const own = await make.subscription(s, c.id, {
      tariff_id: t.id,
      subject_ids: [],
      lesson_type_ids: null,
      is_separate_balance: 0,
    })
    assert.deepEqual([own.subject_ids, own.lesson_type_ids, own.is_separate_balance], [[], [1, 2], 0])
  })

  test('the default end is b_date + the period − 1 day', async () => {
    const c = await make.customer(s)
    const end = async (tariff: Record<string, unknown>, b: string) => {
      const t = await make.tariff(s, tariff)
      return (await make.subscription(s, c.id, { tariff_id: t.id, b_date_v: b })).e_date
    }
    assert.equal(await end({ type: 2, lessons_count: 0 }, '15.09.2025'), '14.10.2025')
    assert.equal(await end({ type: 2, lessons_count: 0 }, '31.01.2025'), '27.02.2025', 'the month is clamped')
    assert.equal(await end({ type: 3, lessons_count: 0 }, '2025-09-15'), '21.09.2025')
    assert.equal(await end({}, '01.09.2025'), '31.08.2026')
    assert.equal(await end({ period_count: 10, period_type: 1 }, '01.09.2025'), '10.09.2025')
    assert.equal(await end({ period_count: 2, period_type: 2 }, '01.09.2025'), '14.09.2025')
    assert.equal(
      await end({ type: 3, lessons_count: 0, period_count: 3, period_type: 3 }, '30.11.2025'),
      '27.02.2026',
    )
    assert.equal(await end({ period_count: 2, period_type: 4 }, '29.02.2024'), '27.02.2026')
    assert.equal(
      await end({ period_count: 3 }, '01.09.2025'),
      '31.08.2026',
      'a count without a unit is no period',
    )
  })

  test('b_date_v / e_date_v are aliases; the end must not precede the start', async () => {
    const c = await make.customer(s)
    const t = await make.tariff(s)
    const d = await make.subscription(s, c.id, {
      tariff_id: t.id,
      b_date_v: '2025-09-01',
      e_date_v: '30.09.2025',
    })
    assert.deepEqual([d.b_date, d.e_date], ['01.09.2025', '30.09.2025'])
    const bad = await attempt.subscription(s, c.id, {
      tariff_id: t.id,
      b_date: '10.09.2025',
      e_date: '09.09.2025',
    })
    assert.deepEqual(bad.body, wire.invalid({ e_date: ['Некорректный период'] }))
    const u = await s.api(`1/customer-tariff/update?id=${d.id}`, { e_date_v: '31.08.2025' })
    assert.deepEqual(u.body.errors, { e_date: ['Некорректный период'] })
  })

  test('update and delete: customer_id optional but must match; lesson_count and unit are ignored', async () => {
    const c = await make.customer(s)
    const other = await make.customer(s)
    const t = await make.tariff(s)
    const d = await make.subscription(s, c.id, { tariff_id: t.id, lesson_count: 8, unit: 'lesson' }, {})
    const wrong = await s.api(`1/customer-tariff/update?id=${d.id}&customer_id=${other.id}`, { note: 'x' })
    assert.deepEqual(wrong.body, wire.notFound)
    const right = await s.api(`1/customer-tariff/update?id=${d.id}&customer_id=${c.id}`, {
      note: 'Оплачено',
      customer_id: other.id,
    })
    assert.deepEqual([right.body.model.note, right.body.model.customer_id], ['Оплачено', c.id])
    const strictly = await s.api(
      `1/customer-tariff/create?customer_id=${c.id}`,
      { tariff_id: t.id, lesson_count: 8, unit: 'lesson' },
      strict,
    )
    assert.equal(strictly.status, 200, strictly.text)
    assert.deepEqual(
      (await s.api(`1/customer-tariff/delete?id=${d.id}&customer_id=${other.id}`)).body,
      wire.notFound,
    )
    assert.deepEqual(
      (await s.api(`1/customer-tariff/delete?id=${d.id}`, { customer_id: c.id })).body,
      wire.deleted,
    )
  })

  test('filters: dead, tariff_type, is_separate_balance, is_archive, balance', async () => {
    const c = await make.customer(s)
    const account = await make.payAccount(s)
    const pack = await make.tariff(s, { calculation_type: 2 })
    const week = await make.tariff(s, { type: 3, price: '700', lessons_count: 0 })
    const current = await make.subscription(s, c.id, { tariff_id: pack.id })
    const ended = await make.subscription(s, c.id, { tariff_id: week.id, b_date: '01.09.2025' })
    const archived = await make.subscription(s, c.id, { tariff_id: pack.id, is_archive: 1 })
    await make.pay(s, { customer_id: c.id, pay_account_id: account.id, income: '1250', ctt_id: current.id })
    const find = async (f: Record<string, unknown>) =>
      idsOf(await s.api(`1/customer-tariff/index?customer_id=${c.id}`, f))
    assert.deepEqual(await find({ dead: 1 }), [ended.id, archived.id])
    assert.deepEqual(await find({ dead: 0 }), [current.id])
    assert.deepEqual(await find({ tariff_type: 3 }), [ended.id])
    assert.deepEqual(await find({ tariff_type: [1, 2] }), [current.id, archived.id])
    assert.deepEqual(await find({ is_separate_balance: 0 }), [ended.id])
    assert.deepEqual(await find({ is_archive: 1 }), [archived.id])
    assert.deepEqual(await find({ balance: '1250.00' }), [current.id])
    assert.deepEqual(await find({ balance: 0 }), [ended.id, archived.id])
    assert.deepEqual(await find({ balance: [1, 2000] }), [current.id])
    assert.deepEqual(await find({ balance: ['', 0] }), [ended.id, archived.id])
    assert.deepEqual(
      (await s.api(`1/customer-tariff/index?customer_id=${c.id}`, { balance: [1] })).body,
      wire.badParam('balance'),
    )
    assert.deepEqual(
      (await s.api(`1/customer-tariff/index?customer_id=${c.id}`, { dead: 'x' })).body,
      wire.badParam('dead'),
    )
  })

  test('delete is refused while a pay names the subscription', async () => {
    const c = await make.customer(s)
    const t = await make.tariff(s)
    const d = await make.subscription(s, c.id, { tariff_id: t.id })
    const account = await make.payAccount(s)
    const p = await make.pay(s, { customer_id: c.id, pay_account_id: account.id, income: 100, ctt_id: d.id })
    assert.deepEqual((await s.api(`1/customer-tariff/delete?id=${d.id}`)).body, wire.refused('pay'))
    await s.api(`1/pay/update?id=${p.id}`, { ctt_id: null })
    assert.deepEqual((await s.api(`1/customer-tariff/delete?id=${d.id}`)).body, wire.deleted)
    const log = await s.api('1/log/index', { entity: 'CustomerToTariff', entity_id: d.id })
    assert.deepEqual(
      log.body.items.map((i: { event: number }) => i.event),
      [3, 1],
    )
  })
})

describe('discount (§7.19)', () => {
  const s = suiteServer({}, make.secondBranch)

  test('a percentage is above 0 and at most 100; a fixed amount above 0; the end not before the begin', async () => {
    const c = await make.customer(s)
    const path = '1/discount/create'
    const over = await s.api(path, { customer_id: c.id, discount_type: 1, amount: 100.01 })
    assert.deepEqual(over.body.errors, { amount: ['Значение «Размер скидки» должно быть не больше 100.'] })
    const zero = await s.api(path, {
      customer_id: c.id,
      discount_type: 2,
      amount: 0,
      begin: '10.09.2025',
      end: '09.09.2025',
    })
    assert.deepEqual(zero.body.errors, {
      amount: ['Значение «Размер скидки» должно быть больше 0.'],
      end: ['Некорректный период'],
    })
    const fixed = await make.discount(s, c.id, { discount_type: 2, amount: '150,5', end: '2025-12-31' })
    assert.deepEqual(
      [fixed.amount, fixed.begin, fixed.end, fixed.branch_id, fixed.subject_ids],
      [150.5, '01.09.2025', '31.12.2025', 1, []],
    )
    const full = await make.discount(s, c.id, { amount: 100, begin: undefined })
    assert.deepEqual([full.amount, full.begin, full.end], [100, dmy(today()), null])
    const missing = await s.api(path, {})
    assert.deepEqual(Object.keys(missing.body.errors), ['customer_id', 'discount_type', 'amount'])
  })

  test('the customer must be visible in the branch; filters customer_id and discount_type', async () => {
    const other = await make.customer(s, { branch_ids: [2] })
    const r = await s.api('1/discount/create', { customer_id: other.id, discount_type: 1, amount: 5 })
    assert.deepEqual(r.body.errors, { customer_id: ['Значение «Клиент» неверно.'] })
    const c = await make.customer(s)
    const a = await make.discount(s, c.id)
    const b = await make.discount(s, c.id, { discount_type: 2, amount: 50 })
    assert.deepEqual(idsOf(await s.api('1/discount/index', { customer_id: c.id })), [a.id, b.id])
    assert.deepEqual(idsOf(await s.api('1/discount/index', { customer_id: c.id, discount_type: 2 })), [b.id])
  })
})

describe('pay (§7.13)', () => {
  const s = suiteServer({}, make.secondBranch)

  test('E11: an income with string amount and ISO date, confirmed by default', async () => {
    const c = await make.customer(s)
    const account = await make.payAccount(s, { name: 'Основная касса' })
    const r = await s.api('1/pay/create', {
      customer_id: c.id,
      pay_type_id: 1,
      pay_account_id: account.id,
      income: '5000',
      document_date: '2025-09-15',
      payer_name: 'Петрова Ольга',
      note: 'Абонемент «8 занятий»',
    })
    assert.equal(r.status, 200, r.text)
    assertNow(r.body.model.created_at)
    assert.deepEqual(r.body, {
      success: true,
      errors: [],
      model: {
        id: r.body.model.id,
        branch_id: 1,
        location_id: null,
        customer_id: c.id,
        pay_type_id: 1,
        pay_type_name: 'Приход',
        pay_account_id: account.id,
        pay_item_id: null,
        teacher_id: null,
        commodity_id: null,
        ctt_id: null,
        document_date: '15.09.2025',
        income: '5000.00',
        payer_name: 'Петрова Ольга',
        note: 'Абонемент «8 занятий»',
        is_confirmed: 1,
        created_at: r.body.model.created_at,
      },
    })
    const customer = (await s.api('1/customer/index', { id: c.id })).body.items[0]
    assert.deepEqual(
      [customer.balance, customer.balance_base, customer.paid_count],
      ['5000.00', '5000.00', 1],
    )
  })

  test('incomes and refunds need a customer, salaries a teacher; the amount is at least 0.01', async () => {
    const account = await make.payAccount(s)
    const base = { pay_account_id: account.id, document_date: '15.09.2025', income: 100 }
    for (const type of [1, 2]) {
      const r = await s.api('1/pay/create', { ...base, pay_type_id: type })
      assert.deepEqual(r.body, wire.invalid({ customer_id: ['Необходимо заполнить «Клиент».'] }))
    }
    const salary = await s.api('1/pay/create', { ...base, pay_type_id: 4, income: '0.004' })
    assert.deepEqual(salary.body.errors, {
      income: ['Значение «Сумма» должно быть не меньше 0.01.'],
      teacher_id: ['Необходимо заполнить «Педагог».'],
    })
    const teacher = (await s.api('1/teacher/create', { name: 'Иванова Мария Петровна' })).body.model
    const paid = await make.pay(s, { ...base, pay_type_id: 4, teacher_id: teacher.id })
    assert.deepEqual([paid.pay_type_name, paid.customer_id], ['Зарплата', null])
    const expense = await make.pay(s, { ...base, pay_type_id: 3, income: '0.01' })
    assert.deepEqual([expense.pay_type_name, expense.income], ['Расход', '0.01'])
    const empty = await s.api('1/pay/create', {})
    assert.deepEqual(Object.keys(empty.body.errors), [
      'pay_type_id',
      'pay_account_id',
      'document_date',
      'income',
    ])
    const turned = await s.api(`1/pay/update?id=${expense.id}`, { pay_type_id: 2 })
    assert.deepEqual(turned.body.errors, { customer_id: ['Необходимо заполнить «Клиент».'] })
  })

  test('the cash desk belongs to the pay’s branch, also when only the branch changes', async () => {
    const c = await make.customer(s, { branch_ids: [1, 2] })
    const here = await make.payAccount(s)
    const there = await make.payAccount(s, {}, { branch: 2 })
    const r = await attempt.pay(s, { customer_id: c.id, pay_account_id: there.id, income: 10 })
    assert.deepEqual(r.body.errors, { pay_account_id: ['Значение «Касса» неверно.'] })
    const p = await make.pay(s, { customer_id: c.id, pay_account_id: here.id, income: 10 })
    const moved = await s.api(`1/pay/update?id=${p.id}`, { branch_id: 2 })
    assert.deepEqual(moved.body.errors, { pay_account_id: ['Значение «Касса» неверно.'] })
    const both = await s.api(`1/pay/update?id=${p.id}`, { branch_id: 2, pay_account_id: there.id })
    assert.equal(both.status, 200, both.text)
    assert.equal((await s.api(`1/pay/index`, { id: p.id })).body.total, 0)
    assert.equal((await s.api(`2/pay/index`, { id: p.id })).body.total, 1)
  })

  test('ctt_id must be a subscription of the pay’s customer', async () => {
    const a = await make.customer(s)
    const b = await make.customer(s)
    const t = await make.tariff(s)
    const subA = await make.subscription(s, a.id, { tariff_id: t.id })
    const account = await make.payAccount(s)
    const wrong = await attempt.pay(s, {
      customer_id: b.id,
      pay_account_id: account.id,
      income: 10,
      ctt_id: subA.id,
    })
    assert.deepEqual(wrong.body.errors, { ctt_id: ['Значение «Абонемент» неверно.'] })
    const p = await make.pay(s, {
      customer_id: a.id,
      pay_account_id: account.id,
      income: 10,
      ctt_id: subA.id,
    })
    const moved = await s.api(`1/pay/update?id=${p.id}`, { customer_id: b.id })
    assert.deepEqual(moved.body.errors, { ctt_id: ['Значение «Абонемент» неверно.'] })
    const unknown = await s.api(`1/pay/update?id=${p.id}`, { ctt_id: 999999 })
    assert.deepEqual(unknown.body.errors, { ctt_id: ['Значение «Абонемент» неверно.'] })
  })

  test('filters and order: newest document first, then id', async () => {
    const c = await make.customer(s)
    const teacher = (await s.api('1/teacher/create', { name: 'Педагог' })).body.model
    const category = await make.dictionary(s, 'pay-item-category')
    const item = await make.payItem(s, { category_id: category.id })
    const account = await make.payAccount(s)
    const note = `Фильтр ${Date.now()}`
    const base = { pay_account_id: account.id, note }
    const p1 = await make.pay(s, { ...base, customer_id: c.id, income: 100, document_date: '01.09.2025' })
    const p2 = await make.pay(s, {
      ...base,
      customer_id: c.id,
      income: 250.5,
      document_date: '10.09.2025',
      pay_item_id: item.id,
    })
    const p3 = await make.pay(s, {
      ...base,
      pay_type_id: 4,
      teacher_id: teacher.id,
      income: 900,
      document_date: '10.09.2025',
    })
    const p4 = await make.pay(s, {
      ...base,
      pay_type_id: 3,
      income: 50,
      document_date: '05.09.2025',
      is_confirmed: 0,
    })
    const find = async (f: Record<string, unknown>) => idsOf(await s.api('1/pay/index', { note, ...f }))
    assert.deepEqual(await find({}), [p3.id, p2.id, p4.id, p1.id])
    assert.deepEqual(await find({ customer_id: c.id }), [p2.id, p1.id])
    assert.deepEqual(await find({ pay_type_id: [3, 4] }), [p3.id, p4.id])
    assert.deepEqual(await find({ employee_id: teacher.id }), [p3.id])
    assert.deepEqual(await find({ teacher_id: teacher.id }), [p3.id])
    assert.deepEqual(await find({ pay_item_category_id: category.id }), [p2.id])
    assert.deepEqual(await find({ pay_item_id: item.id }), [p2.id])
    assert.deepEqual(await find({ sum_from: '100', sum_to: '250,50' }), [p2.id, p1.id])
    assert.deepEqual(await find({ date_from: '2025-09-02', date_to: '09.09.2025' }), [p4.id])
    assert.deepEqual(await find({ is_confirmed: 0 }), [p4.id])
    assert.deepEqual(await find({ payer_name: 'нет такого' }), [])
    assert.deepEqual(await find({ currency: 'RUB', is_fiscal: 1, group_ids: [1] }), [
      p3.id,
      p2.id,
      p4.id,
      p1.id,
    ])
    assert.deepEqual(await find({ created_at_from: today(), updated_at_to: today() }), [
      p3.id,
      p2.id,
      p4.id,
      p1.id,
    ])
    const bad = await s.api('1/pay/index', { pay_item_category_id: 'x' })
    assert.deepEqual(bad.body, wire.badParam('pay_item_category_id'))
  })
})

describe('pay accounts, items and categories (§7.14–§7.16)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' })

  test('a cash desk used by a pay, an item used by a pay, a category used by an item are refused', async () => {
    const category = await make.dictionary(s, 'pay-item-category')
    const item = await make.payItem(s, { category_id: category.id, pay_type_ids: [3, 1, 3] })
    assert.deepEqual(item.pay_type_ids, [1, 3])
    const account = await make.payAccount(s)
    const p = await make.pay(s, {
      pay_type_id: 3,
      pay_account_id: account.id,
      pay_item_id: item.id,
      income: 1,
    })
    assert.deepEqual((await s.api(`1/pay-account/delete?id=${account.id}`)).body, wire.refused('pay'))
    assert.deepEqual((await s.api(`1/pay-item/delete?id=${item.id}`)).body, wire.refused('pay'))
    assert.deepEqual(
      (await s.api(`1/pay-item-category/delete?id=${category.id}`)).body,
      wire.refused('pay-item'),
    )
    assert.deepEqual((await s.api(`1/pay/delete?id=${p.id}`)).body, wire.deleted)
    assert.deepEqual((await s.api(`1/pay-item/delete?id=${item.id}`)).body, wire.deleted)
    assert.deepEqual((await s.api(`1/pay-item-category/delete?id=${category.id}`)).body, wire.deleted)
    assert.deepEqual((await s.api(`1/pay-account/delete?id=${account.id}`)).body, wire.deleted)
  })

  test('a user named by a cash desk is refused naming «pay-account»', async () => {
    const u = await make.user(s, {}, { login: false })
    const account = await make.payAccount(s, { user_ids: [u.id] })
    assert.deepEqual(account.user_ids, [u.id])
    assert.deepEqual((await s.api(`user/delete?id=${u.id}`)).body, wire.refused('pay-account'))
    await s.api(`1/pay-account/update?id=${account.id}`, { user_ids: [] })
    assert.deepEqual((await s.api(`user/delete?id=${u.id}`)).body, wire.deleted)
  })

  test('pay items filter by pay type, category and branch; pay types are 1–4', async () => {
    const category = await make.dictionary(s, 'pay-item-category')
    const a = await make.payItem(s, { pay_type_ids: [1, 2], category_id: category.id })
    const b = await make.payItem(s, { pay_type_ids: [3] })
    const find = async (f: Record<string, unknown>) =>
      idsOf(await s.api('1/pay-item/index', { id: [a.id, b.id], ...f }))
    assert.deepEqual(await find({ pay_type_id: 2 }), [a.id])
    assert.deepEqual(await find({ pay_type_id: [2, 3] }), [a.id, b.id])
    assert.deepEqual(await find({ category_id: category.id }), [a.id])
    assert.deepEqual(await find({ branch_id: 1 }), [a.id, b.id])
    const bad = await s.api('1/pay-item/create', { name: 'x', pay_type_ids: [5] })
    assert.deepEqual(bad.body.errors, { pay_type_ids: ['Значение «Типы платежей» неверно.'] })
  })
})
