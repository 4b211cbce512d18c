import { ids } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { int, text } from '../fields/index.js'

/** §7.28 PayType [ext]: the fixed, read-only dictionary of pay types (rows made by the first migration). */
export const PAY_TYPES = { 1: 'Приход', 2: 'Возврат', 3: 'Расход', 4: 'Зарплата' } as const

export const payType = defineModel({
  slug: 'pay-type',
  table: 'pay_types',
  logName: 'PayType',
  scope: 'global',
  actions: ['index'],
  fields: {
    id: int({ readOnly: true }),
    name: text(50, { readOnly: true }),
  },
  filters: ids(),
  order: [['id', 'asc']],
})
