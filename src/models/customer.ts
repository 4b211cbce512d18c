import { sql } from 'kysely'
import {
  countRange,
  deriveCustomers,
  nextLessonRange,
  tariffTillRange,
  withGroups,
} from '../domain/customer-figures.js'
import {
  ageRange,
  contains,
  exact,
  ids,
  phone,
  range,
  stampRange,
  substring,
  triState,
} from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { fail } from '../errors.js'
import {
  bool,
  choice,
  date,
  datetime,
  derived,
  int,
  intList,
  money,
  readOnly,
  ref,
  stringList,
  text,
} from '../fields/index.js'
import { parseMoney } from '../wire/numbers.js'

const EXACT = [
  'legal_type',
  'gender',
  'company_id',
  'study_status_id',
  'lead_status_id',
  'lead_source_id',
  'lead_reject_id',
  'customer_reject_id',
  'assigned_id',
  'employee_id',
  'color',
]

/** §7.3 Customer: leads (`is_study` 0) and students (1); delete archives (§6.9). */
export const customer = defineModel({
  slug: 'customer',
  table: 'customers',
  logName: 'Customer',
  scope: 'branches',
  archive: { openEDate: '2030-12-31' },
  customFields: true,
  stamps: { created: 'b_date', updated: 'updated_at' },
  fields: {
    id: int({ readOnly: true }),
    branch_ids: intList({ ref: 'branch', label: 'Филиалы' }),
    teacher_ids: intList({ ref: 'teacher', label: 'Педагоги' }),
    name: text(255, { required: true, label: 'Имя' }),
    is_study: choice([0, 1], { required: true, label: 'Обучается' }),
    study_status_id: ref('study-status', { label: 'Статус обучения' }),
    lead_status_id: ref('lead-status', { label: 'Этап воронки' }),
    lead_reject_id: ref('lead-reject', { label: 'Причина отказа лида' }),
    customer_reject_id: ref('customer-reject', { label: 'Причина отказа клиента' }),
    lead_source_id: ref('lead-source', { label: 'Источник' }),
    assigned_id: ref('user', { label: 'Ответственный' }),
    employee_id: int({ nullable: true, label: 'Сотрудник' }),
    legal_type: choice([1, 2], { required: true, label: 'Тип клиента' }),
    legal_name: text(255, { label: 'Контактное лицо' }),
    company_id: int({ nullable: true, label: 'Юр. лицо' }),
    dob: date('dmy', { nullable: true, label: 'Дата рождения' }),
    gender: choice([0, 1, 2], { default: 0, label: 'Пол' }),
    balance: derived(money(), '§6.1'),
    balance_base: readOnly(money()),
    balance_bonus: derived(money(), 'always 0.00'),
    last_attend_date: readOnly(date('iso', { nullable: true })),
    b_date: readOnly(datetime()),
    e_date: readOnly(date('iso', { default: '2030-12-31' })),
    removed: bool({ default: 0, label: 'Архив' }),
    note: text(10000, { label: 'Примечание' }),
    paid_count: readOnly(int()),
    paid_lesson_count: derived(int(), '§6.5'),
    paid_lesson_date: derived(datetime(), '§6.5'),
    next_lesson_date: derived(datetime(), '§6.5'),
    paid_till: derived(datetime(), '§6.5'),
    phone: stringList({ index: 'phone', label: 'Телефон' }),
    email: stringList({ index: 'search', label: 'E-mail' }),
    web: stringList({ label: 'Сайт' }),
    addr: stringList({ label: 'Адрес' }),
    color: text(50, { label: 'Цвет' }),
  },
  filters: {
    ...ids(),
    is_study: triState('is_study', 'is_study'),
    removed: triState('removed', 'removed'),
    removed_from: (v, eb, ctx, m) =>
      eb.and([eb('customers.removed', '=', 1), range('e_date', 'removed').removed_from!(v, eb, ctx, m)]),
    removed_to: (v, eb, ctx, m) =>
      eb.and([eb('customers.removed', '=', 1), range('e_date', 'removed').removed_to!(v, eb, ctx, m)]),
    name: substring('name'),
    legal_name: substring('legal_name'),
    note: substring('note'),
    phone: phone('phone'),
    email: substring('email'),
    ...Object.fromEntries(EXACT.map((f) => [f, exact(f)])),
    branch_ids: contains('branch_ids'),
    branch_id: contains('branch_ids', 'branch_id'),
    teacher_ids: contains('teacher_ids'),
    teacher_id: contains('teacher_ids', 'teacher_id'),
    ...ageRange('dob'),
    ...range('dob'),
    lesson_count_from: countRange('>=', 'lesson_count_from'),
    lesson_count_to: countRange('<=', 'lesson_count_to'),
    ...range('balance_base', 'balance_contract'),
    balance_bonus_from: (v) => bonusBound(v, '>=', 'balance_bonus_from'),
    balance_bonus_to: (v) => bonusBound(v, '<=', 'balance_bonus_to'),
    ...range('b_date', 'date', 'created_at'),
    ...stampRange('updated_at', 'updated_at'),
    ...range('last_attend_date'),
    next_lesson_date_from: nextLessonRange('>=', 'next_lesson_date_from'),
    next_lesson_date_to: nextLessonRange('<=', 'next_lesson_date_to'),
    tariff_till_from: tariffTillRange('>=', 'tariff_till_from'),
    tariff_till_to: tariffTillRange('<=', 'tariff_till_to'),
    withGroups,
  },
  defaultFilters: {
    is_study: (_v, eb) => eb('customers.is_study', '=', 1),
    removed: (_v, eb) => eb('customers.removed', '=', 0),
  },
  order: [['id', 'asc']],
  hooks: { derive: deriveCustomers },
})

function bonusBound(raw: unknown, op: '>=' | '<=', key: string) {
  const r = parseMoney(raw)
  if (!r.ok) throw fail.badParam(key)
  return op === '>=' ? sql<boolean>`0 >= ${r.value}` : sql<boolean>`0 <= ${r.value}`
}
