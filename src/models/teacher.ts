import {
  ageRange,
  asIf,
  contains,
  exact,
  ids,
  ignored,
  onDate,
  phone,
  substring,
  triState,
} from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { bool, choice, date, int, intList, readOnly, stringList, text } from '../fields/index.js'
import { GENDER } from './customer.js'

/** §7.24 Teacher: delete archives (§6.9); working hours and rates are its sub-resources. */
export const teacher = defineModel({
  slug: 'teacher',
  table: 'teachers',
  logName: 'Teacher',
  description:
    'Teachers. Delete archives a teacher; restore brings it back. Working hours and rates hang off a teacher.',
  scope: 'branches',
  archive: { openEDate: '2030-12-31' },
  customFields: true,
  stamps: { updated: 'updated_at' },
  fields: {
    id: int({ readOnly: true }),
    branch_ids: intList({ ref: 'branch', label: 'Филиалы' }),
    name: text(255, { required: true, label: 'Имя' }),
    dob: date('dmy', { nullable: true, label: 'Дата рождения' }),
    gender: choice(GENDER, { default: 0, label: 'Пол' }),
    phone: stringList({ index: 'phone', label: 'Телефон' }),
    email: stringList({ index: 'search', label: 'E-mail' }),
    web: stringList({ label: 'Сайт' }),
    addr: stringList({ label: 'Адрес' }),
    note: text(10000, { label: 'Примечание' }),
    streaming_id: int({ nullable: true, label: 'Трансляция' }),
    subject_ids: intList({ ref: 'subject', aliases: ['subject_id'], label: 'Предметы' }),
    e_date: readOnly(
      date('iso', { default: '2030-12-31', description: '2030-12-31 while active, else the archive date.' }),
    ),
    removed: bool({ default: 0, label: 'Архив', description: 'Archived; writing it archives or restores.' }),
  },
  filters: {
    ...ids(),
    name: substring('name'),
    phone: phone('phone'),
    email: substring('email'),
    removed: triState('removed', 'removed'),
    ...ageRange('dob'),
    subject_id: contains('subject_ids', 'subject_id'),
    branch_id: contains('branch_ids', 'branch_id'),
    gender: exact('gender'),
    e_date: onDate('e_date'),
    // §7.24: clients send it; it is ignored, and so known even in strict mode.
    skill_id: ignored(),
  },
  defaultFilters: { removed: asIf(0, (_v, eb) => eb('teachers.removed', '=', 0)) },
  order: [['id', 'asc']],
  sortable: ['id', 'name'],
  examples: {
    create: {
      name: 'Смирнова Анна',
      branch_ids: [1],
      dob: '20.05.1990',
      gender: 2,
      phone: ['+7 900 555-12-34'],
      email: ['anna.smirnova@example.org'],
      subject_ids: [1],
    },
    update: { note: 'Teaches adults on Saturdays.', subject_ids: [1] },
  },
})
