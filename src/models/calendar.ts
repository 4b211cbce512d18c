import { ownLessons, ownTeacher } from '../domain/lesson-rules.js'
import { type ActionCtx, defineModel, type Model, type RequestInput } from '../engine/model.js'
import { visibleIn } from '../engine/repository.js'
import { fail } from '../errors.js'
import { choice, datetime, derived, int, text } from '../fields/index.js'
import { addDays, parseDate } from '../wire/dates.js'
import { parseInt32 } from '../wire/numbers.js'
import { customer } from './customer.js'
import { group } from './group.js'
import { LESSON_STATUS } from './lesson.js'
import { teacher } from './teacher.js'

const given = (v: unknown) => v !== undefined && v !== null && v !== ''

/** `id`, `date1`, `date2` from the query, else the body (§7.27); missing ones named in that order. */
function readPeriod(input: RequestInput) {
  const read = (k: string) => (given(input.query[k]) ? input.query[k] : input.body[k])
  const missing = ['id', 'date1', 'date2'].filter((k) => !given(read(k)))
  if (missing.length > 0) throw fail.missing(...missing)
  const id = parseInt32(read('id'))
  if (!id.ok) throw fail.badParam('id')
  const from = parseDate(read('date1'))
  if (!from.ok) throw fail.badParam('date1')
  const to = parseDate(read('date2'))
  if (!to.ok || to.value < from.value || to.value > addDays(from.value, 365)) throw fail.badParam('date2')
  return { id: id.value, from: from.value, to: to.value }
}

/**
 * A calendar view: the lessons of the path branch in the period, of any status, ordered by start,
 * as a bare array (§7.27). An unknown or invisible id gives [].
 */
function view(owner: Model, link: Link) {
  return async (ctx: ActionCtx, input: RequestInput) => {
    const p = readPeriod(input)
    const visible = await ctx.trx
      .selectFrom(owner.table)
      .select(`${owner.table}.id`)
      .where(`${owner.table}.id`, '=', p.id)
      .where((eb) => visibleIn(owner, eb, ctx.pathBranch))
      .executeTakeFirst()
    if (!visible) return []
    // Driven by the owner's own lessons (the link table, by its index), then their date: a teacher's
    // month reads that teacher's lessons, not the branch's (SQLite keeps the CROSS JOIN's order).
    const rows = await ctx.trx
      .selectFrom(`${link.table} as link`)
      .crossJoin('lessons')
      .innerJoin('subjects', 'subjects.id', 'lessons.subject_id')
      .select([
        'lessons.id',
        'lessons.lesson_type_id',
        'lessons.status',
        'lessons.time_from',
        'lessons.duration',
        'lessons.subject_id',
        'subjects.name',
      ])
      .where('lessons.branch_id', '=', ctx.pathBranch)
      .where('lessons.date', '>=', p.from)
      .where('lessons.date', '<=', p.to)
      .where(`link.${link.owner}`, '=', p.id)
      .whereRef('lessons.id', '=', `link.${link.lesson}`)
      // A teacher user with a `teacher_id` [ext] sees only that teacher's lessons, as in lesson/index.
      .$if(ownTeacher(ctx.user) !== null, (q) => q.where((eb) => ownLessons(eb, ctx)!))
      .orderBy('lessons.time_from')
      .orderBy('lessons.id')
      .execute()
    return rows.map((r) => ({
      id: Number(r.id),
      type: Number(r.lesson_type_id),
      status: Number(r.status),
      start: r.time_from,
      duration: Number(r.duration),
      subject_id: Number(r.subject_id),
      subject: r.name,
    }))
  }
}

/** Where an owner's lessons are listed: `table` pairs the owner in `owner` with a lesson in `lesson`. */
interface Link {
  table: string
  owner: string
  lesson: string
}

export const calendar: Model = defineModel({
  slug: 'calendar',
  table: 'lessons',
  logName: 'Lesson',
  description:
    'Calendar views: the lessons of the customer, teacher or group `id` in the path branch from `date1` to ' +
    '`date2` (at most a year apart), of any status, as a bare array. `id`, `date1` and `date2` come from ' +
    'the query or the body. A teacher user with a `teacher_id` sees only that teacher’s lessons.',
  scope: 'branch',
  actions: [],
  // The entries of a view; the views build them, so none is stored or written.
  fields: {
    id: derived(int(), 'Lesson id.'),
    type: derived(int(), 'Lesson type id.'),
    status: derived(choice(LESSON_STATUS), 'Lesson status.'),
    start: derived(datetime(), 'Start of the lesson.'),
    duration: derived(int(), 'Minutes.'),
    subject_id: derived(int(), 'Subject id.'),
    subject: derived(text(50), 'Subject name.'),
  },
  order: [['id', 'asc']],
  extra: {
    customer: {
      read: true,
      run: view(customer, { table: 'lesson_details', owner: 'customer_id', lesson: 'lesson_id' }),
    },
    teacher: {
      read: true,
      run: view(teacher, { table: 'lessons_teacher_ids', owner: 'value', lesson: 'record_id' }),
    },
    group: {
      read: true,
      run: view(group, { table: 'lessons_group_ids', owner: 'value', lesson: 'record_id' }),
    },
  },
})
