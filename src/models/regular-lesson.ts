import { checkTeachers } from '../domain/lesson-rules.js'
import { detach, generate, regenerate, type Slot, slotDates } from '../domain/schedule.js'
import { contains, describe, exact, ids } from '../engine/filters.js'
import { type ActionCtx, type Draft, defineModel } from '../engine/model.js'
import { visibleIn } from '../engine/repository.js'
import { fail } from '../errors.js'
import { bool, choice, date, derived, int, intList, ref, time } from '../fields/index.js'
import { messages } from '../fields/kind.js'
import { addYears, parseDate } from '../wire/dates.js'
import { parseInt32 } from '../wire/numbers.js'
import { customer } from './customer.js'
import { group } from './group.js'
import { lesson } from './lesson.js'
import { WEEKDAYS } from './teacher-working-hour.js'

const TRIGGERS = [
  'related_class',
  'related_id',
  'days',
  'time_from_v',
  'time_to_v',
  'b_date',
  'e_date',
  'subject_id',
  'lesson_type_id',
  'teacher_ids',
  'customer_ids',
  'room_id',
  'streaming',
  'branch_id',
]

/** The `_v` fields and the raw ones are two views of one period; `_v` wins when both are sent (§7.21). */
function readPeriod(draft: Draft): void {
  for (const [raw, view, label] of [
    ['b_date', 'b_date_v', 'Начало периода'],
    ['e_date', 'e_date_v', 'Окончание периода'],
  ] as const) {
    const value = draft.body[view] !== undefined ? draft.values[view] : draft.values[raw]
    if (value == null) {
      if (!draft.errors[view] && !draft.errors[raw]) draft.addError(view, messages.required(label))
      continue
    }
    draft.set(raw, value)
    draft.set(view, value)
  }
  const { b_date: b, e_date: e, time_from_v: from, time_to_v: to } = draft.values as Record<string, string>
  if (from && to && to <= from) draft.addError('time_to_v', messages.period())
  if (b && e && !draft.errors.e_date_v) {
    if (e < b) draft.addError('e_date_v', messages.period())
    else if (e >= addYears(b, 1)) draft.addError('e_date_v', 'Период не может превышать один год.')
  }
}

/** The related group or customer must be visible in the slot's branch (§7.21). */
async function checkRelated(draft: Draft, ctx: ActionCtx) {
  if (draft.errors.related_class || draft.errors.related_id) return
  const target = draft.values.related_class === 'Group' ? group : customer
  const found = await ctx.trx
    .selectFrom(target.table)
    .select(`${target.table}.id`)
    .where(`${target.table}.id`, '=', draft.values.related_id as number)
    .where((eb) => visibleIn(target, eb, draft.values.branch_id as number))
    .executeTakeFirst()
  if (!found) draft.addError('related_id', messages.invalid('Группа/клиент'))
}

const DAY = { type: 'string', examples: ['2025-09-15'] }
const ID = { type: 'integer', minimum: 1 }

const periodBound = (key: string, op: '>=' | '<=') =>
  describe(
    {
      schema: DAY,
      description: op === '>=' ? 'Slots ending on or after this date.' : 'Slots starting by this date.',
    },
    (raw, eb) => {
      const r = parseDate(raw)
      if (!r.ok) throw fail.badParam(key)
      return op === '>='
        ? eb('regular_lessons.e_date', '>=', r.value)
        : eb('regular_lessons.b_date', '<=', r.value)
    },
  )

/** §7.21 RegularLesson: a weekly slot that generates planned lessons (§6.7). */
export const regularLesson = defineModel({
  slug: 'regular-lesson',
  table: 'regular_lessons',
  logName: 'RegularLesson',
  description:
    'Weekly slots that generate planned lessons over a period of at most a year; changing a slot ' +
    'regenerates its future planned lessons.',
  scope: 'branch',
  fields: {
    id: int({ readOnly: true }),
    branch_id: ref('branch', { label: 'Филиал', default: null }),
    lesson_type_id: ref('lesson-type', { required: true, label: 'Тип урока' }),
    related_class: choice(
      { Group: 'a group: its members take part', Customer: 'one customer' },
      { required: true, label: 'Тип объекта' },
    ),
    related_id: int({ required: true, label: 'Группа/клиент' }),
    subject_id: ref('subject', { required: true, label: 'Предмет' }),
    streaming: bool({ label: 'Онлайн' }),
    teacher_ids: intList({ ref: 'teacher', label: 'Педагоги' }),
    customer_ids: intList({ ref: 'customer', label: 'Клиенты' }),
    room_id: ref('room', { label: 'Аудитория' }),
    day: derived(int(), 'The first (lowest) of `days`.'),
    days: intList({ values: WEEKDAYS, required: true, aliases: ['day'], label: 'День недели' }),
    time_from_v: time('hm', { required: true, aliases: ['time_from'], label: 'Время начала' }),
    time_to_v: time('hm', { required: true, aliases: ['time_to'], label: 'Время окончания' }),
    b_date: date('iso', { label: 'Начало периода', description: 'Start of the period; `b_date_v` wins.' }),
    e_date: date('iso', { label: 'Окончание периода', description: 'End of the period; `e_date_v` wins.' }),
    b_date_v: date('dmy', { column: 'b_date', label: 'Начало периода' }),
    e_date_v: date('dmy', { column: 'e_date', label: 'Окончание периода' }),
    is_public: bool({ label: 'Публичный' }),
  },
  filters: {
    ...ids(),
    subject_id: exact('subject_id'),
    lesson_type_id: exact('lesson_type_id'),
    room_id: exact('room_id'),
    related_class: exact('related_class'),
    related_id: exact('related_id'),
    teacher_id: contains('teacher_ids', 'teacher_id'),
    group_id: describe({ schema: ID, description: 'Slots of the group.' }, (raw, eb) => {
      const r = parseInt32(raw)
      if (!r.ok) throw fail.badParam('group_id')
      return eb.and([
        eb('regular_lessons.related_class', '=', 'Group'),
        eb('regular_lessons.related_id', '=', r.value),
      ])
    }),
    customer_id: describe({ schema: ID, description: 'Slots of the customer, or listing it.' }, (raw, eb) => {
      const r = parseInt32(raw)
      if (!r.ok) throw fail.badParam('customer_id')
      return eb.or([
        eb.and([
          eb('regular_lessons.related_class', '=', 'Customer'),
          eb('regular_lessons.related_id', '=', r.value),
        ]),
        eb(
          'regular_lessons.id',
          'in',
          eb.selectFrom('regular_lessons_customer_ids').select('record_id').where('value', '=', r.value),
        ),
      ])
    }),
    date_from: periodBound('date_from', '>='),
    date_to: periodBound('date_to', '<='),
    public: exact('is_public', 'public'),
  },
  order: [['id', 'asc']],
  examples: {
    create: {
      related_class: 'Group',
      related_id: 1,
      lesson_type_id: 1,
      subject_id: 1,
      teacher_ids: [1],
      room_id: 1,
      days: [1, 3],
      time_from_v: '18:00',
      time_to_v: '19:30',
      b_date_v: '01.09.2025',
      e_date_v: '31.05.2026',
    },
    update: { time_from_v: '18:30', time_to_v: '20:00' },
  },
  hooks: {
    async prepare(draft, ctx) {
      readPeriod(draft)
      await checkRelated(draft, ctx)
      await checkTeachers(draft, ctx)
    },
    async afterSave(rec, draft, ctx) {
      const slot = rec as Slot
      if (draft.action === 'create') return generate(lesson, slot, slotDates(slot), ctx)
      const changed = TRIGGERS.some((k) => JSON.stringify(draft.old?.[k]) !== JSON.stringify(rec[k]))
      if (changed) await regenerate(lesson, slot, ctx)
    },
    afterDelete: (rec, ctx) => detach(lesson, rec.id, ctx),
    derive(recs) {
      for (const r of recs) r.day = Math.min(...(r.days as number[]))
    },
  },
})
