import { ids } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { int, text } from '../fields/index.js'

/** §7.28 PayType [ext]: the fixed, read-only dictionary of pay types (rows made by the first migration). */
export const PAY_TYPES = { 1: 'Приход', 2: 'Возврат', 3: 'Расход', 4: 'Зарплата' } as const
/** Their meanings in English (OpenAPI). */
export const PAY_TYPE_MEANINGS = {
  1: 'income from a customer',
  2: 'refund to a customer',
  3: 'expense',
  4: 'salary',
} as const

export const payType = defineModel({
  slug: 'pay-type',
  table: 'pay_types',
  logName: 'PayType',
  description: 'The fixed dictionary of pay types: 1 income, 2 refund, 3 expense, 4 salary.',
  scope: 'global',
  actions: ['index'],
  fields: {
    id: int({ readOnly: true }),
    name: text(50, { readOnly: true, description: 'Name in Russian.' }),
  },
  filters: ids(),
  order: [['id', 'asc']],
})
