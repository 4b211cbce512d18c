import { byTeacher, requireBranchTeacher, teacherScope } from '../domain/teacher-scope.js'
import { exact, ids } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { choice, int, readOnly, ref, time } from '../fields/index.js'
import { messages } from '../fields/kind.js'

/** §7.24.1 Teacher working hours: weekly slots of a teacher, at `/v2api/{b}/teacher/working-hour`. */
export const teacherWorkingHour = defineModel({
  slug: 'working-hour',
  parent: 'teacher',
  table: 'teacher_working_hours',
  logName: 'TeacherWorkingHour',
  scope: teacherScope('teacher_working_hours'),
  scoping: byTeacher,
  fields: {
    id: int({ readOnly: true }),
    teacher_id: readOnly(int({ label: 'Педагог' })),
    location_id: ref('location', { label: 'Локация' }),
    weekday: choice([1, 2, 3, 4, 5, 6, 7], { required: true, label: 'День недели' }),
    time_from: time('hms', { required: true, label: 'Время начала' }),
    time_to: time('hms', { required: true, label: 'Время окончания' }),
  },
  filters: { ...ids(), weekday: exact('weekday'), location_id: exact('location_id') },
  order: [['id', 'asc']],
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
