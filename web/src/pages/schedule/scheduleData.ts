import { useQuery } from '@tanstack/react-query'
import type { FilterOf, RecordOf } from '../../api/client'
import { useSession } from '../../app/session'
import { useDictionary } from '../../lib/queries'

export type Lesson = RecordOf<'lesson'>

/**
 * Every lesson of a filter: page 0 in the same `batch` request as the schedule's dictionaries, then all
 * the other pages in one more (see `V2Api.all`).
 */
export function useLessons(filter: FilterOf<'lesson'>, enabled = true) {
  const { api, branch } = useSession()
  return useQuery({
    queryKey: [branch, 'lesson', 'all', filter],
    queryFn: () => api.all('lesson', filter, { limit: 5000 }),
    enabled,
  })
}

/**
 * Names of the customers taking part individually (not through a group) in the lessons shown; batched
 * with the reads of the same tick (`V2Api.all`).
 */
export function useCustomerNames(ids: number[]) {
  const { api, branch } = useSession()
  const sorted = [...new Set(ids)].sort((a, b) => a - b)
  const q = useQuery({
    queryKey: [branch, 'customer', 'names', sorted],
    queryFn: () => api.all('customer', { id: sorted, is_study: 2, removed: 1 }),
    enabled: sorted.length > 0,
    staleTime: 5 * 60_000,
  })
  return new Map((q.data ?? []).map((c) => [c.id, c.name]))
}

/** The dictionaries the schedule names things with: rooms, teachers, subjects, groups. */
export function useScheduleNames() {
  return {
    rooms: useDictionary('room'),
    teachers: useDictionary('teacher'),
    subjects: useDictionary('subject'),
    groups: useDictionary('group'),
  }
}
export type ScheduleNames = ReturnType<typeof useScheduleNames>

const PALETTE = [
  'blue',
  'teal',
  'grape',
  'orange',
  'cyan',
  'pink',
  'lime',
  'indigo',
  'violet',
  'green',
  'red',
  'yellow',
]

/** A stable colour per subject id (a Mantine colour name). */
export function subjectColor(subjectId: number): string {
  return PALETTE[(subjectId - 1 + PALETTE.length) % PALETTE.length]!
}

/** `hh:mm–hh:mm` of a lesson. */
export function lessonTime(l: Pick<Lesson, 'time_from' | 'time_to'>): string {
  return `${l.time_from.slice(11, 16)}–${l.time_to.slice(11, 16)}`
}

/** Who a lesson is for: its groups' names, else its pupils' names. */
export function lessonWho(l: Lesson, names: ScheduleNames, customers: Map<number, string>): string {
  const groups = l.group_ids.map((id) => names.groups.byId.get(id)?.name ?? `#${id}`)
  const pupils = l.customer_ids.map((id) => customers.get(id) ?? `#${id}`)
  return [...groups, ...pupils].join(', ')
}
