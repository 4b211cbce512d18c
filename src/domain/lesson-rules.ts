import type { ActionCtx, Condition, Draft, Eb, User } from '../engine/model.js'
import { fail } from '../errors.js'
import { messages } from '../fields/kind.js'
import { addMinutes, diffMinutes, parseDate, parseDateTime } from '../wire/dates.js'
import { parseInt32 } from '../wire/numbers.js'
import { DETAIL_FIELDS, type DetailInput, detailsOf, participantsOf } from './attendance.js'

/**
 * The write rules of a lesson (§7.5): its date from `lesson_date` or `date`, times of day composed
 * with the date, duration, the `room_ids` alias, teachers of the branch, attendance entries (§6.4)
 * and the teacher role's narrow rights (§2.4).
 */
const timeOf = (v: unknown) => (typeof v === 'string' ? v.slice(-8) : null)
const given = (v: unknown) => v !== undefined && v !== null && v !== ''

export function readDate(draft: Draft, tz: string): void {
  const body = draft.body
  if (given(body.lesson_date)) {
    const r = parseDate(body.lesson_date)
    if (r.ok) draft.set('date', r.value)
    else draft.addError('date', messages.format('Дата урока'))
  }
  if (draft.values.date == null && !draft.errors.date) {
    // With neither date key, a full datetime in time_from carries the date (§7.5).
    const r =
      typeof body.time_from === 'string' && /\d{4}|\d\.\d/.test(body.time_from)
        ? parseDateTime(body.time_from, tz)
        : null
    if (r?.ok) draft.set('date', r.value.slice(0, 10))
    else draft.addError('date', messages.required('Дата урока'))
  }
}

/** time_to wins over duration; an update giving neither keeps the duration; no crossing midnight. */
export function readTimes(draft: Draft): void {
  const v = draft.values
  if (['time_from', 'time_to', 'duration', 'date'].some((k) => draft.errors[k])) return
  const from = timeOf(v.time_from)
  if (!from) {
    draft.addError('time_from', messages.required('Время начала'))
    return
  }
  let duration: number
  if (given(draft.body.time_to)) duration = diffMinutes(from, timeOf(v.time_to)!)
  else if (given(draft.body.duration) || draft.action === 'update') duration = Number(v.duration)
  else {
    draft.addError('time_to', messages.required('Время окончания'))
    return
  }
  const start = Number(from.slice(0, 2)) * 60 + Number(from.slice(3, 5))
  if (duration <= 0 || start + duration > 1440) {
    draft.addError('time_to', messages.period())
    return
  }
  draft.set('duration', duration)
  draft.set('time_from', `${v.date} ${from}`)
  draft.set('time_to', `${v.date} ${addMinutes(from, duration)}`)
}

/** `room_ids` (an array) stands for `room_id` when that is absent (§7.5, likely). */
export function readRoomAlias(draft: Draft): void {
  const ids = draft.body.room_ids
  if ('room_id' in draft.body || !Array.isArray(ids) || ids.length === 0) return
  const r = parseInt32(ids[0])
  if (r.ok) draft.set('room_id', r.value)
  else draft.addError('room_id', messages.integer('Аудитория'))
}

/** Each teacher must belong to the record's branch (§3.8: «Филиал не доступен для преподавателя …»). */
export async function checkTeachers(draft: Draft, ctx: ActionCtx): Promise<void> {
  const ids = (draft.values.teacher_ids as number[] | undefined) ?? []
  if (!draft.changed.has('teacher_ids') && !draft.changed.has('branch_id')) return
  if (ids.length === 0 || !ctx.models.has('teacher')) return
  const rows = await ctx.trx
    .selectFrom('teachers')
    .select(['id', 'name', 'branch_ids'])
    .where('id', 'in', ids)
    .execute()
  const branchesOf = (t: (typeof rows)[number]) => JSON.parse(t.branch_ids as string) as number[]
  // A teacher of no branch the user may use is unknown to it: its name must not come back (§2.5).
  const known = rows.filter((t) => branchesOf(t).some((b) => ctx.allowedBranches.includes(b)))
  if (known.length !== ids.length) return draft.addError('teacher_ids', messages.invalid('Педагоги'))
  for (const t of known) {
    const branches = branchesOf(t)
    if (!branches.includes(draft.values.branch_id as number)) {
      draft.addError('teacher_ids', `Филиал не доступен для преподавателя ${t.name}.`)
    }
  }
}

/** Parses `details` entries (§6.4): an array of objects, each with a customer_id. */
export function readDetails(draft: Draft): DetailInput[] | null {
  const raw = draft.body.details
  if (raw === undefined || raw === null) return null
  const list = Array.isArray(raw) ? raw : null
  if (!list || list.some((e) => typeof e !== 'object' || e === null || Array.isArray(e))) {
    draft.addError('details', messages.list('Посещаемость'))
    return null
  }
  const out: DetailInput[] = []
  for (const e of list as Array<Record<string, unknown>>) {
    const id = parseInt32(e.customer_id)
    if (!id.ok) {
      draft.addError(
        'details',
        given(e.customer_id) ? messages.integer('Клиент') : messages.required('Клиент'),
      )
      continue
    }
    const entry: DetailInput = { customer_id: id.value }
    for (const [key, kind] of Object.entries(DETAIL_FIELDS)) {
      if (!(key in e)) continue
      const value = e[key]
      if (value === null && (kind.nullable || key === 'commission')) entry[key] = null
      else {
        const r = kind.parse(value, kind.label)
        if (r.ok) entry[key] = r.value
        else draft.addError('details', r.message)
      }
    }
    out.push(entry)
  }
  return out
}

/** Whether this write re-syncs participants (§6.3): create, new lists or date, or status set to 3. */
export function syncRuns(draft: Draft): boolean {
  if (draft.action === 'create') return true
  const old = draft.old!
  const v = draft.values
  const same = (k: string) => JSON.stringify(old[k]) === JSON.stringify(v[k])
  return (
    !same('customer_ids') ||
    !same('group_ids') ||
    !same('date') ||
    (draft.changed.has('status') && v.status === 3)
  )
}

/** Entries must name participants as they will be after this request's sync (§6.4). */
export async function checkParticipants(draft: Draft, entries: DetailInput[], ctx: ActionCtx): Promise<void> {
  if (entries.length === 0 || Object.keys(draft.errors).length > 0) return
  const v = draft.values
  const participants = syncRuns(draft)
    ? await participantsOf(
        {
          customer_ids: v.customer_ids as number[],
          group_ids: v.group_ids as number[],
          date: v.date as string,
        },
        ctx,
      )
    : (await detailsOf([draft.old!.id], ctx)).map((d) => d.customer_id)
  for (const e of entries) {
    if (!participants.includes(e.customer_id))
      draft.addError('details', `Клиент ${e.customer_id} не участвует в уроке.`)
  }
}

const TEACHER_MAY_CHANGE = new Set(['status', 'topic', 'homework', 'note'])

/** The teacher whose lessons alone the user reads and updates [ext]: a `teacher` user's `teacher_id`. */
export function ownTeacher(user: User): number | null {
  return user.role === 'teacher' ? user.teacherId : null
}

/** The lessons of the user's own teacher, for a user that has one (`ownTeacher`); else null (all). */
export function ownLessons(eb: Eb, ctx: ActionCtx, lessonId = 'lessons.id'): Condition | null {
  const teacher = ownTeacher(ctx.user)
  if (teacher === null) return null
  return eb(
    lessonId,
    'in',
    eb
      .selectFrom('lessons_teacher_ids')
      .select('lessons_teacher_ids.record_id')
      .where('lessons_teacher_ids.value', '=', teacher),
  )
}

/**
 * §2.4: a teacher may change only status, details, topic, homework and note of a lesson; a teacher
 * user with a `teacher_id` [ext] only of the lessons of that teacher.
 */
export function limitTeacher(draft: Draft, ctx: ActionCtx): void {
  if (ctx.user.role !== 'teacher') return
  if (draft.action !== 'update') throw fail.access()
  const old = draft.old!
  const own = ownTeacher(ctx.user)
  if (own !== null && !(old.teacher_ids as number[]).includes(own)) throw fail.access()
  for (const key of draft.changed) {
    if (TEACHER_MAY_CHANGE.has(key)) continue
    if (JSON.stringify(old[key]) !== JSON.stringify(draft.values[key])) throw fail.access()
  }
}
