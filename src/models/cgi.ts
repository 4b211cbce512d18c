import { sql } from 'kysely'
import { resyncGroup } from '../domain/attendance.js'
import { describe, ids, onDate } from '../engine/filters.js'
import { groupedCount, groupedCountDoc } from '../engine/grouped-count.js'
import { indexAction } from '../engine/index-action.js'
import { serialiseOn } from '../engine/locks.js'
import { type ActionCtx, defineModel, type Rec } from '../engine/model.js'
import { throughParent, visibleIn } from '../engine/repository.js'
import { fail } from '../errors.js'
import { date, int, readOnly } from '../fields/index.js'
import { messages } from '../fields/kind.js'
import { parseDate } from '../wire/dates.js'
import { customer } from './customer.js'
import { group } from './group.js'

const DAY = { type: 'string', examples: ['2025-09-15'] }

const dateParam = (key: string) => (raw: unknown) => {
  const r = parseDate(raw)
  if (!r.ok) throw fail.badParam(key)
  return r.value
}

/** §7.6 CGI: a customer's membership of a group over a period. */
export const cgi = defineModel({
  slug: 'cgi',
  table: 'cgis',
  logName: 'CustomerGroupInvolve',
  description:
    'Memberships: a customer in a group over a period. They decide who takes part in group lessons.',
  // §2.5: a membership belongs to the branches of its group.
  scope: throughParent('cgis', 'group_id', 'groups_branch_ids'),
  scoping: {
    params: [
      { name: 'customer_id', field: 'customer_id', example: 1 },
      { name: 'group_id', field: 'group_id', example: 1 },
    ],
    missing(action, present) {
      if (action === 'index') return present.size === 0 ? ['group_id'] : []
      if (action === 'customer') return present.has('customer_id') ? [] : ['customer_id']
      if (action !== 'create') return []
      // §7.6: both missing names only group_id (the wording observed).
      if (present.size === 0) return ['group_id']
      return ['group_id', 'customer_id'].filter((n) => !present.has(n))
    },
  },
  fields: {
    id: int({ readOnly: true }),
    customer_id: readOnly(
      int({ label: 'Клиент', description: 'The customer; set from the query on create.' }),
    ),
    group_id: readOnly(int({ label: 'Группа', description: 'The group; set from the query on create.' })),
    b_date: date('dmy', {
      default: (c: ActionCtx) => c.today,
      aliases: ['b_date_v'],
      label: 'Начало действия',
    }),
    e_date: date('dmy', {
      nullable: true,
      aliases: ['e_date_v'],
      label: 'Окончание действия',
      description: 'Last day of the membership; null while open-ended.',
    }),
  },
  filters: {
    ...ids(),
    b_date: onDate('b_date'),
    e_date: onDate('e_date'),
    // Memberships overlapping the range; either bound drops the default "not yet ended" filter.
    date_from: describe({ schema: DAY, description: 'Memberships not ended before this date.' }, (raw, eb) =>
      eb.or([eb('cgis.e_date', 'is', null), eb('cgis.e_date', '>=', dateParam('date_from')(raw))]),
    ),
    date_to: describe({ schema: DAY, description: 'Memberships begun by this date.' }, (raw, eb) =>
      eb('cgis.b_date', '<=', dateParam('date_to')(raw)),
    ),
  },
  defaultFilters: {
    date_from: describe(
      { description: 'When neither `date_from` nor `date_to` is given: as if `date_from` were today.' },
      (params, eb, ctx) => {
        const to = (params as Record<string, unknown>).date_to
        if (to !== undefined && to !== null && to !== '') return sql<boolean>`1 = 1`
        return eb.or([eb('cgis.e_date', 'is', null), eb('cgis.e_date', '>=', ctx.today)])
      },
    ),
  },
  order: [['id', 'asc']],
  examples: { create: { b_date: '01.09.2025' }, update: { e_date: '31.05.2026' } },
  // Members per group (or groups per customer) in one call: a list page's counts. Unlike index, no
  // `group_id` is needed: every membership visible in the branch is counted.
  groupable: ['group_id', 'customer_id'],
  extra: {
    customer: { read: true, run: (ctx, input) => indexAction(cgi, ctx, input, 'customer') },
    count: {
      read: true,
      run: (ctx, input) => groupedCount(cgi, ctx, input, 'count'),
      doc: groupedCountDoc(),
    },
  },
  hooks: {
    async prepare(draft, ctx) {
      const v = draft.values
      if (draft.action === 'create') {
        for (const [field, model, label] of [
          ['customer_id', customer, 'Клиент'],
          ['group_id', group, 'Группа'],
        ] as const) {
          const found = await ctx.trx
            .selectFrom(model.table)
            .select(`${model.table}.id`)
            .where(`${model.table}.id`, '=', v[field] as number)
            .where((eb) => visibleIn(model, eb, ctx.pathBranch))
            .executeTakeFirst()
          if (!found) draft.addError(field, messages.invalid(label))
        }
      }
      if (typeof v.e_date === 'string' && typeof v.b_date === 'string' && v.e_date < v.b_date) {
        draft.addError('e_date', messages.period())
      }
      if (Object.keys(draft.errors).length > 0) return
      await serialiseOn(ctx, 'cgi', v.customer_id as number, v.group_id as number)
      const end = (v.e_date as string | null) ?? '9999-12-31'
      const overlap = await ctx.trx
        .selectFrom('cgis')
        .select('id')
        .where('customer_id', '=', v.customer_id as number)
        .where('group_id', '=', v.group_id as number)
        .where('id', '!=', draft.old?.id ?? 0)
        .where('b_date', '<=', end)
        .where((eb) => eb.or([eb('e_date', 'is', null), eb('e_date', '>=', v.b_date as string)]))
        .executeTakeFirst()
      if (overlap) draft.addError('b_date', 'Клиент уже состоит в этой группе в этот период.')
    },
    afterSave: (rec: Rec, _draft, ctx) => resyncGroup(rec.group_id as number, ctx),
    afterDelete: (rec: Rec, ctx) => resyncGroup(rec.group_id as number, ctx),
  },
})
