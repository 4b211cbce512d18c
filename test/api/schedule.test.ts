import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { addDays, isoWeekday, nowParts } from '../../src/wire/dates.js'
import { type Server, startServer } from '../helpers/server.js'

/** §6.7, §7.21, §7.27: regular lessons generate the schedule; calendars read it back (E13, E14, E22). */
describe('schedule generation and calendars', () => {
  let s: Server
  const ok = async (path: string, body: unknown = {}) => {
    const r = await s.api(path, body)
    assert.equal(r.status, 200, `${path}: ${r.text}`)
    return r.body
  }
  let g: number
  let a: number
  let subject: number
  let teacher: number
  let room: number
  before(async () => {
    s = await startServer()
    subject = (await ok('1/subject/create', { name: 'Английский язык' })).model.id
    teacher = (await ok('1/teacher/create', { name: 'Иванова Мария Петровна' })).model.id
    room = (await ok('1/room/create', { name: 'Каб. 12' })).model.id
    g = (await ok('1/group/create', { name: 'A1', teacher_ids: [teacher] })).model.id
    a = (await ok('1/customer/create', { name: 'Петров Пётр', is_study: 1, legal_type: 1 })).model.id
    await ok(`1/cgi/create?customer_id=${a}&group_id=${g}`, { b_date: '01.09.2025' })
  })
  after(() => s.close())

  let slot: number
  test('E13: a Mon/Wed slot makes one planned lesson per matching date, logged after the slot', async () => {
    const r = await ok('1/regular-lesson/create', {
      branch_id: 1,
      related_class: 'Group',
      related_id: g,
      subject_id: subject,
      lesson_type_id: 2,
      teacher_ids: [teacher],
      room_id: room,
      days: [1, 3],
      time_from_v: '18:00',
      time_to_v: '19:30',
      b_date_v: '17.09.2025',
      e_date_v: '12.10.2025',
    })
    slot = r.model.id
    assert.deepEqual(r.model, {
      id: slot,
      branch_id: 1,
      lesson_type_id: 2,
      related_class: 'Group',
      related_id: g,
      subject_id: subject,
      streaming: 0,
      teacher_ids: [teacher],
      customer_ids: [],
      room_id: room,
      day: 1,
      days: [1, 3],
      time_from_v: '18:00',
      time_to_v: '19:30',
      b_date: '2025-09-17',
      e_date: '2025-10-12',
      b_date_v: '17.09.2025',
      e_date_v: '12.10.2025',
      is_public: 0,
    })
    const lessons = await ok('1/lesson/index', { status: 1, regular_id: slot, 'per-page': 50 })
    assert.deepEqual(lessons.items.map((l: any) => l.date).reverse(), [
      '2025-09-17',
      '2025-09-22',
      '2025-09-24',
      '2025-09-29',
      '2025-10-01',
      '2025-10-06',
      '2025-10-08',
    ])
    const ids = lessons.items.map((l: any) => l.id).reverse()
    assert.deepEqual(
      ids,
      [...ids].sort((x: number, y: number) => x - y),
      'ids in date order',
    )
    const l = lessons.items[0]
    assert.deepEqual(
      [l.group_ids, l.teacher_ids, l.time_from, l.duration],
      [[g], [teacher], '2025-10-08 18:00:00', 90],
    )
    assert.deepEqual(
      l.details.map((d: any) => d.customer_id),
      [a],
    )
    const log = await ok('1/log/index', { 'per-page': 8 })
    assert.deepEqual(log.items.map((i: any) => i.entity).reverse(), [
      'RegularLesson',
      'Lesson',
      'Lesson',
      'Lesson',
      'Lesson',
      'Lesson',
      'Lesson',
      'Lesson',
    ])
  })

  test('E14: pages of planned lessons newest first, per-page in the query', async () => {
    const r = await s.api('1/lesson/index?per-page=2', {
      status: 1,
      group_id: g,
      date_from: '2025-09-16',
      page: 3,
    })
    assert.deepEqual([r.body.total, r.body.count, r.body.page], [7, 1, 3])
    assert.equal(r.body.items[0].date, '2025-09-17')
    const past = await s.api('1/lesson/index?per-page=2', {
      status: 1,
      group_id: g,
      date_from: '2025-09-16',
      page: 4,
    })
    assert.deepEqual(past.body, { total: 7, count: 0, page: 4, items: [] })
  })

  test('E22: the calendar of a customer is a bare array of every status, by start', async () => {
    const r = await s.api(`1/calendar/customer?id=${a}&date1=15.09.2025&date2=21.09.2025`)
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, [
      {
        id: r.body[0].id,
        type: 2,
        status: 1,
        start: '2025-09-17 18:00:00',
        duration: 90,
        subject_id: subject,
        subject: 'Английский язык',
      },
    ])
    const byTeacher = await ok(`1/calendar/teacher?id=${teacher}&date1=2025-09-01&date2=2025-10-31`)
    assert.equal(byTeacher.length, 7)
    const byGroup = await ok(`1/calendar/group?id=${g}&date1=2025-09-01&date2=2025-10-31`)
    assert.equal(byGroup.length, 7)
    assert.deepEqual(await ok(`1/calendar/group?id=999&date1=2025-09-01&date2=2025-10-31`), [])
    const missing = await s.api('1/calendar/customer?date1=01.09.2025')
    assert.equal(missing.body.message, 'Отсутствуют обязательные параметры: id, date2')
    const reversed = await s.api(`1/calendar/customer?id=${a}&date1=02.09.2025&date2=01.09.2025`)
    assert.equal(reversed.body.message, 'Неверное значение параметра «date2».')
    const index = await s.api('1/calendar/index')
    assert.equal(index.status, 404)
  })

  test('a period of a year or more, an empty days list and reversed times are refused', async () => {
    const base = {
      related_class: 'group',
      related_id: g,
      subject_id: subject,
      lesson_type_id: 2,
      days: [1],
      time_from_v: '10:00',
      time_to_v: '11:00',
    }
    const year = await s.api('1/regular-lesson/create', {
      ...base,
      b_date: '2025-09-01',
      e_date: '01.09.2026',
    })
    assert.deepEqual(year.body.errors, { e_date_v: ['Период не может превышать один год.'] })
    const fine = await s.api('1/regular-lesson/create', {
      ...base,
      b_date: '2025-09-01',
      e_date: '31.08.2026',
      days: [7],
    })
    assert.equal(fine.status, 200, fine.text)
    assert.equal(fine.body.model.related_class, 'Group')
    await ok(`1/regular-lesson/delete?id=${fine.body.model.id}`)
    const empty = await s.api('1/regular-lesson/create', {
      ...base,
      b_date_v: '01.09.2025',
      e_date_v: '30.09.2025',
      days: [],
    })
    assert.deepEqual(empty.body.errors, { days: ['Необходимо заполнить «День недели».'] })
    const times = await s.api('1/regular-lesson/create', {
      ...base,
      b_date_v: '01.09.2025',
      e_date_v: '30.09.2025',
      time_to_v: '09:00',
    })
    assert.deepEqual(times.body.errors, { time_to_v: ['Некорректный период'] })
  })

  test('update regenerates only future planned lessons; delete detaches the past', async () => {
    const today = nowParts('Europe/Moscow').date
    const start = addDays(today, -14)
    const end = addDays(today, 20)
    const weekday = isoWeekday(today)
    const made = await ok('1/regular-lesson/create', {
      related_class: 'Group',
      related_id: g,
      subject_id: subject,
      lesson_type_id: 2,
      days: [1, 2, 3, 4, 5, 6, 7],
      time_from_v: '08:00',
      time_to_v: '09:00',
      b_date: start,
      e_date: end,
    })
    const id = made.model.id
    const all = async () =>
      (await ok('1/lesson/index', { status: [1, 2, 3], regular_id: id, 'per-page': 50 })).items
    assert.equal((await all()).length, 35)
    const past = (await all()).find((l: any) => l.date === addDays(today, -3))
    await ok(`1/lesson/update?id=${past.id}`, { status: 3 })
    const future = (await all()).find((l: any) => l.date === addDays(today, 5))
    await ok(`1/lesson/update?id=${future.id}`, { status: 2 })
    await ok(`1/regular-lesson/update?id=${id}`, {
      time_from_v: '09:00',
      time_to_v: '10:00',
      days: [weekday],
    })
    const after = await all()
    const kept = after.filter((l: any) => l.date < today || l.status !== 1)
    assert.equal(kept.length, 15, 'the 14 past planned lessons and the cancelled one stay')
    assert.ok(kept.every((l: any) => l.time_from.endsWith('08:00:00')))
    const regenerated = after.filter((l: any) => l.date >= today && l.status === 1)
    assert.ok(
      regenerated.every((l: any) => l.time_from.endsWith('09:00:00') && isoWeekday(l.date) === weekday),
    )
    assert.equal(regenerated.length, after.filter((l: any) => l.date >= today && l.status === 1).length)
    await ok(`1/regular-lesson/delete?id=${id}`)
    const left = await ok('1/lesson/index', { status: [1, 2, 3], regular_id: id })
    assert.equal(left.total, 0)
    const orphans = await ok('1/lesson/index', {
      status: [1, 2, 3],
      date_from: start,
      date_to: end,
      group_id: g,
      'per-page': 50,
    })
    assert.ok(orphans.items.every((l: any) => l.regular_id === null && (l.date < today || l.status !== 1)))
  })
})
