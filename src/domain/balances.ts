import { sql } from 'kysely'
import type { ActionCtx } from '../engine/model.js'

/**
 * Keeps the cached customer figures (`balance_base`, `paid_count`, `last_attend_date`) equal to their
 * formulas (§6.1, §6.5), recomputed from scratch for the customers a change touched, in the same
 * transaction as the change (§6.10). Recomputing instead of adding deltas means a repeated or
 * concurrent request can never count anything twice.
 */
export async function refreshCustomers(customerIds: Iterable<number>, ctx: ActionCtx): Promise<void> {
  const ids = [...new Set(customerIds)]
  if (ids.length === 0) return
  const charges = await ctx.trx
    .selectFrom('lesson_details as d')
    .innerJoin('lessons as l', 'l.id', 'd.lesson_id')
    .select(['d.customer_id', sql<number>`sum(d.commission)`.as('charged')])
    .where('l.status', '=', 3)
    .where('d.customer_id', 'in', ids)
    .groupBy('d.customer_id')
    .execute()
  const attended = await ctx.trx
    .selectFrom('lesson_details as d')
    .innerJoin('lessons as l', 'l.id', 'd.lesson_id')
    .select(['d.customer_id', sql<string>`max(l.date)`.as('last')])
    .where('l.status', '=', 3)
    .where('d.is_attend', '=', 1)
    .where('d.customer_id', 'in', ids)
    .groupBy('d.customer_id')
    .execute()
  const charged = new Map(charges.map((r) => [Number(r.customer_id), Number(r.charged)]))
  const last = new Map(attended.map((r) => [Number(r.customer_id), r.last as string]))
  for (const id of ids) {
    await ctx.trx
      .updateTable('customers')
      .set({ balance_base: -(charged.get(id) ?? 0), last_attend_date: last.get(id) ?? null })
      .where('id', '=', id)
      .execute()
  }
}
