import { contains, exact, ids, substring } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { int, intList, ref, text } from '../fields/index.js'
import { PAY_TYPE_MEANINGS } from './pay-type.js'

/** §7.15 PayItem: income and expense articles of one or more branches. */
export const payItem = defineModel({
  slug: 'pay-item',
  table: 'pay_items',
  logName: 'PayItem',
  description: 'Income and expense items of one or more branches.',
  scope: 'branches',
  fields: {
    id: int({ readOnly: true }),
    branch_ids: intList({ ref: 'branch', label: 'Филиалы' }),
    category_id: ref('pay-item-category', { label: 'Категория' }),
    // Informational; kept in a link table for the `pay_type_id` filter.
    pay_type_ids: intList({ values: PAY_TYPE_MEANINGS, linked: true, label: 'Типы платежей' }),
    name: text(50, { required: true, label: 'Название' }),
    weight: int({ label: 'Порядок' }),
  },
  filters: {
    ...ids(),
    name: substring('name'),
    category_id: exact('category_id'),
    pay_type_id: contains('pay_type_ids', 'pay_type_id'),
    branch_id: contains('branch_ids', 'branch_id'),
  },
  order: [
    ['weight', 'asc'],
    ['id', 'asc'],
  ],
  examples: {
    create: { name: 'Monthly fee', category_id: 1, pay_type_ids: [1, 2], branch_ids: [1] },
    update: { name: 'Monthly tuition fee' },
  },
  refusedBy: [['pay', 'pay_item_id']],
})
