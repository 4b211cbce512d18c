import { sql } from 'kysely'
import { remembered } from '../db/memo.js'
import { selectFiltered, shapeOf } from '../engine/index-action.js'
import type { ActionCtx, ExtraDoc, Model, RequestInput } from '../engine/model.js'
import { formatMoney } from '../wire/numbers.js'

/** The sums of pay/total by `pay_type_id` (§7.13, §7.28). */
const SUMS = { income: 1, refund: 2, expense: 3, salary: 4 } as const

type Sums = Record<keyof typeof SUMS, string>

/**
 * `pay/total` [ext]: how many pays `pay/index` lists with the same parameters, and the money of the
 * confirmed ones by type, summed in SQL. Only confirmed pays count, as in balances (§6.1): an
 * unconfirmed pay is listed and counted in `count` but moves no money. Sums are kept in the memo like
 * index totals, under the SQL that computes them.
 */
export async function payTotals(model: Model, ctx: ActionCtx, input: RequestInput) {
  const { filtered } = await selectFiltered(model, ctx, input, 'index')
  const col = (c: string) => sql.ref(`${model.table}.${c}`)
  const query = filtered
    .select(sql<number>`count(*)`.as('count'))
    .select(
      Object.entries(SUMS).map(([name, type]) =>
        // As text: a sum may pass 2^53 kopecks, and PostgreSQL's sum of bigint is numeric anyway.
        sql<string>`CAST(COALESCE(sum(CASE WHEN ${col('pay_type_id')} = ${sql.lit(type)}
          AND ${col('is_confirmed')} = 1 THEN ${col('income')} END), 0) AS TEXT)`.as(name),
      ),
    )
    .compile()
  const row = await remembered(ctx.reading, `pay-totals:${shapeOf(query)}`, async () => {
    const r = await ctx.trx.executeQuery<Sums & { count: number }>(query)
    return r.rows[0]!
  })
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

const MONEY = { type: 'string', pattern: '^-?\\d+\\.\\d{2}$' }
const sum = (what: string) => ({ ...MONEY, examples: ['12345.00'], description: `Sum of confirmed ${what}.` })

export const PAY_TOTALS_DOC: ExtraDoc = {
  description:
    'Totals of the pays that `index` lists with the same filters, default filters and branch: their ' +
    'number, and the sums of the confirmed ones by pay type (unconfirmed pays are counted in `count` ' +
    'but move no money, as in balances). Paging keys and `sort` are accepted and ignored.',
  takesFilters: true,
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
        net: { ...MONEY, examples: ['12245.00'], description: '`income` − `refund`; may be negative.' },
      },
      required: ['count', 'income', 'refund', 'expense', 'salary', 'net'],
    },
  },
}
