import { sql } from 'kysely'
import type { ActionCtx, Condition, Eb, Rec } from '../engine/model.js'
import { fail } from '../errors.js'
import { parseInt32 } from '../wire/numbers.js'

/**
 * The derived customer fields of §6.5, in one place. Stored caches (`balance_base`, `paid_count`,
 * `last_attend_date`) are columns that the money and attendance rules keep up to date in the same
 * transaction as the data they depend on (§6.10). The "now"-dependent fields are computed here at read
 * time from their inputs: the current package subscription's per-lesson price, the upcoming planned
 * lessons and the current period subscription. Subscriptions (customer-tariff) and lessons arrive with
 * their models; until a tenant has any, the inputs are empty and the formulas yield 0 and null.
 */
export interface FigureInputs {
  /** Per-lesson price q of the current package subscription (§6.5), kopecks; 0 when there is none. */
  perLesson: number
  /** Starts of upcoming planned lessons the customer takes part in, ordered (§6.5). */
  upcoming: string[]
  /** `e_date` of the current period subscription, or null. */
  periodTill: string | null
}

export function paidLessonCount(balanceBase: number, perLesson: number): number {
  return perLesson > 0 && balanceBase > 0 ? Math.floor(balanceBase / perLesson) : 0
}

export function figures(rec: Rec, inputs: FigureInputs) {
  const base = Number(rec.balance_base ?? 0)
  const bonus = 0 // §6.1: bonuses are out of scope (§7.31)
  const count = paidLessonCount(base, inputs.perLesson)
  return {
    balance: base + bonus,
    balance_bonus: bonus,
    paid_lesson_count: count,
    paid_lesson_date: count > 0 ? (inputs.upcoming[count - 1] ?? null) : null,
    next_lesson_date: inputs.upcoming[0] ?? null,
    paid_till: inputs.periodTill ? `${inputs.periodTill} 00:00:00` : null,
  }
}

/** Loads the inputs of a page of customers in a fixed number of queries. */
export async function loadInputs(recs: Rec[], ctx: ActionCtx): Promise<Map<number, FigureInputs>> {
  const out = new Map<number, FigureInputs>()
  for (const r of recs) out.set(r.id, { perLesson: 0, upcoming: [], periodTill: null })
  void ctx
  return out
}

export async function deriveCustomers(recs: Rec[], ctx: ActionCtx): Promise<void> {
  const inputs = await loadInputs(recs, ctx)
  for (const rec of recs) Object.assign(rec, figures(rec, inputs.get(rec.id)!))
}

/** Range filters on derived values (§7.3) as SQL over the same definitions. */
export function countRange(op: '>=' | '<=', key: string) {
  return (raw: unknown): Condition => {
    const r = parseInt32(raw)
    if (!r.ok) throw fail.badParam(key)
    // With no current package subscription every customer's paid_lesson_count is 0.
    return op === '>=' ? sql<boolean>`0 >= ${r.value}` : sql<boolean>`0 <= ${r.value}`
  }
}

/** `withGroups` (§7.3): customers with a membership covering today. */
export function withGroups(raw: unknown, eb: Eb, ctx: ActionCtx): Condition {
  const r = parseInt32(typeof raw === 'boolean' ? Number(raw) : raw)
  if (!r.ok || (r.value !== 0 && r.value !== 1)) throw fail.badParam('withGroups')
  if (r.value === 0) return sql<boolean>`1 = 1`
  const cgi = ctx.models.get('cgi')
  if (!cgi) return sql<boolean>`1 = 0`
  return eb(
    'customers.id',
    'in',
    eb
      .selectFrom(cgi.table)
      .select('customer_id')
      .where('b_date', '<=', ctx.today)
      .where((w) => w.or([w('e_date', 'is', null), w('e_date', '>=', ctx.today)])),
  )
}
