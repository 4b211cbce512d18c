import { sql } from 'kysely'
import { TALLY_BY_DIMS, TALLY_BY_TABLE } from '../db/migrations/016-customer-tally-by.js'
import { SOLE_BRANCH_COLUMN } from '../db/migrations/018-customer-sole-branch.js'
import {
  countRange,
  deriveCustomers,
  hasNextLesson,
  nextLessonRange,
  tariffTillRange,
  withGroups,
} from '../domain/customer-figures.js'
import { customerDedupe } from '../domain/lead-dedupe.js'
import {
  ageRange,
  asIf,
  contains,
  describe,
  exact,
  ids,
  phone,
  range,
  stampRange,
  substring,
  triState,
} from '../engine/filters.js'
import { groupedCount, groupedCountDoc } from '../engine/grouped-count.js'
import { defineModel, type FilterFn } from '../engine/model.js'
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

const INT = { type: 'integer' }
const MONEY = { type: 'string', examples: ['575.00'] }
const DAY = { type: 'string', examples: ['2025-09-15'] }

/** Shared by customers and teachers. */
export const GENDER = { 0: 'unspecified', 1: 'male', 2: 'female' } as const

/** §7.3 Customer: leads (`is_study` 0) and students (1); delete archives (§6.9). */
export const customer = defineModel({
  slug: 'customer',
  table: 'customers',
  logName: 'Customer',
  description:
    'Leads (`is_study` 0) and students (`is_study` 1). Delete archives a customer; restore brings it back.',
  scope: 'branches',
  soleBranch: SOLE_BRANCH_COLUMN,
  archive: { openEDate: '2030-12-31' },
  customFields: true,
  stamps: { created: 'b_date', updated: 'updated_at' },
  trigram: ['name', 'phone'],
  fields: {
    id: int({ readOnly: true }),
    branch_ids: intList({ ref: 'branch', label: 'Филиалы' }),
    teacher_ids: intList({ ref: 'teacher', label: 'Педагоги' }),
    name: text(255, { required: true, label: 'Имя' }),
    is_study: choice({ 0: 'lead', 1: 'student' }, { required: true, label: 'Обучается' }),
    study_status_id: ref('study-status', { label: 'Статус обучения' }),
    lead_status_id: ref('lead-status', { label: 'Этап воронки' }),
    lead_reject_id: ref('lead-reject', { label: 'Причина отказа лида' }),
    customer_reject_id: ref('customer-reject', { label: 'Причина отказа клиента' }),
    lead_source_id: ref('lead-source', { label: 'Источник' }),
    assigned_id: ref('user', { label: 'Ответственный' }),
    employee_id: int({ nullable: true, label: 'Сотрудник' }),
    legal_type: choice({ 1: 'natural person', 2: 'legal entity' }, { required: true, label: 'Тип клиента' }),
    legal_name: text(255, { label: 'Контактное лицо' }),
    company_id: int({ nullable: true, label: 'Юр. лицо' }),
    dob: date('dmy', { nullable: true, label: 'Дата рождения' }),
    gender: choice(GENDER, { default: 0, label: 'Пол' }),
    balance: derived(money(), '`balance_base` + `balance_bonus`; may be negative.'),
    balance_base: readOnly(
      money({ description: 'Base account: confirmed incomes − refunds − charges; may be negative.' }),
    ),
    balance_bonus: derived(money(), 'Always 0.00: bonuses are not kept.'),
    last_attend_date: readOnly(
      date('iso', { nullable: true, description: 'Date of the latest conducted lesson attended.' }),
    ),
    b_date: readOnly(datetime({ description: 'When the customer was created.' })),
    e_date: readOnly(
      date('iso', { default: '2030-12-31', description: '2030-12-31 while active, else the archive date.' }),
    ),
    removed: bool({ default: 0, label: 'Архив', description: 'Archived; writing it archives or restores.' }),
    note: text(10000, { label: 'Примечание' }),
    paid_count: readOnly(int({ description: 'Number of confirmed incomes (pay type 1).' })),
    paid_lesson_count: derived(
      int(),
      'Lessons the base balance pays for at the price of the current package subscription.',
    ),
    paid_lesson_date: derived(datetime(), 'Start of the last upcoming planned lesson already paid for.'),
    next_lesson_date: derived(datetime(), 'Start of the next planned lesson, or null.'),
    paid_till: derived(datetime(), 'End of the current monthly or weekly subscription, or null.'),
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
    removed_from: archivedOn('removed_from'),
    removed_to: archivedOn('removed_to'),
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
    lesson_count_from: bounded('lesson_count_from', 'paid_lesson_count', countRange, INT),
    lesson_count_to: bounded('lesson_count_to', 'paid_lesson_count', countRange, INT),
    ...range('balance_base', 'balance_contract'),
    balance_bonus_from: bounded('balance_bonus_from', 'balance_bonus', bonusBound, MONEY),
    balance_bonus_to: bounded('balance_bonus_to', 'balance_bonus', bonusBound, MONEY),
    ...range('b_date', 'date', 'created_at'),
    ...stampRange('updated_at', 'updated_at'),
    ...range('last_attend_date'),
    next_lesson_date_from: bounded('next_lesson_date_from', 'next_lesson_date', nextLessonRange, DAY),
    next_lesson_date_to: bounded('next_lesson_date_to', 'next_lesson_date', nextLessonRange, DAY),
    has_next_lesson: describe(
      {
        schema: { enum: [0, 1] },
        description:
          '[extension] `1`: customers with an upcoming planned lesson (`next_lesson_date` not null); `0`: without one.',
      },
      hasNextLesson,
    ),
    tariff_till_from: bounded('tariff_till_from', 'paid_till', tariffTillRange, DAY),
    tariff_till_to: bounded('tariff_till_to', 'paid_till', tariffTillRange, DAY),
    withGroups: describe(
      { schema: { enum: [0, 1] }, description: '`1`: only customers in a group today; `0`: all.' },
      withGroups,
    ),
  },
  defaultFilters: {
    is_study: asIf(1, (_v, eb) => eb('customers.is_study', '=', 1)),
    removed: asIf(0, (_v, eb) => eb('customers.removed', '=', 0)),
  },
  order: [['id', 'asc']],
  // Counted per branch × is_study × removed by migration 014's triggers: the lists' totals without a scan.
  tally: {
    table: 'customers_tally',
    dims: ['is_study', 'removed'],
    by: { table: TALLY_BY_TABLE, keys: TALLY_BY_DIMS },
  },
  sortable: [
    'id',
    'name',
    'b_date',
    ['balance', 'balance_base'],
    'last_attend_date',
    'dob',
    'paid_count',
    'lead_status_id',
    'study_status_id',
  ],
  groupable: ['lead_status_id', 'lead_source_id', 'study_status_id', 'assigned_id', 'lead_reject_id'],
  extra: {
    count: { read: true, run: (ctx, input) => groupedCount(customer, ctx, input), doc: groupedCountDoc() },
  },
  examples: {
    create: {
      name: 'Иванов Пётр',
      is_study: 1,
      legal_type: 1,
      legal_name: 'Иванова Мария (mother)',
      dob: '15.03.2014',
      gender: 1,
      phone: ['+7 900 123-45-67'],
      email: ['maria.ivanova@example.org'],
      note: 'Prefers afternoon lessons.',
    },
    update: { is_study: 1, phone: ['+7 900 123-45-67', '+7 900 765-43-21'], note: 'Moved to evenings.' },
  },
  hooks: { derive: deriveCustomers },
  dedupe: customerDedupe(() => customer),
})

function bonusBound(op: '>=' | '<=', key: string): FilterFn {
  return (raw) => {
    const r = parseMoney(raw)
    if (!r.ok) throw fail.badParam(key)
    return op === '>=' ? sql<boolean>`0 >= ${r.value}` : sql<boolean>`0 <= ${r.value}`
  }
}

/** A `_from`/`_to` bound (§7.3) on `field`, a figure computed when read. */
function bounded(
  key: string,
  field: string,
  make: (op: '>=' | '<=', key: string) => FilterFn,
  schema: Record<string, unknown>,
): FilterFn {
  const lower = key.endsWith('_from')
  const description = `${lower ? 'Lower' : 'Upper'} bound of \`${field}\`, inclusive.`
  return describe({ schema, description }, make(lower ? '>=' : '<=', key))
}

/** `removed_from`/`_to` (§7.3): archived customers by archive date (`e_date`). */
function archivedOn(key: 'removed_from' | 'removed_to'): FilterFn {
  const bound = range('e_date', 'removed')[key]!
  const edge = key === 'removed_from' ? 'Lower' : 'Upper'
  return describe(
    { schema: DAY, description: `${edge} bound of the archive date, inclusive; archived customers only.` },
    (v, eb, ctx, m) => eb.and([eb('customers.removed', '=', 1), bound(v, eb, ctx, m)]),
  )
}
