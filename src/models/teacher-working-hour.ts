import { byTeacher, requireBranchTeacher, teacherScope } from '../domain/teacher-scope.js'
import { exact, ids } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { choice, int, readOnly, ref, time } from '../fields/index.js'
import { messages } from '../fields/kind.js'

/** Days of the week as numbered here: shared by working hours and regular lessons. */
export const WEEKDAYS = {
  1: 'Monday',
  2: 'Tuesday',
  3: 'Wednesday',
  4: 'Thursday',
  5: 'Friday',
  6: 'Saturday',
  7: 'Sunday',
} as const

/** §7.24.1 Teacher working hours: weekly slots of a teacher, at `/v2api/{b}/teacher/working-hour`. */
export const teacherWorkingHour = defineModel({
  slug: 'working-hour',
  parent: 'teacher',
  table: 'teacher_working_hours',
  logName: 'TeacherWorkingHour',
  description: 'Weekly working hours of a teacher (`teacher_id` in the query).',
  scope: teacherScope('teacher_working_hours'),
  scoping: byTeacher,
  fields: {
    id: int({ readOnly: true }),
    teacher_id: readOnly(
      int({ label: 'Педагог', description: 'The teacher; set from the query on create.' }),
    ),
    location_id: ref('location', { label: 'Локация' }),
    weekday: choice(WEEKDAYS, { required: true, label: 'День недели' }),
    time_from: time('hms', { required: true, label: 'Время начала' }),
    time_to: time('hms', { required: true, label: 'Время окончания' }),
  },
  filters: { ...ids(), weekday: exact('weekday'), location_id: exact('location_id') },
  order: [['id', 'asc']],
  examples: {
    create: { weekday: 1, time_from: '09:00:00', time_to: '18:00:00', location_id: 1 },
    update: { time_from: '10:00:00', time_to: '19:00:00' },
  },
  hooks: {
    async prepare(draft, ctx) {
      await requireBranchTeacher(draft, ctx)
      const { time_from: from, time_to: to } = draft.values
      // §7.24.1: the end must be after the start (times are stored `HH:MM:SS`, so text order is time order).
      if (typeof from === 'string' && typeof to === 'string' && to <= from) {
        draft.addError('time_to', messages.period())
      }
    },
  },
})
