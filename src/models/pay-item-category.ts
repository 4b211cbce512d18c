import { ids, substring } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { int, text } from '../fields/index.js'

/** §7.16 PayItemCategory: a tenant-wide grouping of pay items. */
export const payItemCategory = defineModel({
  slug: 'pay-item-category',
  table: 'pay_item_categories',
  logName: 'PayItemCategory',
  description: 'Tenant-wide groups of pay items.',
  scope: 'tenant',
  fields: {
    id: int({ readOnly: true }),
    name: text(50, { required: true, label: 'Название' }),
    weight: int({ label: 'Порядок' }),
  },
  filters: { ...ids(), name: substring('name') },
  order: [
    ['weight', 'asc'],
    ['id', 'asc'],
  ],
  examples: { create: { name: 'Tuition', weight: 1 }, update: { name: 'Tuition fees' } },
  refusedBy: [['pay-item', 'category_id']],
})
