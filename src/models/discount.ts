import { exact, ids } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { choice, date, type FieldContext, int, intList, number, ref, text } from '../fields/index.js'
import { messages } from '../fields/kind.js'

/**
 * §7.19 Discount: lowers the price of a customer's lessons in every branch (§6.2 step 4). `begin` and
 * `end` are SQL keywords, hence the column names.
 */
export const discount = defineModel({
  slug: 'discount',
  table: 'discounts',
  logName: 'Discount',
  description:
    'Discounts on a customer’s lessons in every branch: a percentage or a fixed amount per lesson. When ' +
    'several apply, the latest one wins.',
  scope: 'branch',
  fields: {
    id: int({ readOnly: true }),
    branch_id: ref('branch', { label: 'Филиал', default: null }),
    customer_id: ref('customer', { required: true, label: 'Клиент' }),
    discount_type: choice(
      { 1: 'percent', 2: 'fixed amount per lesson' },
      { required: true, label: 'Тип скидки' },
    ),
    amount: number({ required: true, above: 0, label: 'Размер скидки' }),
    note: text(255, { label: 'Примечание' }),
    subject_ids: intList({ ref: 'subject', label: 'Предметы' }),
    lesson_type_ids: intList({ ref: 'lesson-type', label: 'Типы уроков' }),
    begin: date('dmy', {
      default: (c: FieldContext) => c.today,
      column: 'begin_date',
      label: 'Начало действия',
    }),
    end: date('dmy', { nullable: true, column: 'end_date', label: 'Окончание действия' }),
  },
  filters: { ...ids(), customer_id: exact('customer_id'), discount_type: exact('discount_type') },
  order: [['id', 'asc']],
  examples: {
    create: { customer_id: 1, discount_type: 1, amount: 10, begin: '01.09.2025', note: 'Sibling discount' },
    update: { amount: 15, end: '31.05.2026' },
  },
  hooks: {
    prepare(draft) {
      const v = draft.values
      // A percentage above 100 would make the price negative.
      if (v.discount_type === 1 && typeof v.amount === 'number' && v.amount > 100 && !draft.errors.amount)
        draft.addError('amount', messages.max('Размер скидки', 100))
      if (typeof v.begin === 'string' && typeof v.end === 'string' && v.end < v.begin)
        draft.addError('end', messages.period())
    },
  },
})
