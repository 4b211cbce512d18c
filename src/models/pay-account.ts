import { exact, ids, substring } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { bool, int, intList, ref, text } from '../fields/index.js'

/** §7.14 PayAccount: cash desks and bank accounts of a branch. */
export const payAccount = defineModel({
  slug: 'pay-account',
  table: 'pay_accounts',
  logName: 'PayAccount',
  description: 'Cash desks and bank accounts of a branch.',
  scope: 'branch',
  fields: {
    id: int({ readOnly: true }),
    branch_id: ref('branch', { label: 'Филиал', default: null }),
    name: text(50, { required: true, label: 'Название' }),
    // Stored only, not enforced (§7.14); linked so that a user in use is not deleted (§6.9).
    user_ids: intList({ ref: 'user', label: 'Пользователи' }),
    is_enabled: bool({ default: 1, label: 'Активна' }),
    weight: int({ label: 'Порядок' }),
  },
  filters: { ...ids(), name: substring('name'), is_enabled: exact('is_enabled') },
  order: [
    ['weight', 'asc'],
    ['id', 'asc'],
  ],
  examples: {
    create: { name: 'Front desk cash', user_ids: [1], weight: 1 },
    update: { name: 'Front desk cash box', is_enabled: 1 },
  },
  refusedBy: [['pay', 'pay_account_id']],
})
