import type { Kysely } from 'kysely'
import { createLink, createTable } from './001-init.js'

/**
 * Schedule and attendance (issue 3): teachers with working hours and rates, groups and memberships,
 * lessons with their details, regular lessons. Frozen once shipped.
 */
type Db = Kysely<unknown>

const TABLES: Record<string, string> = {
  teachers: `branch_ids json, name text, dob text?, gender int, phone json, phone_digits text, email json,
    email_search text, web json, addr json, note text, streaming_id int?, subject_ids json, e_date text,
    removed int, archived_e_date text?, updated_at text`,
  teacher_working_hours: 'teacher_id int, location_id int?, weekday int, time_from text, time_to text',
  teacher_rates: `teacher_id int, rate big, type int, b_date text?, e_date text?, is_multirate int,
    is_proportional int, condition_attend int, reason_ids json, count_from int?, count_to int?, duration int?,
    lesson_type_ids json, subject_ids json, is_gt_zero int`,
  groups: `branch_ids json, teacher_ids json, name text, level_id int?, status_id int?, company_id int?,
    streaming_id int?, limit int, note text, b_date text?, e_date text?, removed int, archived_e_date text?,
    created_at text, updated_at text`,
  cgis: 'customer_id int, group_id int, b_date text, e_date text?',
  lessons: `branch_id int, date text, time_from text, time_to text, duration int, lesson_type_id int, status int,
    subject_id int, room_id int?, teacher_ids json, customer_ids json, group_ids json, streaming int, topic text,
    homework text, note text, regular_id int?`,
  lesson_details: `lesson_id int, customer_id int, branch_id int, ctt_id int?, is_attend int, reason_id int?,
    commission big, commission_override big?, grade int?, homework_grade_id int?, bonus int, note text`,
  regular_lessons: `branch_id int, lesson_type_id int, related_class text, related_id int, subject_id int,
    streaming int, teacher_ids json, customer_ids json, room_id int?, days json, time_from_v text, time_to_v text,
    b_date text, e_date text, is_public int`,
}

const LINKS = [
  'teachers_branch_ids',
  'teachers_subject_ids',
  'teacher_rates_lesson_type_ids',
  'teacher_rates_subject_ids',
  'groups_branch_ids',
  'groups_teacher_ids',
  'lessons_teacher_ids',
  'lessons_customer_ids',
  'lessons_group_ids',
  'regular_lessons_teacher_ids',
  'regular_lessons_customer_ids',
]

const INDEXES: Array<[string, string, string[]]> = [
  ['teacher_working_hours_teacher', 'teacher_working_hours', ['teacher_id']],
  ['teacher_rates_teacher', 'teacher_rates', ['teacher_id']],
  ['groups_state', 'groups', ['removed', 'id']],
  ['cgis_group', 'cgis', ['group_id', 'b_date']],
  ['cgis_customer', 'cgis', ['customer_id', 'b_date']],
  ['lessons_branch_date', 'lessons', ['branch_id', 'status', 'date', 'time_from']],
  ['lessons_date', 'lessons', ['date', 'time_from', 'id']],
  ['lessons_regular', 'lessons', ['regular_id', 'date']],
  ['lesson_details_lesson', 'lesson_details', ['lesson_id', 'customer_id']],
  ['lesson_details_customer', 'lesson_details', ['customer_id', 'lesson_id']],
  ['regular_lessons_related', 'regular_lessons', ['related_class', 'related_id']],
]

export const m002_schedule = {
  async up(db: Db): Promise<void> {
    for (const [name, spec] of Object.entries(TABLES)) await createTable(db, name, spec)
    for (const name of LINKS) await createLink(db, name)
    for (const [name, table, cols] of INDEXES)
      await db.schema.createIndex(name).on(table).columns(cols).execute()
  },
}
