import { type RawBuilder, sql } from 'kysely'
import { remembered } from '../db/memo.js'
import { groupByDoc, groupRows, readGroupBy } from '../engine/grouped-count.js'
import { selectFiltered, shapeOf } from '../engine/index-action.js'
import type { ActionCtx, ExtraDoc, Model, RequestInput } from '../engine/model.js'
import { NAMES_PARAM_DOC, NAMES_REPLY_DOC, wantsNames, withGroupNames } from '../engine/names.js'
import { formatMoney } from '../wire/numbers.js'

/** The sums of pay/total by `pay_type_id` (§7.13, §7.28). */
const SUMS = { income: 1, refund: 2, expense: 3, salary: 4 } as const

type Sums = Record<keyof typeof SUMS, string>

/** The count and the sums of pay/total as selected columns, money as text (kopecks). */
function sumColumns(col: (c: string) => RawBuilder<unknown>) {
  return [
    sql<number>`count(*)`.as('count'),
    ...Object.entries(SUMS).map(([name, type]) =>
      // As text: a sum may pass 2^53 kopecks, and PostgreSQL's sum of bigint is numeric anyway.
      sql<string>`CAST(COALESCE(sum(CASE WHEN ${col('pay_type_id')} = ${sql.lit(type)}
        AND ${col('is_confirmed')} = 1 THEN ${col('income')} END), 0) AS TEXT)`.as(name),
    ),
  ]
}

/** A row of counts and sums on the wire. */
function totalsOf(row: Sums & { count: number | string }) {
  const kopecks = (name: keyof Sums) => BigInt(row[name])
  return {
    count: Number(row.count),
    income: formatMoney(kopecks('income')),
    refund: formatMoney(kopecks('refund')),
    expense: formatMoney(kopecks('expense')),
    salary: formatMoney(kopecks('salary')),
    net: formatMoney(kopecks('income') - kopecks('refund')),
  }
}

/**
 * `pay/total` [ext]: how many pays `pay/index` lists with the same parameters, and the money of the
 * confirmed ones by type, summed in SQL. Only confirmed pays count, as in balances (§6.1): an
 * unconfirmed pay is listed and counted in `count` but moves no money. With `group_by` the same per
 * value of that field, in one more GROUP BY query, and with `names` [ext] the names of those values. Sums are kept in the memo like index totals, under
 * the SQL that computes them.
 */
export async function payTotals(model: Model, ctx: ActionCtx, input: RequestInput) {
  const grouping = readGroupBy(model, input, false)
  const named = wantsNames(input) && grouping !== null
  const { filtered } = await selectFiltered(model, ctx, input, 'index', ['group_by'])
  const col = (c: string) => sql.ref(`${model.table}.${c}`)
  const query = filtered.select(sumColumns(col)).compile()
  const row = await remembered(ctx.reading, `pay-totals:${shapeOf(query)}`, async () => {
    const r = await ctx.trx.executeQuery<Sums & { count: number }>(query)
    return r.rows[0]!
  })
  const totals = totalsOf(row)
  if (!grouping) return totals
  const groups = await groupRows<Sums & { count: number }>(
    model,
    ctx,
    filtered,
    grouping[1],
    sumColumns,
    'pay-groups',
  )
  const out = { ...totals, groups: groups.map((g) => ({ value: g.value, ...totalsOf(g) })) }
  return named ? withGroupNames(out, true, model, ctx, grouping[0], grouping[1]) : out
}

const MONEY = { type: 'string', pattern: '^-?\\d+\\.\\d{2}$' }
const NET = { ...MONEY, examples: ['12245.00'], description: '`income` − `refund`; may be negative.' }
const sum = (what: string) => ({ ...MONEY, examples: ['12345.00'], description: `Sum of confirmed ${what}.` })

export const PAY_TOTALS_DOC: ExtraDoc = {
  description:
    'Totals of the pays that `index` lists with the same filters, default filters and branch: their ' +
    'number, and the sums of the confirmed ones by pay type (unconfirmed pays are counted in `count` ' +
    'but move no money, as in balances). Paging keys and `sort` are accepted and ignored. With ' +
    '`group_by`, also `groups`: the same figures per value of that field.',
  takesFilters: true,
  params: (model) => ({
    group_by: groupByDoc(model, 'Optional: also give the figures per value of this field, in `groups`.'),
    names: {
      ...NAMES_PARAM_DOC,
      description:
        '[extension] With `group_by`, `1`: the reply also has `names`, `{group_by: {value: name}}` (the ' +
        'account names, say), when the user may read that model.',
    },
  }),
  reply: {
    description: 'The number of pays and the sums of the confirmed ones by type.',
    schema: {
      type: 'object',
      properties: {
        count: {
          type: 'integer',
          description: 'Number of pays selected, confirmed or not: `total` of index.',
        },
        income: sum('incomes (pay type 1)'),
        refund: sum('refunds (pay type 2)'),
        expense: sum('expenses (pay type 3)'),
        salary: sum('salary payouts (pay type 4)'),
        net: NET,
        groups: {
          type: 'array',
          description:
            'Only with `group_by`: one per value present, by value ascending, the null group (no value) last; ' +
            'the counts add up to `count` and the sums to the sums.',
          items: {
            type: 'object',
            properties: {
              value: { type: ['integer', 'null'], examples: [1], description: 'The value; null: none.' },
              count: { type: 'integer', description: 'Number of pays with this value, confirmed or not.' },
              income: sum('incomes with this value'),
              refund: sum('refunds with this value'),
              expense: sum('expenses with this value'),
              salary: sum('salary payouts with this value'),
              net: NET,
            },
            required: ['value', 'count', 'income', 'refund', 'expense', 'salary', 'net'],
          },
        },
        names: {
          ...NAMES_REPLY_DOC,
          description:
            'Only with `group_by` and `names=1`: the name of each grouped value, under the `group_by` key.',
        },
      },
      required: ['count', 'income', 'refund', 'expense', 'salary', 'net'],
    },
  },
}
