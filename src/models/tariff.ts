import { contains, exact, ids, range, substring } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
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
  text,
} from '../fields/index.js'
import { messages } from '../fields/kind.js'

const present = (v: unknown) => v !== undefined && v !== null && v !== ''

/** §7.22 Tariff: subscription templates; a price change affects only future pricing. */
export const tariff = defineModel({
  slug: 'tariff',
  table: 'tariffs',
  logName: 'Tariff',
  description: 'Subscription templates; a price change affects only subscriptions made later.',
  scope: 'branches',
  stamps: { created: 'added' },
  fields: {
    id: int({ readOnly: true }),
    type: choice(
      { 1: 'package of lessons', 2: 'monthly', 3: 'weekly' },
      { required: true, label: 'Тип абонемента' },
    ),
    name: text(255, { required: true, label: 'Название' }),
    price: money({ required: true, minKopecks: 0, label: 'Стоимость' }),
    lessons_count: int({
      min: 0,
      aliases: ['lesson_count'],
      label: 'Количество уроков',
      description: 'Lessons in a package: at least 1 for type 1.',
    }),
    lesson_count: derived(int(), 'The same as `lessons_count`.'),
    duration: int({ nullable: true, label: 'Длительность' }),
    added: readOnly(datetime({ description: 'When it was created.' })),
    branch_ids: intList({ ref: 'branch', label: 'Филиалы' }),
    is_archive: bool({ label: 'В архиве' }),
    b_date: date('dmy', { nullable: true, label: 'Действует с' }),
    e_date: date('dmy', { nullable: true, label: 'Действует по' }),
    calculation_type: choice(
      { 0: 'any', 1: 'base account', 2: 'separate account' },
      { default: 0, label: 'Способ расчёта' },
    ),
    period_count: int({ min: 0, label: 'Срок' }),
    period_type: choice(
      { 0: 'none', 1: 'days', 2: 'weeks', 3: 'months', 4: 'years' },
      { default: 0, label: 'Единица срока' },
    ),
    subject_ids: intList({ ref: 'subject', label: 'Предметы' }),
    lesson_type_ids: intList({ ref: 'lesson-type', label: 'Типы уроков' }),
  },
  filters: {
    ...ids(),
    name: substring('name'),
    type: exact('type'),
    calculation_type: exact('calculation_type'),
    is_archive: exact('is_archive'),
    lessons_count: exact('lessons_count'),
    ...range('price'),
    branch_id: contains('branch_ids', 'branch_id'),
  },
  order: [['id', 'asc']],
  examples: {
    create: {
      type: 1,
      name: '8 lessons',
      price: '4600.00',
      lessons_count: 8,
      branch_ids: [1],
      period_count: 2,
      period_type: 3,
      subject_ids: [1],
    },
    update: { price: '4800.00' },
  },
  refusedBy: [['customer-tariff', 'tariff_id']],
  hooks: {
    prepare(draft) {
      const v = draft.values
      // §7.22: a package needs at least one lesson; period tariffs default to 0.
      if (v.type === 1 && (v.lessons_count as number) < 1 && !draft.errors.lessons_count) {
        const given = present(draft.body.lessons_count) || present(draft.body.lesson_count)
        const label = 'Количество уроков'
        draft.addError('lessons_count', given ? messages.min(label, 1) : messages.required(label))
      }
      const { b_date: b, e_date: e } = v
      if (typeof b === 'string' && typeof e === 'string' && e < b) draft.addError('e_date', messages.period())
    },
    derive(recs) {
      for (const rec of recs) rec.lesson_count = rec.lessons_count
    },
  },
})
