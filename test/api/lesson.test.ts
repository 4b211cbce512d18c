import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type Server, startServer } from '../helpers/server.js'

/** §6.3, §6.4, §7.5, §7.6: the story of examples E8–E15 (money parts live in the money tests). */
describe('lessons and attendance', () => {
  let s: Server
  const ok = async (path: string, body: unknown = {}) => {
    const r = await s.api(path, body)
    assert.equal(r.status, 200, `${path}: ${r.text}`)
    return r.body
  }
  let a: number
  let b: number
  let g: number
  let subject: number
  let teacher: number
  let room: number
  before(async () => {
    s = await startServer()
    subject = (await ok('1/subject/create', { name: 'Английский язык' })).model.id
    teacher = (await ok('1/teacher/create', { name: 'Иванова Мария Петровна' })).model.id
    room = (await ok('1/room/create', { name: 'Каб. 12' })).model.id
    g = (
      await ok('1/group/create', {
        name: 'Английский A1 (пн/ср)',
        teacher_ids: [teacher],
        b_date: '01.09.2025',
        e_date: '31.05.2026',
      })
    ).model.id
    a = (await ok('1/customer/create', { name: 'Петров Пётр', is_study: 1, legal_type: 1 })).model.id
    b = (await ok('1/customer/create', { name: 'Сидорова Анна', is_study: 1, legal_type: 1 })).model.id
  })
  after(() => s.close())

  test('E8/E9: memberships from query ids; without ids → 400 naming group_id', async () => {
    const r = await ok(`1/cgi/create?customer_id=${a}&group_id=${g}`, { b_date: '01.09.2025' })
    assert.deepEqual(r.model, {
      id: r.model.id,
      customer_id: a,
      group_id: g,
      b_date: '01.09.2025',
      e_date: null,
    })
    const body = await ok('1/cgi/create', { customer_id: b, group_id: g, b_date: '01.09.2025' })
    assert.equal(body.model.customer_id, b)
    const none = await s.api('1/cgi/create', { b_date: '01.09.2025' })
    assert.equal(none.status, 400)
    assert.equal(none.body.message, 'Отсутствуют обязательные параметры: group_id')
    const half = await s.api(`1/cgi/create?group_id=${g}`, {})
    assert.equal(half.body.message, 'Отсутствуют обязательные параметры: customer_id')
    const twice = await s.api(`1/cgi/create?customer_id=${a}&group_id=${g}`, { b_date: '01.10.2025' })
    assert.equal(twice.status, 422)
    assert.deepEqual(twice.body.errors, { b_date: ['Клиент уже состоит в этой группе в этот период.'] })
  })

  let lessonId: number
  test('E12: a group lesson gets a detail per member, lesson_date and HH:MM input, datetime output', async () => {
    const r = await ok('1/lesson/create', {
      lesson_date: '15.09.2025',
      time_from: '18:00',
      duration: 90,
      subject_id: subject,
      lesson_type_id: 2,
      teacher_ids: [teacher],
      room_id: room,
      group_ids: [g],
      topic: 'Present Simple',
    })
    const m = r.model
    lessonId = m.id
    assert.deepEqual(
      { date: m.date, time_from: m.time_from, time_to: m.time_to, duration: m.duration, status: m.status },
      {
        date: '2025-09-15',
        time_from: '2025-09-15 18:00:00',
        time_to: '2025-09-15 19:30:00',
        duration: 90,
        status: 1,
      },
    )
    assert.deepEqual(Object.keys(m.details[0]), [
      'id',
      'customer_id',
      'branch_id',
      'lesson_id',
      'ctt_id',
      'is_attend',
      'reason_id',
      'commission',
      'grade',
      'homework_grade_id',
      'bonus',
      'note',
    ])
    assert.deepEqual(
      m.details.map((d: any) => [d.customer_id, d.is_attend, d.commission, d.ctt_id, d.note]),
      [
        [a, 0, '0.00', null, ''],
        [b, 0, '0.00', null, ''],
      ],
    )
  })

  test('E15: conducting writes attendance, logs Lesson then LessonDetails rows; repeating changes nothing', async () => {
    const body = {
      status: 3,
      details: [
        { customer_id: a, is_attend: 1, grade: 5 },
        { customer_id: b, is_attend: 0, reason_id: 4 },
      ],
    }
    const r = await ok(`1/lesson/update?id=${lessonId}`, body)
    assert.equal(r.model.status, 3)
    assert.deepEqual(
      r.model.details.map((d: any) => [d.customer_id, d.is_attend, d.grade, d.reason_id, d.commission]),
      [
        [a, 1, 5, null, '0.00'],
        [b, 0, null, 4, '0.00'],
      ],
    )
    const log = await ok('1/log/index', { 'per-page': 3 })
    assert.deepEqual(log.items.map((i: any) => [i.entity, i.event]).reverse(), [
      ['Lesson', 2],
      ['LessonDetails', 2],
      ['LessonDetails', 2],
    ])
    assert.deepEqual(log.items[2].fields_new, { status: 3 })
    const again = await ok(`1/lesson/update?id=${lessonId}`, body)
    assert.deepEqual(again.model, r.model)
    const after = await ok('1/log/index', { 'per-page': 1 })
    assert.equal(after.items[0].id, log.items[0].id, 'a repeated update writes no log row')
  })

  test('a detail for a non-participant is a 422 and changes nothing', async () => {
    const other = (await ok('1/customer/create', { name: 'Чужой', is_study: 1, legal_type: 1 })).model.id
    const r = await s.api(`1/lesson/update?id=${lessonId}`, {
      note: 'x',
      details: [{ customer_id: other, is_attend: 1 }],
    })
    assert.equal(r.status, 422)
    assert.deepEqual(r.body.errors, { details: [`Клиент ${other} не участвует в уроке.`] })
    const bad = await s.api(`1/lesson/update?id=${lessonId}`, { details: 'yes' })
    assert.deepEqual(bad.body.errors, { details: ['Значение «Посещаемость» должно быть списком.'] })
  })

  test('§8.36: index shows conducted lessons by default; status filters', async () => {
    const planned = await ok('1/lesson/create', {
      lesson_date: '2025-09-17',
      time_from: '18:00:00',
      time_to: '19:30',
      subject_id: subject,
      lesson_type_id: 2,
      group_ids: [g],
    })
    const byDefault = await ok('1/lesson/index')
    assert.deepEqual(
      byDefault.items.map((l: any) => l.id),
      [lessonId],
    )
    const one = await ok('1/lesson/index', { status: 1 })
    assert.deepEqual(
      one.items.map((l: any) => l.id),
      [planned.model.id],
    )
    const both = await ok('1/lesson/index', { status: [1, 3] })
    assert.deepEqual(
      both.items.map((l: any) => l.id),
      [planned.model.id, lessonId],
      'newest first',
    )
    const byCustomer = await ok('1/lesson/index', { status: [1, 3], customer_id: a })
    assert.equal(byCustomer.total, 2)
  })

  test('membership changes re-sync planned lessons but never conducted ones', async () => {
    const c = (await ok('1/customer/create', { name: 'Новиков', is_study: 1, legal_type: 1 })).model.id
    const m = await ok(`1/cgi/create?customer_id=${c}&group_id=${g}`, { b_date: '16.09.2025' })
    const planned = await ok('1/lesson/index', { status: 1, group_id: g })
    assert.ok(planned.items[0].details.some((d: any) => d.customer_id === c))
    const conducted = await ok('1/lesson/index', { id: lessonId })
    assert.ok(!conducted.items[0].details.some((d: any) => d.customer_id === c))
    await ok(`1/cgi/delete?id=${m.model.id}`)
    const after = await ok('1/lesson/index', { status: 1, group_id: g })
    assert.ok(!after.items[0].details.some((d: any) => d.customer_id === c))
  })

  test('§8.38: a longer customer_ids adds a participant; group_ids [] detaches the groups', async () => {
    const c = (await ok('1/customer/create', { name: 'Индивидуал', is_study: 1, legal_type: 1 })).model.id
    const l = await ok('1/lesson/create', {
      date: '2025-09-20',
      time_from: '10:00',
      duration: 60,
      subject_id: subject,
      lesson_type_id: 1,
      group_ids: [g],
    })
    const added = await ok(`1/lesson/update?id=${l.model.id}`, { customer_ids: [c] })
    assert.ok(added.model.details.some((d: any) => d.customer_id === c))
    const detached = await ok(`1/lesson/update?id=${l.model.id}`, { group_ids: [] })
    assert.deepEqual(
      detached.model.details.map((d: any) => d.customer_id),
      [c],
    )
    const moved = await ok(`1/lesson/update?id=${l.model.id}`, { time_from: '12:00:00' })
    assert.deepEqual(
      [moved.model.time_from, moved.model.time_to],
      ['2025-09-20 12:00:00', '2025-09-20 13:00:00'],
    )
  })

  test('time_to not after time_from, and a lesson crossing midnight, are «Некорректный период»', async () => {
    const base = { date: '2025-09-21', subject_id: subject, lesson_type_id: 1 }
    for (const times of [
      { time_from: '18:00', time_to: '17:00' },
      { time_from: '23:30', duration: 60 },
    ]) {
      const r = await s.api('1/lesson/create', { ...base, ...times })
      assert.equal(r.status, 422, JSON.stringify(times))
      assert.deepEqual(r.body.errors, { time_to: ['Некорректный период'] })
    }
    const missing = await s.api('1/lesson/create', { ...base, time_from: '10:00' })
    assert.deepEqual(missing.body.errors, { time_to: ['Необходимо заполнить «Время окончания».'] })
  })
})
