import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { suiteServer } from '../helpers/server.js'
import { JSON_TYPE, wire } from '../helpers/wire.js'

describe('customer', () => {
  const s = suiteServer({}, async () => {
    await s.api('1/lead-status/create', { name: 'Новый' })
    await s.api('1/lead-status/create', { name: 'Пробное занятие' })
    await s.api('1/lead-status/create', { name: 'Оплатил' })
    await s.api('1/lead-source/create', { name: 'Реклама' })
    await s.api('1/lead-source/create', { name: 'Сайт' })
  })

  test('E4: creates a lead with ISO dob, a single phone string and the path branch', async () => {
    const r = await s.api('1/customer/create', {
      name: 'Петров Пётр',
      is_study: 0,
      legal_type: 1,
      legal_name: 'Петрова Ольга',
      lead_status_id: 1,
      lead_source_id: 2,
      dob: '2012-03-04',
      gender: 1,
      phone: '+7 (916) 123-45-67',
      email: ['olga.petrova@example.ru'],
    })
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('content-type'), JSON_TYPE)
    const m = r.body.model
    assert.deepEqual(Object.keys(r.body), ['success', 'errors', 'model'])
    assert.deepEqual(Object.keys(m), [
      'id',
      'branch_ids',
      'teacher_ids',
      'name',
      'is_study',
      'study_status_id',
      'lead_status_id',
      'lead_reject_id',
      'customer_reject_id',
      'lead_source_id',
      'assigned_id',
      'employee_id',
      'legal_type',
      'legal_name',
      'company_id',
      'dob',
      'gender',
      'balance',
      'balance_base',
      'balance_bonus',
      'last_attend_date',
      'b_date',
      'e_date',
      'removed',
      'note',
      'paid_count',
      'paid_lesson_count',
      'paid_lesson_date',
      'next_lesson_date',
      'paid_till',
      'phone',
      'email',
      'web',
      'addr',
      'color',
    ])
    assert.equal(m.dob, '04.03.2012')
    assert.deepEqual(m.phone, ['+7 (916) 123-45-67'])
    assert.deepEqual(m.branch_ids, [1])
    assert.equal(m.balance, '0.00')
    assert.equal(m.e_date, '2030-12-31')
    assert.equal(m.paid_lesson_date, null)
    assert.match(m.b_date, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    assert.ok(r.text.includes('Петров Пётр'), 'Cyrillic is not escaped')
  })

  test('E5: reports every validation failure in field order and stores nothing', async () => {
    const before = await s.api('1/customer/index', { is_study: 2, removed: 1 })
    const r = await s.api('1/customer/create', { name: '  ', is_study: 1, dob: '31.02.2012' })
    assert.equal(r.status, 422)
    assert.deepEqual(
      r.body,
      wire.invalid({
        name: ['Необходимо заполнить «Имя».'],
        legal_type: ['Необходимо заполнить «Тип клиента».'],
        dob: ['Неверный формат значения «Дата рождения».'],
      }),
    )
    const afterIdx = await s.api('1/customer/index', { is_study: 2, removed: 1 })
    assert.equal(afterIdx.body.total, before.body.total)
  })

  test('E6: branch-less path, misspelled content type, numeric strings', async () => {
    const r = await s.api('customer/create', undefined, {
      headers: { 'content-type': '', 'Content-Typ': 'application/json' },
      raw: '{"name":"Сидорова Анна","is_study":"1","legal_type":1,"lead_source_id":2,"dob":"20.11.2013","gender":"2","phone":"+7 (903) 555-12-34"}',
    })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.model.is_study, 1)
    assert.equal(r.body.model.gender, 2)
    assert.deepEqual(r.body.model.branch_ids, [1])
  })

  test('E7 + E18: lead becomes a student; balance ignored; the log holds only the changed keys', async () => {
    const r = await s.api('1/customer/update?id=1', { is_study: true, lead_status_id: 3, balance: 100000 })
    assert.equal(r.status, 200)
    assert.equal(r.body.model.is_study, 1)
    assert.equal(r.body.model.balance, '0.00')
    const log = await s.api('1/log/index', { entity: 'Customer', entity_id: 1, event: 2 })
    assert.equal(log.body.total, 1)
    const row = log.body.items[0]
    assert.deepEqual(row.fields_old, { is_study: 0, lead_status_id: 1 })
    assert.deepEqual(row.fields_new, { is_study: 1, lead_status_id: 3 })
    assert.deepEqual(row.fields_rel, [])
    const funnel = await s.api('1/log/index', { entity: 'Customer', entity_id: 1, field: 'lead_status_id' })
    assert.equal(funnel.body.total, 2)
    assert.equal(funnel.body.items[1].event, 1)
    assert.deepEqual(funnel.body.items[1].fields_old, [])
  })

  test('E16: phone digits find the customer whatever the formatting', async () => {
    for (const q of ['916 123-45-67', '79161234567', '+7(916)123']) {
      const r = await s.api('1/customer/index', { phone: q })
      assert.equal(r.body.total, 1, q)
      assert.equal(r.body.items[0].id, 1)
    }
    const none = await s.api('1/customer/index', { phone: '0000000' })
    assert.equal(none.body.total, 0)
  })

  test('E17: both leads and students, filtered, one per page', async () => {
    const r = await s.api('1/customer/index?per-page=1', { is_study: 2, lead_source_id: 2, page: 1 })
    assert.equal(r.body.total, 2)
    assert.equal(r.body.count, 1)
    assert.equal(r.body.page, 1)
    assert.equal(r.body.items[0].id, 2)
  })

  test('case-insensitive Cyrillic name search; ё differs from е; LIKE metacharacters are literal', async () => {
    await s.api('1/customer/create', { name: 'ЁЛКИНА Елена 100%_x', is_study: 1, legal_type: 1 })
    const by = async (name: string) => (await s.api('1/customer/index', { name, is_study: 2 })).body.total
    assert.equal(await by('сидоров'), 1)
    assert.equal(await by('ёлкина'), 1)
    assert.equal(await by('елкина'), 0)
    assert.equal(await by('100%_x'), 1)
    assert.equal(await by('0%_'), 1)
    assert.equal(await by('%'), 1)
    assert.equal(await by('_'), 1)
  })

  test('E19 + E20: delete archives, restore reopens, both logged', async () => {
    const d = await s.api('1/customer/delete?id=2')
    assert.deepEqual(d.body, wire.deleted)
    const active = await s.api('1/customer/index', { id: 2 })
    assert.equal(active.body.total, 0)
    const archived = await s.api('1/customer/index', { id: 2, removed: 2 })
    assert.equal(archived.body.items[0].removed, 1)
    assert.match(archived.body.items[0].e_date, /^\d{4}-\d{2}-\d{2}$/)
    assert.notEqual(archived.body.items[0].e_date, '2030-12-31')
    const again = await s.api('1/customer/delete?id=2')
    assert.equal(again.status, 200)
    const r = await s.api('1/customer/restore?id=2')
    assert.equal(r.status, 200)
    assert.equal(r.body.model.removed, 0)
    assert.equal(r.body.model.e_date, '2030-12-31')
    const log = await s.api('1/log/index', { entity: 'Customer', entity_id: 2 })
    assert.deepEqual(
      log.body.items.map((i: { event: number }) => i.event),
      [4, 3, 1],
    )
    assert.deepEqual(log.body.items[0].fields_new, { removed: 0, e_date: '2030-12-31' })
  })
})
