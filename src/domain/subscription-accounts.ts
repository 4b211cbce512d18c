import { type RawBuilder, sql } from 'kysely'
import type { ActionCtx, Condition, Rec } from '../engine/model.js'
import { fail } from '../errors.js'
import { parseMoney } from '../wire/numbers.js'
import { paidLessonCount } from './customer-figures.js'
import { perLessonPrice } from './pricing.js'
import { loadTariffs } from './subscriptions.js'

/**
 * The account of a subscription with a separate balance (§6.6): its confirmed incomes − refunds, − the
 * charges of conducted details taken through it, − its period charge. `0` without a separate balance.
 * One SQL definition serves both the derived field and the `balance` filter.
 */
export function accountBalanceSql(ct: string): RawBuilder<number> {
  const id = sql.ref(`${ct}.id`)
  return sql<number>`(CASE WHEN ${sql.ref(`${ct}.is_separate_balance`)} = 1 THEN
    COALESCE((SELECT sum(CASE WHEN p.pay_type_id = 1 THEN p.income ELSE -p.income END) FROM pays p
      WHERE p.ctt_id = ${id} AND p.is_confirmed = 1 AND p.pay_type_id IN (1, 2)), 0)
    - COALESCE((SELECT sum(d.commission) FROM lesson_details d INNER JOIN lessons l ON l.id = d.lesson_id
      WHERE d.ctt_id = ${id} AND l.status = 3), 0)
    - ${sql.ref(`${ct}.period_charge`)}
    ELSE 0 END)`
}

function paidCountSql(ct: string): RawBuilder<number> {
  return sql<number>`(CASE WHEN ${sql.ref(`${ct}.is_separate_balance`)} = 1 THEN
    (SELECT count(*) FROM pays p WHERE p.ctt_id = ${sql.ref(`${ct}.id`)} AND p.is_confirmed = 1
      AND p.pay_type_id = 1)
    ELSE 0 END)`
}

/** The derived fields of a page of subscriptions (§6.6, §7.18) in two queries. */
export async function deriveSubscriptions(recs: Rec[], ctx: ActionCtx): Promise<void> {
  const accounts = await ctx.trx
    .selectFrom('customer_tariffs')
    .select('id')
    .select(accountBalanceSql('customer_tariffs').as('balance'))
    .select(paidCountSql('customer_tariffs').as('paid_count'))
    .where(
      'id',
      'in',
      recs.map((r) => r.id),
    )
    .execute()
  const account = new Map(accounts.map((a) => [Number(a.id), a]))
  const tariffs = await loadTariffs(
    recs.map((r) => r.tariff_id as number),
    ctx,
  )
  for (const rec of recs) {
    const tariff = tariffs.get(rec.tariff_id as number)
    const balance = Number(account.get(rec.id)?.balance ?? 0)
    const q = tariff ? perLessonPrice(tariff) : 0
    rec.balance = balance
    rec.paid_count = Number(account.get(rec.id)?.paid_count ?? 0)
    rec.paid_lesson_count = paidLessonCount(balance, q)
    rec.paid_till = tariff && tariff.type !== 1 ? `${rec.e_date as string} 00:00:00` : null
    rec.dead = rec.is_archive === 1 || (rec.e_date as string) < ctx.today ? 1 : 0
  }
}

/** `balance` (§7.18): an exact amount, or `[from, to]` inclusive (an empty bound is open). */
export function balanceFilter(raw: unknown): Condition {
  const balance = accountBalanceSql('customer_tariffs')
  const amount = (v: unknown) => {
    const r = parseMoney(v)
    if (!r.ok) throw fail.badParam('balance')
    return r.value
  }
  if (!Array.isArray(raw)) return sql<boolean>`${balance} = ${amount(raw)}`
  if (raw.length !== 2) throw fail.badParam('balance')
  const [from, to] = raw.map((v) => (v === null || v === '' ? null : amount(v)))
  const lower = from == null ? sql`1 = 1` : sql`${balance} >= ${from}`
  const upper = to == null ? sql`1 = 1` : sql`${balance} <= ${to}`
  return sql<boolean>`(${lower} AND ${upper})`
}
