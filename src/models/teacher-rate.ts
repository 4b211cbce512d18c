import { byTeacher, requireBranchTeacher, teacherScope } from '../domain/teacher-scope.js'
import { exact, ids } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { bool, choice, date, int, intList, money, readOnly } from '../fields/index.js'
import { messages } from '../fields/kind.js'

/** §7.24.2 Teacher rates: stored and returned as given; the server computes no salaries. */
export const teacherRate = defineModel({
  slug: 'teacher-rate',
  parent: 'teacher',
  table: 'teacher_rates',
  logName: 'TeacherRate',
  description:
    'Pay rates of a teacher (`teacher_id` in the query); stored as given, no salaries are computed.',
  scope: teacherScope('teacher_rates'),
  scoping: byTeacher,
  fields: {
    id: int({ readOnly: true }),
    teacher_id: readOnly(
      int({ label: 'Педагог', description: 'The teacher; set from the query on create.' }),
    ),
    rate: money({ required: true, minKopecks: 0, label: 'Ставка' }),
    type: choice({ 1: 'fixed amount', 2: 'percent' }, { required: true, label: 'Тип ставки' }),
    b_date: date('dmy', { nullable: true, label: 'Начало действия' }),
    e_date: date('dmy', { nullable: true, label: 'Окончание действия' }),
    is_multirate: bool({ aliases: ['s_multirate'], label: 'Мультиставка' }),
    is_proportional: bool({ label: 'Пропорционально' }),
    condition_attend: choice({ 1: 'attended', 2: 'missed', 3: 'any' }, { default: 3, label: 'Условие' }),
    reason_ids: intList({ label: 'Причины' }),
    count_from: int({ nullable: true, label: 'Учеников от' }),
    count_to: int({ nullable: true, label: 'Учеников до' }),
    duration: int({ nullable: true, label: 'Длительность' }),
    lesson_type_ids: intList({ ref: 'lesson-type', label: 'Типы уроков' }),
    subject_ids: intList({ ref: 'subject', label: 'Предметы' }),
    is_gt_zero: bool({ label: 'Больше нуля' }),
  },
  filters: { ...ids(), type: exact('type') },
  order: [['id', 'asc']],
  examples: {
    create: { rate: '1500.00', type: 1, b_date: '01.09.2025', e_date: '31.05.2026', lesson_type_ids: [1] },
    update: { rate: '1700.00' },
  },
  hooks: {
    async prepare(draft, ctx) {
      await requireBranchTeacher(draft, ctx)
      const { b_date: b, e_date: e } = draft.values
      // §7.24.2: the end may equal the start but not precede it.
      if (typeof b === 'string' && typeof e === 'string' && e < b) draft.addError('e_date', messages.period())
    },
  },
})
