import {
  chargeLesson,
  copyLessonToDetails,
  DETAIL_ITEM,
  type DetailInput,
  detailsOf,
  dropCharges,
  type LessonShape,
  presentDetails,
  shareGroups,
  syncDetails,
  writeDetails,
} from '../domain/attendance.js'
import { refreshCustomers } from '../domain/balances.js'
import {
  checkParticipants,
  checkTeachers,
  limitTeacher,
  ownLessons,
  readDate,
  readDetails,
  readRoomAlias,
  readTimes,
  syncRuns,
} from '../domain/lesson-rules.js'
import { asIf, contains, describe, exact, ids, idsThrough, oneOrMany, range } from '../engine/filters.js'
import { groupedCount, groupedCountDoc } from '../engine/grouped-count.js'
import { type Draft, defineModel, type Model } from '../engine/model.js'
import { bool, choice, date, int, intList, objectList, readOnly, ref, text, time } from '../fields/index.js'

/** A time of day on input (§5.6), stored and shown with the lesson's date (`yyyy-mm-dd hh:mm:ss`). */
const clock = (label: string, description: string) => {
  const kind = time('hms', { label, description })
  const schema = {
    type: 'string',
    pattern: '^(\\d{4}-\\d{2}-\\d{2} )?\\d{2}:\\d{2}(:\\d{2})?$',
    examples: ['10:00'],
  }
  return { ...kind, type: 'datetime', format: (v: unknown) => v, jsonSchema: () => schema }
}

const IDS = oneOrMany({ type: 'integer', minimum: 1 })

/** Shared by lessons and the calendar views. */
export const LESSON_STATUS = { 1: 'planned', 2: 'cancelled', 3: 'conducted' } as const

const entries = new WeakMap<Draft, DetailInput[]>()
const CHARGING_KEYS = ['date', 'subject_id', 'lesson_type_id', 'customer_ids', 'group_ids']

/** §7.5 Lesson with its attendance `details` (§6.3, §6.4). */
export const lesson: Model = defineModel({
  slug: 'lesson',
  table: 'lessons',
  logName: 'Lesson',
  description:
    'Lessons with their attendance. Conduct a lesson with `lesson/update` setting `status` 3 and its ' +
    '`details`: each participant is then charged.',
  scope: 'branch',
  customFields: true,
  inputKeys: ['lesson_date', 'room_ids', 'removed'],
  fields: {
    id: int({ readOnly: true }),
    branch_id: ref('branch', { label: 'Филиал', default: null }),
    date: date('iso', {
      label: 'Дата урока',
      description: 'Lesson date; also read from `lesson_date`, which wins. Either date style is accepted.',
    }),
    time_from: clock('Время начала', 'Start: a time (the date comes from `date`); read back with the date.'),
    time_to: clock('Время окончания', 'End, after the start on the same day; required unless `duration`.'),
    duration: int({
      min: 1,
      max: 1440,
      label: 'Длительность',
      description: 'Minutes; sets `time_to` when that is absent.',
    }),
    lesson_type_id: ref('lesson-type', { required: true, label: 'Тип урока' }),
    status: choice(LESSON_STATUS, { default: 1, label: 'Статус' }),
    subject_id: ref('subject', { required: true, label: 'Предмет' }),
    room_id: ref('room', { label: 'Аудитория' }),
    teacher_ids: intList({ ref: 'teacher', label: 'Педагоги' }),
    customer_ids: intList({ ref: 'customer', label: 'Клиенты' }),
    group_ids: intList({ ref: 'group', label: 'Группы' }),
    streaming: bool({ label: 'Онлайн' }),
    topic: text(255, { label: 'Тема' }),
    homework: text(10000, { label: 'Домашнее задание' }),
    note: text(10000, { label: 'Примечание' }),
    regular_id: readOnly(int({ nullable: true, description: 'The regular lesson that generated it.' })),
    details: objectList('LessonDetail', DETAIL_ITEM, {
      label: 'Посещаемость',
      description:
        'Attendance, one entry per participant (the customers, and the members of the groups on the ' +
        'lesson date), by `customer_id`. Written entries change the named participants only; keys left ' +
        'out keep their values.',
    }),
  },
  filters: {
    ...ids(),
    status: exact('status'),
    ...range('date', 'date'),
    lesson_type_id: exact('lesson_type_id'),
    subject_id: exact('subject_id'),
    room_id: exact('room_id'),
    room_ids: exact('room_id', 'room_ids'),
    regular_id: exact('regular_id'),
    teacher_id: contains('teacher_ids', 'teacher_id'),
    teacher_ids: contains('teacher_ids'),
    group_id: contains('group_ids', 'group_id'),
    group_ids: contains('group_ids'),
    // Lessons in which the customer has a detail row; lessons whose room is at the location (§7.5).
    customer_id: participant('customer_id'),
    customer_ids: participant('customer_ids'),
    location_id: roomLocation('location_id'),
    location_ids: roomLocation('location_ids'),
    streaming: exact('streaming'),
  },
  defaultFilters: { status: asIf(3, (_v, eb) => eb('lessons.status', '=', 3)) },
  order: [
    ['date', 'desc'],
    ['time_from', 'desc'],
    ['id', 'desc'],
  ],
  sortable: ['id', 'date', 'time_from'],
  groupable: ['status', ['teacher_id', 'teacher_ids'], 'room_id', 'subject_id'],
  // A teacher user with a `teacher_id` [ext] lists only that teacher's lessons; updating another's is a 403.
  restrictReads: ownLessons,
  extra: {
    count: {
      read: true,
      run: (ctx, input) => groupedCount(lesson, ctx, input),
      doc: groupedCountDoc(
        'By `teacher_id` a lesson counts once per teacher of its `teacher_ids` (so the counts may add up ' +
          'to more than `total`), and a lesson without teachers in the null group.',
      ),
    },
  },
  examples: {
    create: {
      date: '2025-09-15',
      time_from: '10:00',
      time_to: '11:30',
      lesson_type_id: 1,
      subject_id: 1,
      room_id: 1,
      teacher_ids: [1],
      customer_ids: [1],
      topic: 'Present Simple',
    },
    update: {
      status: 3,
      homework: 'Exercises 1–4 on page 12',
      details: [{ customer_id: 1, is_attend: 1, grade: 5, note: 'Well prepared' }],
    },
  },
  hooks: {
    async prepare(draft, ctx) {
      readDate(draft, ctx.tz)
      readTimes(draft)
      readRoomAlias(draft)
      await checkTeachers(draft, ctx)
      const list = readDetails(draft)
      limitTeacher(draft, ctx)
      if (list) {
        entries.set(draft, list)
        await checkParticipants(draft, list, ctx)
      }
    },
    async afterSave(rec, draft, ctx) {
      const l = rec as unknown as LessonShape
      const old = draft.old as unknown as LessonShape | null
      // Balances change only when the lesson is or was conducted: only then are its pupils read before.
      const charging = old?.status === 3 || l.status === 3
      const before = old && charging ? (await detailsOf([l.id], ctx)).map((d) => d.customer_id) : []
      if (syncRuns(draft)) {
        // §6.10: a group whose memberships this lesson reads for the first time is share-locked first.
        await shareGroups(
          l.group_ids.filter((g) => !old?.group_ids.includes(g)),
          ctx,
        )
        await syncDetails(l, ctx)
      }
      await copyLessonToDetails(l, old, ctx)
      const list = entries.get(draft)
      if (list) await writeDetails(lesson, l.id, list, ctx)
      const setConducted = draft.changed.has('status') && 'status' in draft.body && l.status === 3
      const touched =
        list !== undefined ||
        CHARGING_KEYS.some((k) => JSON.stringify(old?.[k as keyof LessonShape]) !== JSON.stringify(rec[k]))
      if (l.status === 3 && (setConducted || touched)) await chargeLesson(l, ctx)
      if (old?.status === 3 && l.status !== 3) await dropCharges(l.id, ctx)
      if (charging) {
        const after = (await detailsOf([l.id], ctx)).map((d) => d.customer_id)
        await refreshCustomers([...before, ...after], ctx)
      }
    },
    async afterDelete(rec, ctx) {
      const customers = (await detailsOf([rec.id], ctx)).map((d) => d.customer_id)
      await ctx.trx.deleteFrom('lesson_details').where('lesson_id', '=', rec.id).execute()
      if (rec.status === 3) await refreshCustomers(customers, ctx)
    },
    async derive(recs, ctx) {
      const details = await presentDetails(recs, ctx)
      for (const r of recs) r.details = details.get(r.id) ?? []
    },
  },
})

function participant(key: string) {
  return describe(
    { schema: IDS, description: 'Lessons in which the customer (or any of them) takes part.' },
    idsThrough('lessons.id', 'lesson_details', 'lesson_id', 'customer_id', key),
  )
}

function roomLocation(key: string) {
  return describe(
    { schema: IDS, description: 'Lessons in a room at the location (or any of them).' },
    idsThrough('lessons.room_id', 'rooms', 'id', 'location_id', key),
  )
}
