import { sql } from 'kysely'
import { shapes } from '../db/shapes.js'
import type { ActionCtx } from '../engine/model.js'
import { updateEach } from '../engine/repository.js'

/**
 * Keeps the cached customer figures (`balance_base`, `paid_count`, `last_attend_date`) equal to their
 * formulas (§6.1, §6.5), recomputed from scratch for the customers a change touched, in the same
 * transaction as the change (§6.10). Recomputing instead of adding deltas means a repeated or
 * concurrent request can never count anything twice.
 *
 * The base account (§6.1) = confirmed incomes − confirmed refunds that do not go to a separate-balance
 * subscription − charges of conducted details not taken from one − period charges of the subscriptions
 * without a separate balance. A pay or detail "goes to a separate account" when its `ctt_id` names a
 * subscription with `is_separate_balance = 1` at the moment of reading, so toggling that flag moves the
 * money (the subscription's update refreshes its customer).
 */
export async function refreshCustomers(customerIds: Iterable<number | null>, ctx: ActionCtx): Promise<void> {
  const ids = [...new Set([...customerIds].filter((id): id is number => typeof id === 'number'))].sort(
    (a, b) => a - b,
  )
  if (ids.length === 0) return
  await lockCustomers(ids, ctx)
  // Each statement is built once per dialect and number of customers (db/shapes).
  const shape = `${ctx.dialect}:${ids.length}`
  const paysQuery = shapes.compiled(`balances:pays:${shape}`, [...ids, 1, 1, 2], () =>
    ctx.trx
      .selectFrom('pays as p')
      .leftJoin('customer_tariffs as ct', 'ct.id', 'p.ctt_id')
      .select('p.customer_id')
      .select(
        sql<number>`sum(CASE WHEN ct.is_separate_balance = 1 THEN 0
        WHEN p.pay_type_id = 1 THEN p.income ELSE -p.income END)`.as('net'),
      )
      .select(sql<number>`sum(CASE WHEN p.pay_type_id = 1 THEN 1 ELSE 0 END)`.as('paid'))
      .where('p.customer_id', 'in', ids)
      .where('p.is_confirmed', '=', 1)
      .where('p.pay_type_id', 'in', [1, 2])
      .groupBy('p.customer_id')
      .compile(),
  )
  const pays = (await ctx.trx.executeQuery<{ customer_id: unknown; net: unknown; paid: unknown }>(paysQuery))
    .rows
  // The lesson's status and start as kept on its details (migration 005): an index range per customer.
  const lessonsQuery = shapes.compiled(`balances:lessons:${shape}`, [3, ...ids], () =>
    ctx.trx
      .selectFrom('lesson_details as d')
      .leftJoin('customer_tariffs as ct', 'ct.id', 'd.ctt_id')
      .select('d.customer_id')
      .select(
        sql<number>`sum(CASE WHEN ct.is_separate_balance = 1 THEN 0 ELSE d.commission END)`.as('charged'),
      )
      .select(
        sql<string | null>`max(CASE WHEN d.is_attend = 1 THEN substr(d.lesson_time, 1, 10) END)`.as('last'),
      )
      .where('d.lesson_status', '=', 3)
      .where('d.customer_id', 'in', ids)
      .groupBy('d.customer_id')
      .compile(),
  )
  const lessons = (
    await ctx.trx.executeQuery<{ customer_id: unknown; charged: unknown; last: string | null }>(lessonsQuery)
  ).rows
  const periodsQuery = shapes.compiled(`balances:periods:${shape}`, [...ids, 0], () =>
    ctx.trx
      .selectFrom('customer_tariffs')
      .select('customer_id')
      .select(sql<number>`sum(period_charge)`.as('charged'))
      .where('customer_id', 'in', ids)
      .where('is_separate_balance', '=', 0)
      .groupBy('customer_id')
      .compile(),
  )
  const periods = (await ctx.trx.executeQuery<{ customer_id: unknown; charged: unknown }>(periodsQuery)).rows
  const pay = new Map(pays.map((r) => [Number(r.customer_id), r]))
  const lesson = new Map(lessons.map((r) => [Number(r.customer_id), r]))
  const period = new Map(periods.map((r) => [Number(r.customer_id), Number(r.charged)]))
  // One statement for all of them (a conducted lesson refreshes twenty customers).
  await updateEach(
    ctx,
    'customers',
    ids.map((id) => ({
      id,
      set: {
        balance_base:
          Number(pay.get(id)?.net ?? 0) - Number(lesson.get(id)?.charged ?? 0) - (period.get(id) ?? 0),
        paid_count: Number(pay.get(id)?.paid ?? 0),
        last_attend_date: lesson.get(id)?.last ?? null,
        // The figures are part of the customer: a sync by `updated_at` sees them change.
        updated_at: ctx.now,
      },
    })),
    { balance_base: 'bigint', paid_count: 'integer', last_attend_date: 'text', updated_at: 'text' },
  )
}

/**
 * §6.10: concurrent changes for one customer (twenty pays at once) are serialised on the customer row,
 * in id order, before the sums are read; under READ COMMITTED the sums then see every committed
 * change. SQLite runs one writer at a time anyway.
 */
async function lockCustomers(ids: number[], ctx: ActionCtx): Promise<void> {
  if (ctx.dialect !== 'postgres') return
  await ctx.trx
    .selectFrom('customers')
    .select('id')
    .where('id', 'in', ids)
    .orderBy('id')
    .forUpdate()
    .execute()
}
