import type { FilterOf } from '../../api/client'
import { today } from '../../lib/format'

/**
 * The schedule's state as it lives in the URL (view, date, columns, filters), so a reload or a shared link
 * shows the same calendar; the period a view covers; and the `lesson/index` filter it asks for.
 */
export type View = 'week' | 'day' | 'month'
export const VIEWS: View[] = ['week', 'day', 'month']
export type Columns = 'room' | 'teacher'

export interface ScheduleState {
  view: View
  /** Any day of the period shown, `yyyy-mm-dd`. */
  date: string
  columns: Columns
  teacher: string
  room: string
  group: string
  subject: string
}

const id = (v: string | null) => (v && /^\d+$/.test(v) ? v : '')
const ISO = /^\d{4}-\d{2}-\d{2}$/

/** `teacherDefault`: a teacher user's own teacher, shown unless the address names another (or none). */
export function readState(search: string, teacherDefault = ''): ScheduleState {
  const p = new URLSearchParams(search)
  const view = p.get('view') as View
  const day = p.get('date') ?? ''
  return {
    view: VIEWS.includes(view) ? view : 'week',
    date: ISO.test(day) && !Number.isNaN(Date.parse(day)) ? day : today(),
    columns: p.get('columns') === 'teacher' ? 'teacher' : 'room',
    teacher: p.has('teacher') ? id(p.get('teacher')) : teacherDefault,
    room: id(p.get('room')),
    group: id(p.get('group')),
    subject: id(p.get('subject')),
  }
}

export function writeState(s: ScheduleState, teacherDefault = ''): string {
  const p = new URLSearchParams()
  if (s.view !== 'week') p.set('view', s.view)
  if (s.date !== today()) p.set('date', s.date)
  if (s.columns !== 'room') p.set('columns', s.columns)
  // `teacher=` (empty) keeps "every teacher" for a user whose default is their own.
  if (s.teacher !== teacherDefault) p.set('teacher', s.teacher)
  if (s.room) p.set('room', s.room)
  if (s.group) p.set('group', s.group)
  if (s.subject) p.set('subject', s.subject)
  return p.toString()
}

// Calendar arithmetic on `yyyy-mm-dd` strings, in UTC so no time zone shifts a day.
const asDate = (iso: string) => new Date(`${iso}T00:00:00Z`)
const asIso = (d: Date) => d.toISOString().slice(0, 10)

export function addDays(iso: string, n: number): string {
  const d = asDate(iso)
  d.setUTCDate(d.getUTCDate() + n)
  return asIso(d)
}

export function addMonths(iso: string, n: number): string {
  const d = asDate(iso)
  d.setUTCDate(1)
  d.setUTCMonth(d.getUTCMonth() + n)
  return asIso(d)
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function weekday(iso: string): number {
  return asDate(iso).getUTCDay() || 7
}

export function weekStart(iso: string): string {
  return addDays(iso, 1 - weekday(iso))
}

export function monthStart(iso: string): string {
  return `${iso.slice(0, 7)}-01`
}

/** The days a view shows (the month view: whole weeks around the month). */
export function periodDays(view: View, date: string): string[] {
  if (view === 'day') return [date]
  if (view === 'week') return Array.from({ length: 7 }, (_, i) => addDays(weekStart(date), i))
  const first = weekStart(monthStart(date))
  const last = addDays(addMonths(date, 1), -1)
  const days: string[] = []
  for (let d = first; d <= last || weekday(d) !== 1; d = addDays(d, 1)) days.push(d)
  return days
}

/** The previous or next period's date. */
export function step(view: View, date: string, dir: -1 | 1): string {
  if (view === 'day') return addDays(date, dir)
  if (view === 'week') return addDays(date, 7 * dir)
  return addMonths(date, dir)
}

/** Every status: planned, cancelled and conducted (the index alone shows only conducted ones). */
export const ALL_STATUSES: Array<1 | 2 | 3> = [1, 2, 3]

/** The `lesson/index` filter of a state over its period (the month: the month itself). */
export function lessonFilter(s: ScheduleState): FilterOf<'lesson'> {
  const days = periodDays(s.view, s.date)
  const f: FilterOf<'lesson'> =
    s.view === 'month'
      ? { date_from: monthStart(s.date), date_to: addDays(addMonths(s.date, 1), -1) }
      : { date_from: days[0], date_to: days[days.length - 1] }
  f.status = ALL_STATUSES
  if (s.teacher) f.teacher_id = Number(s.teacher)
  if (s.room) f.room_id = Number(s.room)
  if (s.group) f.group_id = Number(s.group)
  if (s.subject) f.subject_id = Number(s.subject)
  return f
}

/** `"2026-12-07 17:30:00"` or `"17:30"` → minutes since midnight. */
export function minutes(time: string): number {
  const t = /(\d{1,2}):(\d{2})(?::\d{2})?$/.exec(time.trim())
  return t ? Number(t[1]) * 60 + Number(t[2]) : 0
}

/** Minutes since midnight → `hh:mm`. */
export function hm(total: number): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`
}

/** A time as typed (`9:00`, `09:00`) → `hh:mm`; anything else as typed, for the server to judge. */
export function normTime(time: string): string {
  return /^\s*\d{1,2}:\d{2}\s*$/.test(time) ? hm(minutes(time)) : time
}
