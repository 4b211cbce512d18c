import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { idsOf, make, tag, wallClock } from '../helpers/make.js'
import { type Server, suiteServer } from '../helpers/server.js'
import { strict, wire } from '../helpers/wire.js'

/**
 * §7.24 Teacher and its sub-resources: archiving with the open end date 2030-12-31 (§6.9, §8.34),
 * `subject_id` as a one-element `subject_ids`, and working hours and rates addressed as
 * `/v2api/{b}/teacher/{sub}/{action}?teacher_id=` that belong to the branches of their teacher (§2.5).
 */

const TEACHER_KEYS = [
  'id',
  'branch_ids',
  'name',
  'dob',
  'gender',
  'phone',
  'email',
  'web',
  'addr',
  'note',
  'streaming_id',
  'subject_ids',
  'e_date',
  'removed',
]
const HOUR_KEYS = ['id', 'teacher_id', 'location_id', 'weekday', 'time_from', 'time_to']
const RATE_KEYS = [
  'id',
  'teacher_id',
  'rate',
  'type',
  'b_date',
  'e_date',
  'is_multirate',
  'is_proportional',
  'condition_attend',
  'reason_ids',
  'count_from',
  'count_to',
  'duration',
  'lesson_type_ids',
  'subject_ids',
  'is_gt_zero',
]

const badTeacher = wire.invalid({ teacher_id: ['Значение «Педагог» неверно.'] })
const today = () => wallClock().slice(0, 10)

type Fields = Record<string, unknown>

async function saved(s: Server, path: string, body: Fields) {
  const r = await s.api(path, body)
  assert.equal(r.status, 200, `${path}: ${r.text}`)
  return r.body.model
}

const teacherIn = (s: Server, fields: Fields = {}, branch = 1) =>
  saved(s, `${branch}/teacher/create`, { name: `Педагог ${tag()}`, ...fields })
const hourOf = (s: Server, teacherId: number, fields: Fields = {}, branch = 1) =>
  saved(s, `${branch}/teacher/working-hour/create?teacher_id=${teacherId}`, {
    weekday: 1,
    time_from: '10:00',
    time_to: '12:00',
    ...fields,
  })
const rateOf = (s: Server, teacherId: number, fields: Fields = {}, branch = 1) =>
  saved(s, `${branch}/teacher/teacher-rate/create?teacher_id=${teacherId}`, {
    rate: 1500,
    type: 1,
    ...fields,
  })

const logEvents = async (s: Server, entity: string, id: number) =>
  (await s.api('1/log/index', { entity, entity_id: id })).body.items as Array<{
    event: number
    fields_old: unknown
    fields_new: Record<string, unknown>
  }>

describe('teacher (§7.24)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' }, make.secondBranch)

  test('§8.34: an active teacher shows e_date 2030-12-31, keys in table order, defaults in place', async () => {
    const m = await saved(s, '1/teacher/create', { name: '  Иванова Анна  ', dob: '1990-05-17' })
    assert.deepEqual(Object.keys(m), TEACHER_KEYS)
    assert.deepEqual(m, {
      ...m,
      branch_ids: [1],
      name: 'Иванова Анна',
      dob: '17.05.1990',
      gender: 0,
      phone: [],
      email: [],
      web: [],
      addr: [],
      note: '',
      streaming_id: null,
      subject_ids: [],
      e_date: '2030-12-31',
      removed: 0,
    })
    const listed = await s.api('1/teacher/index', { id: m.id })
    assert.deepEqual(listed.body.items, [m])
  })

  test('§8.6: an empty, null, "", [] or {} body on teacher/create fails validation on name only', async () => {
    const before = (await s.api('1/teacher/index', { removed: 1 })).body.total
    for (const raw of ['', '   ', 'null', '""', '[]', '{}']) {
      const r = await s.api('1/teacher/create', undefined, { raw })
      assert.equal(r.status, 422, `${JSON.stringify(raw)}: ${r.text}`)
      assert.deepEqual(r.body, wire.invalid({ name: ['Необходимо заполнить «Имя».'] }))
    }
    assert.equal((await s.api('1/teacher/index', { removed: 1 })).body.total, before, 'nothing stored')
  })

  test('subject_id becomes [subject_id] when subject_ids is absent; subject_ids wins when both are sent', async () => {
    const a = await make.dictionary(s, 'subject')
    const b = await make.dictionary(s, 'subject')
    const one = await teacherIn(s, { subject_id: a.id })
    assert.deepEqual(one.subject_ids, [a.id])
    const both = await teacherIn(s, { subject_id: a.id, subject_ids: [b.id] })
    assert.deepEqual(both.subject_ids, [b.id])
    const moved = await saved(s, `1/teacher/update?id=${one.id}`, { subject_id: `${b.id}` })
    assert.deepEqual(moved.subject_ids, [b.id])
    const unknown = await s.api('1/teacher/create', { name: 'Без предмета', subject_id: 999999 })
    assert.deepEqual(unknown.body, wire.invalid({ subject_ids: ['Значение «Предметы» неверно.'] }))
    assert.deepEqual(idsOf(await s.api('1/teacher/index', { subject_id: b.id })), [one.id, both.id])
  })

  test('§4.5: the phone filter matches digits whatever the formatting; e-mail is a substring', async () => {
    const t = await teacherIn(s, { phone: '+7 (999) 555-12-34', email: ['Anna.Teacher@School.example'] })
    for (const q of ['79995551234', '999 555-12-34', '5551234', '+7(999)555']) {
      assert.deepEqual(idsOf(await s.api('1/teacher/index', { phone: q })), [t.id], q)
    }
    assert.equal((await s.api('1/teacher/index', { phone: '79995551239' })).body.total, 0)
    assert.deepEqual(idsOf(await s.api('1/teacher/index', { email: 'anna.teacher@' })), [t.id])
  })

  test('age_from / age_to count full years from dob; gender is exact', async () => {
    const name = `Возраст ${tag()}`
    const year = Number(today().slice(0, 4))
    // Born on 1 January: the birthday of this year has always passed, so the age is exact.
    const forty = await teacherIn(s, { name, dob: `01.01.${year - 40}`, gender: 2 })
    const twentyFive = await teacherIn(s, { name, dob: `${year - 25}-01-01`, gender: 1 })
    await teacherIn(s, { name })
    const by = async (filters: Fields) => idsOf(await s.api('1/teacher/index', { name, ...filters }))
    assert.deepEqual(await by({ age_from: 30 }), [forty.id])
    assert.deepEqual(await by({ age_to: 30 }), [twentyFive.id])
    assert.deepEqual(await by({ age_from: 25, age_to: '25' }), [twentyFive.id])
    assert.deepEqual(await by({ age_from: 20, age_to: 40 }), [forty.id, twentyFive.id])
    assert.deepEqual(await by({ gender: 2 }), [forty.id])
    assert.deepEqual(
      await s.api('1/teacher/index', { age_from: 'abc' }).then((r) => r.body),
      wire.badParam('age_from'),
    )
  })

  test('§6.9: delete archives with today as e_date; restore puts 2030-12-31 back; both logged', async () => {
    const t = await teacherIn(s)
    assert.deepEqual((await s.api(`1/teacher/delete?id=${t.id}`)).body, wire.deleted)
    assert.equal((await s.api('1/teacher/index', { id: t.id })).body.total, 0, 'hidden by default')
    const archived = (await s.api('1/teacher/index', { id: t.id, removed: 2 })).body.items[0]
    assert.deepEqual([archived.removed, archived.e_date], [1, today()])
    assert.deepEqual(idsOf(await s.api('1/teacher/index', { id: t.id, removed: 1 })), [t.id])
    assert.deepEqual(idsOf(await s.api('1/teacher/index', { e_date: today(), removed: 2 })), [t.id])
    assert.deepEqual((await s.api(`1/teacher/delete?id=${t.id}`)).body, wire.deleted, 'again: no change')
    const back = await s.api(`1/teacher/restore?id=${t.id}`)
    assert.equal(back.status, 200, back.text)
    assert.deepEqual([back.body.model.removed, back.body.model.e_date], [0, '2030-12-31'])
    const events = await logEvents(s, 'Teacher', t.id)
    assert.deepEqual(
      events.map((e) => e.event),
      [4, 3, 1],
    )
    assert.deepEqual(events[0]!.fields_new, { removed: 0, e_date: '2030-12-31' })
    assert.deepEqual(events[1]!.fields_new, { removed: 1, e_date: today() })
  })

  test('§6.9: update with removed 1 archives and removed 0 restores, each logged as an update', async () => {
    const t = await teacherIn(s)
    const off = await saved(s, `1/teacher/update?id=${t.id}`, { removed: 1 })
    assert.deepEqual([off.removed, off.e_date], [1, today()])
    const on = await saved(s, `1/teacher/update?id=${t.id}`, { removed: '0', note: 'Вернулась' })
    assert.deepEqual([on.removed, on.e_date, on.note], [0, '2030-12-31', 'Вернулась'])
    const events = await logEvents(s, 'Teacher', t.id)
    assert.deepEqual(
      events.map((e) => e.event),
      [2, 2, 1],
    )
    assert.equal(events[1]!.fields_new.removed, 1)
  })

  test('the e_date filter takes either date style; skill_id is ignored, even in strict mode', async () => {
    const t = await teacherIn(s, { name: `Открытый ${tag()}` })
    for (const e_date of ['2030-12-31', '31.12.2030']) {
      assert.ok(idsOf(await s.api('1/teacher/index', { e_date, 'per-page': 50, id: t.id })).includes(t.id))
    }
    const r = await s.api('1/teacher/index', { id: t.id, skill_id: 5 }, strict)
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(idsOf(r), [t.id])
  })

  test('custom fields of teacher read and write as custom_<code>', async () => {
    const code = `lvl_${tag()}`
    await make.customField(s, { model: 'teacher', code, label: 'Категория' })
    const t = await teacherIn(s, { [`custom_${code}`]: 'Высшая' })
    assert.equal(t[`custom_${code}`], 'Высшая')
    assert.deepEqual(Object.keys(t).slice(0, TEACHER_KEYS.length), TEACHER_KEYS)
  })
})

describe('teacher working hours and rates (§7.24.1, §7.24.2)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' }, make.secondBranch)

  test('working hours through the branch path and the branch-less path, keys in table order', async () => {
    const t = await teacherIn(s)
    const location = await make.location(s)
    const h = await saved(s, `1/teacher/working-hour/create?teacher_id=${t.id}`, {
      location_id: location.id,
      weekday: '3',
      time_from: '9:00',
      time_to: '2025-09-01 18:30:00',
    })
    assert.deepEqual(h, {
      id: h.id,
      teacher_id: t.id,
      location_id: location.id,
      weekday: 3,
      time_from: '09:00:00',
      time_to: '18:30:00',
    })
    assert.deepEqual(Object.keys(h), HOUR_KEYS)
    const other = await saved(s, `teacher/working-hour/create?teacher_id=${t.id}`, {
      weekday: 7,
      time_from: '10:00',
      time_to: '11:00',
    })
    for (const path of [
      `1/teacher/working-hour/index?teacher_id=${t.id}`,
      `1/teacher/working-hour?teacher_id=${t.id}`,
      `teacher/working-hour?teacher_id=${t.id}`,
      `teacher/working-hour/index?teacher_id=${t.id}`,
    ]) {
      const r = await s.api(path)
      assert.equal(r.status, 200, `${path}: ${r.text}`)
      assert.deepEqual(r.body.items, [h, other], path)
    }
    const byBody = await s.api('1/teacher/working-hour/index', { teacher_id: t.id, weekday: 7 })
    assert.deepEqual(idsOf(byBody), [other.id], 'teacher_id may come from the body')
    const byLocation = await s.api(`1/teacher/working-hour/index?teacher_id=${t.id}`, {
      location_id: location.id,
    })
    assert.deepEqual(idsOf(byLocation), [h.id])
  })

  test('index and create without teacher_id are 400 naming it, in both path forms', async () => {
    for (const sub of ['working-hour', 'teacher-rate']) {
      for (const path of [`1/teacher/${sub}/index`, `1/teacher/${sub}/create`, `teacher/${sub}`]) {
        const r = await s.api(path, { weekday: 1, rate: 1, type: 1 })
        assert.equal(r.status, 400, `${path}: ${r.text}`)
        assert.deepEqual(r.body, wire.missing('teacher_id'))
      }
      const bad = await s.api(`1/teacher/${sub}/index?teacher_id=abc`)
      assert.deepEqual(bad.body, wire.badParam('teacher_id'))
    }
  })

  test('a teacher of another branch is 422 on create and an empty index; through its branch it works', async () => {
    const foreign = await teacherIn(s, {}, 2)
    for (const [sub, body] of [
      ['working-hour', { weekday: 1, time_from: '10:00', time_to: '11:00' }],
      ['teacher-rate', { rate: 100, type: 1 }],
    ] as const) {
      const r = await s.api(`1/teacher/${sub}/create?teacher_id=${foreign.id}`, body)
      assert.equal(r.status, 422, r.text)
      assert.deepEqual(r.body, badTeacher)
      const none = await s.api(`1/teacher/${sub}/create?teacher_id=999999`, body)
      assert.deepEqual(none.body, badTeacher, 'a teacher that does not exist')
      const theirs = await saved(s, `2/teacher/${sub}/create?teacher_id=${foreign.id}`, body)
      const mine = await s.api(`1/teacher/${sub}/index?teacher_id=${foreign.id}`)
      assert.deepEqual([mine.status, mine.body.total, mine.body.items], [200, 0, []])
      assert.deepEqual(idsOf(await s.api(`2/teacher/${sub}/index?teacher_id=${foreign.id}`)), [theirs.id])
      assert.equal((await s.api(`1/teacher/${sub}/update?id=${theirs.id}`, {})).status, 404)
      assert.equal((await s.api(`1/teacher/${sub}/delete?id=${theirs.id}`)).status, 404)
    }
  })

  test('a teacher in both branches shares its hours with both; an archived teacher keeps them', async () => {
    const t = await teacherIn(s, { branch_ids: [1, 2] })
    const h = await hourOf(s, t.id, {}, 2)
    for (const b of [1, 2]) {
      assert.deepEqual(idsOf(await s.api(`${b}/teacher/working-hour/index?teacher_id=${t.id}`)), [h.id])
    }
    await s.api(`1/teacher/delete?id=${t.id}`)
    const later = await hourOf(s, t.id, { weekday: 2 })
    assert.deepEqual(idsOf(await s.api(`1/teacher/working-hour/index?teacher_id=${t.id}`)), [h.id, later.id])
  })

  test('update and delete take teacher_id optionally; a mismatching one is 404 and changes nothing', async () => {
    const t = await teacherIn(s)
    const other = await teacherIn(s)
    const h = await hourOf(s, t.id)
    const wrong = await s.api(`1/teacher/working-hour/update?id=${h.id}&teacher_id=${other.id}`, {
      weekday: 5,
    })
    assert.equal(wrong.status, 404, wrong.text)
    assert.deepEqual(wrong.body, wire.notFound)
    // §1.8: the body is the fallback source of the scoping parameter, so it must match too.
    const wrongBody = await s.api(`1/teacher/working-hour/update?id=${h.id}`, {
      teacher_id: other.id,
      weekday: 5,
    })
    assert.deepEqual(wrongBody.body, wire.notFound)
    const wrongDelete = await s.api(`1/teacher/working-hour/delete?id=${h.id}`, { teacher_id: other.id })
    assert.deepEqual(wrongDelete.body, wire.notFound)
    const unchanged = await s.api(`1/teacher/working-hour/index?teacher_id=${t.id}`)
    assert.deepEqual(unchanged.body.items, [h])
    const moved = await saved(s, `1/teacher/working-hour/update?id=${h.id}&teacher_id=${t.id}`, {
      weekday: 5,
      teacher_id: other.id,
    })
    assert.deepEqual([moved.weekday, moved.teacher_id], [5, t.id], 'the query wins; teacher_id never changes')
    await saved(s, `1/teacher/working-hour/update?id=${h.id}`, { weekday: 6 })
    const gone = await s.api(`1/teacher/working-hour/delete?id=${h.id}&teacher_id=${t.id}`)
    assert.deepEqual(gone.body, wire.deleted)
    assert.equal((await s.api(`1/teacher/working-hour/index?teacher_id=${t.id}`)).body.total, 0)
  })

  test('time_to not after time_from is «Некорректный период», on create and on update', async () => {
    const t = await teacherIn(s)
    for (const time_to of ['09:59', '10:00']) {
      const r = await s.api(`1/teacher/working-hour/create?teacher_id=${t.id}`, {
        weekday: 1,
        time_from: '10:00',
        time_to,
      })
      assert.deepEqual(r.body, wire.invalid({ time_to: ['Некорректный период'] }), time_to)
    }
    const missing = await s.api(`1/teacher/working-hour/create?teacher_id=${t.id}`, {
      weekday: 8,
      time_from: '25:00',
    })
    assert.deepEqual(
      missing.body,
      wire.invalid({
        weekday: ['Значение «День недели» неверно.'],
        time_from: ['Неверный формат значения «Время начала».'],
        time_to: ['Необходимо заполнить «Время окончания».'],
      }),
    )
    const h = await hourOf(s, t.id, { time_from: '10:00', time_to: '12:00' })
    const r = await s.api(`1/teacher/working-hour/update?id=${h.id}`, { time_from: '12:00' })
    assert.deepEqual(r.body, wire.invalid({ time_to: ['Некорректный период'] }))
  })

  test('rates: money out as "1500.00", defaults, the s_multirate alias, keys in table order', async () => {
    const t = await teacherIn(s)
    const subject = await make.dictionary(s, 'subject')
    const r = await rateOf(s, t.id, {
      rate: '1500',
      s_multirate: true,
      b_date: '2025-09-01',
      e_date: '01.09.2025',
      reason_ids: 4,
      lesson_type_ids: [2, 1],
      subject_ids: subject.id,
    })
    assert.deepEqual(Object.keys(r), RATE_KEYS)
    assert.deepEqual(r, {
      id: r.id,
      teacher_id: t.id,
      rate: '1500.00',
      type: 1,
      b_date: '01.09.2025',
      e_date: '01.09.2025',
      is_multirate: 1,
      is_proportional: 0,
      condition_attend: 3,
      reason_ids: [4],
      count_from: null,
      count_to: null,
      duration: null,
      lesson_type_ids: [1, 2],
      subject_ids: [subject.id],
      is_gt_zero: 0,
    })
    const percent = await rateOf(s, t.id, { rate: '12,5', type: 2 })
    assert.equal(percent.rate, '12.50')
    const listed = await s.api(`teacher/teacher-rate?teacher_id=${t.id}`, { type: 2 })
    assert.deepEqual(listed.body.items, [percent])
  })

  test('rates: e_date before b_date, a negative rate and a missing type are 422 in field order', async () => {
    const t = await teacherIn(s)
    const r = await s.api(`1/teacher/teacher-rate/create?teacher_id=${t.id}`, {
      rate: -1,
      b_date: '02.09.2025',
      e_date: '01.09.2025',
    })
    assert.deepEqual(
      r.body,
      wire.invalid({
        rate: ['Значение «Ставка» должно быть не меньше 0.00.'],
        type: ['Необходимо заполнить «Тип ставки».'],
        e_date: ['Некорректный период'],
      }),
    )
    const ok = await rateOf(s, t.id, { b_date: '01.09.2025' })
    const late = await s.api(`1/teacher/teacher-rate/update?id=${ok.id}`, { e_date: '31.08.2025' })
    assert.deepEqual(late.body, wire.invalid({ e_date: ['Некорректный период'] }))
  })

  test('writes are logged as TeacherWorkingHour and TeacherRate, visible in the teacher’s branch only', async () => {
    const t = await teacherIn(s)
    const h = await hourOf(s, t.id)
    await saved(s, `1/teacher/working-hour/update?id=${h.id}`, { weekday: 4 })
    await s.api(`1/teacher/working-hour/delete?id=${h.id}`)
    const rate = await rateOf(s, t.id)
    const hours = await logEvents(s, 'TeacherWorkingHour', h.id)
    assert.deepEqual(
      hours.map((e) => e.event),
      [3, 2, 1],
    )
    assert.deepEqual(hours[1]!.fields_new, { weekday: 4 })
    const rates = await logEvents(s, 'TeacherRate', rate.id)
    assert.deepEqual(
      rates.map((e) => e.event),
      [1],
    )
    assert.equal(rates[0]!.fields_new.rate, '1500.00')
    const elsewhere = await s.api('2/log/index', { entity: 'TeacherRate', entity_id: rate.id })
    assert.equal(elsewhere.body.total, 0)
  })

  test('§6.9: a subject used by a teacher and a teacher rate is refused naming «teacher», «teacher-rate»', async () => {
    const subject = await make.dictionary(s, 'subject')
    const t = await teacherIn(s)
    const rate = await rateOf(s, t.id, { subject_ids: [subject.id] })
    assert.deepEqual((await s.api(`1/subject/delete?id=${subject.id}`)).body, wire.refused('teacher-rate'))
    await saved(s, `1/teacher/update?id=${t.id}`, { subject_ids: [subject.id] })
    assert.deepEqual(
      (await s.api(`1/subject/delete?id=${subject.id}`)).body,
      wire.refused('teacher', 'teacher-rate'),
    )
    await saved(s, `1/teacher/update?id=${t.id}`, { subject_ids: [] })
    await s.api(`1/teacher/teacher-rate/delete?id=${rate.id}`)
    assert.deepEqual((await s.api(`1/subject/delete?id=${subject.id}`)).body, wire.deleted)
  })

  test('§6.9: a lesson type in a rate and a location in working hours are refused while used', async () => {
    const t = await teacherIn(s)
    const type = await make.dictionary(s, 'lesson-type')
    await rateOf(s, t.id, { lesson_type_ids: [type.id] })
    assert.deepEqual((await s.api(`1/lesson-type/delete?id=${type.id}`)).body, wire.refused('teacher-rate'))
    const location = await make.location(s)
    await hourOf(s, t.id, { location_id: location.id })
    assert.deepEqual((await s.api(`1/location/delete?id=${location.id}`)).body, wire.refused('working-hour'))
  })

  test('a location of another branch than the teacher’s is refused on working hours', async () => {
    const t = await teacherIn(s)
    const foreign = await make.location(s, {}, { branch: 2 })
    const r = await s.api(`1/teacher/working-hour/create?teacher_id=${t.id}`, {
      location_id: foreign.id,
      weekday: 1,
      time_from: '10:00',
      time_to: '11:00',
    })
    assert.deepEqual(r.body, wire.invalid({ location_id: ['Значение «Локация» неверно.'] }))
  })
})
