import { contains, exact, ids, substring } from '../engine/filters.js'
import { serialiseOn } from '../engine/locks.js'
import { defineModel } from '../engine/model.js'
import { bool, int, intList, text } from '../fields/index.js'

/** §7.1 Branch: global; every role reads its allowed branches, admins write. */
export const branch = defineModel({
  slug: 'branch',
  table: 'branches',
  logName: 'Branch',
  description: 'Branches of the school. Every role reads the branches it may use; admins write.',
  scope: 'global',
  writers: 'admin',
  fields: {
    id: int({ readOnly: true }),
    name: text(50, { required: true, label: 'Название' }),
    is_active: bool({ default: 1, label: 'Активен' }),
    subject_ids: intList({ ref: 'subject', label: 'Предметы' }),
    weight: int({ label: 'Порядок' }),
  },
  filters: {
    ...ids(),
    name: substring('name'),
    is_active: exact('is_active'),
    subject_ids: contains('subject_ids'),
    subject_id: contains('subject_ids', 'subject_id'),
  },
  order: [
    ['weight', 'asc'],
    ['id', 'asc'],
  ],
  examples: {
    create: { name: 'Riverside', is_active: 1, weight: 2 },
    update: { name: 'Main building', weight: 1 },
  },
  restrict: (eb, ctx) => eb('branches.id', 'in', ctx.allowedBranches.length ? ctx.allowedBranches : [0]),
  // §6.9: any record that belongs to the branch, in the order of the §2.5 table, then users.
  refusedBy: [
    ['location', 'branch_id'],
    ['room', 'branch_id'],
    ['lesson', 'branch_id'],
    ['pay', 'branch_id'],
    ['pay-account', 'branch_id'],
    ['regular-lesson', 'branch_id'],
    ['discount', 'branch_id'],
    ['customer', 'branch_ids'],
    ['group', 'branch_ids'],
    ['teacher', 'branch_ids'],
    ['tariff', 'branch_ids'],
    ['task', 'branch_ids'],
    ['pay-item', 'branch_ids'],
    ['user', 'branch_ids'],
  ],
  hooks: {
    async beforeDelete(_rec, ctx) {
      // Two branches deleted at once must not both count the other (engine/locks).
      await serialiseOn(ctx, 'last-branch')
      const n = await ctx.trx
        .selectFrom('branches')
        .select(({ fn }) => fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
      return Number(n.n) <= 1 ? 'Невозможно удалить последний филиал.' : null
    },
  },
})
