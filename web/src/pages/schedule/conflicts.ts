import type { RecordOf, V2Api } from '../../api/client'
import { minutes } from './ScheduleQuery'

type Lesson = RecordOf<'lesson'>

/** Where and when a lesson is to be: what a conflict is judged by. */
export interface Slot {
  /** The lesson being moved (it does not conflict with itself); null for a new one. */
  id: number | null
  date: string
  /** `hh:mm` */
  from: string
  to: string
  room_id: number | null
  teacher_ids: number[]
}

/**
 * Lessons of that day (planned or conducted) in the same room or with one of the same teachers whose time
 * overlaps the slot: one `lesson/index` for the day, the overlap judged here (the index cannot ask for
 * "this room or these teachers" at once).
 */
export async function findConflicts(api: V2Api, slot: Slot): Promise<Lesson[]> {
  const day = await api.all('lesson', { date_from: slot.date, date_to: slot.date, status: [1, 3] })
  const from = minutes(slot.from)
  const to = minutes(slot.to)
  return day.filter(
    (l) =>
      l.id !== slot.id &&
      minutes(l.time_from) < to &&
      from < minutes(l.time_to) &&
      ((slot.room_id !== null && l.room_id === slot.room_id) ||
        l.teacher_ids.some((t) => slot.teacher_ids.includes(t))),
  )
}
