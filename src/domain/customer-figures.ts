import { type RawBuilder, sql } from 'kysely'
import { shapes } from '../db/shapes.js'
import { datetimeBound } from '../engine/filters.js'
import type { ActionCtx, Condition, Eb, Rec } from '../engine/model.js'
import { fail } from '../errors.js'
import { parseInt32 } from '../wire/numbers.js'
import { perLessonPrice } from './pricing.js'

/**
 * The derived customer fields of §6.5, in one place. Stored caches (`balance_base`, `paid_count`,
 * `last_attend_date`) are columns that the money and attendance rules keep up to date in the same
 * transaction as the data they depend on (§6.10). The "now"-dependent fields are computed here at read
 * time from their inputs: the current package subscription's per-lesson price, the upcoming planned
 * lessons and the current period subscription.
 */
export interface FigureInputs {
  /** Per-lesson price q of the current package subscription (§6.5), kopecks; 0 when there is none. */
  perLesson: number
  /** Starts of upcoming planned lessons the customer takes part in, by rank (1 = next), for the ranks needed. */
  upcoming: Map<number, string>
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
    paid_lesson_date: count > 0 ? (inputs.upcoming.get(count) ?? null) : null,
    next_lesson_date: inputs.upcoming.get(1) ?? null,
    paid_till: inputs.periodTill ? `${inputs.periodTill} 00:00:00` : null,
  }
}

/** Loads the inputs of a page of customers in a fixed number of queries. */
export async function loadInputs(recs: Rec[], ctx: ActionCtx): Promise<Map<number, FigureInputs>> {
  const out = new Map<number, FigureInputs>()
  for (const r of recs) out.set(r.id, { perLesson: 0, upcoming: new Map(), periodTill: null })
  await loadCurrentSubscriptions(out, ctx)
  await loadUpcoming(recs, out, ctx)
  return out
}

/**
 * Planned lessons with start ≥ now in which the customer takes part (§6.5), as SQL: read from the
 * copies of the lesson's status and start kept on its detail rows (one index range per customer).
 */
function upcomingSql(now: string) {
  return sql`FROM lesson_details d WHERE d.lesson_status = 1 AND d.lesson_time >= ${now}`
}

/**
 * The next upcoming lesson and the `paid_lesson_count`-th one of each customer of a page, in one
 * statement of one shape per page size: for each customer two seeks in the index on
 * (customer_id, lesson_time, lesson_id), the first row and the k-th row of its upcoming lessons,
 * instead of ranking every upcoming lesson of the page's customers.
 */
async function loadUpcoming(recs: Rec[], out: Map<number, FigureInputs>, ctx: ActionCtx): Promise<void> {
  if (recs.length === 0) return
  const ks = recs.map((r) => paidLessonCount(Number(r.balance_base ?? 0), out.get(r.id)!.perLesson))
  const compiled = ctx.dialect === 'postgres' ? upcomingArrays(recs, ks, ctx) : upcomingTerms(recs, ks, ctx)
  const rows = await ctx.trx.executeQuery<{
    customer_id: number
    k: number
    next_time: string | null
    paid_time: string | null
  }>(compiled)
  for (const row of rows.rows) {
    const upcoming = out.get(Number(row.customer_id))?.upcoming
    if (!upcoming) continue
    if (row.next_time !== null) upcoming.set(1, row.next_time)
    if (row.paid_time !== null) upcoming.set(Number(row.k), row.paid_time)
  }
}

/**
 * PostgreSQL: the same two seeks per customer over the page's ids and ranks passed as two arrays, one
 * short statement whatever the page's size. PostgreSQL plans every statement it is sent, and planning
 * the fifty-term union of SQLite's shape took ~60 ms of a page's ~70 (100 000 customers).
 */
function upcomingArrays(recs: Rec[], ks: number[], ctx: ActionCtx) {
  const ids = recs.map((r) => r.id)
  return shapes.compiled('upcoming:postgres', [ctx.now, ids, ks], () => {
    const seek = (offset: RawBuilder<unknown>) =>
      sql`(SELECT d.lesson_time FROM lesson_details d WHERE d.customer_id = u.customer_id
        AND d.lesson_status = 1 AND d.lesson_time >= u.now ORDER BY d.lesson_time, d.lesson_id
        LIMIT 1 OFFSET ${offset})`
    return sql`SELECT u.customer_id, u.k, ${seek(sql`0`)} AS next_time,
      CASE WHEN u.k > 1 THEN ${seek(sql`u.k - 1`)} END AS paid_time
      FROM (SELECT x.customer_id, x.k, CAST(${ctx.now} AS text) AS now
        FROM unnest(CAST(${ids} AS integer[]), CAST(${ks} AS integer[])) AS x(customer_id, k)) u`.compile(
      ctx.trx,
    )
  })
}

/** SQLite: one term per customer, a statement of one shape per page size, built once. */
function upcomingTerms(recs: Rec[], ks: number[], ctx: ActionCtx) {
  // Per customer, in the order the statement binds them (checked by Shapes on the shape's first use).
  const params = recs.flatMap((r, i) => {
    const k = ks[i]!
    return [r.id, k, r.id, ctx.now, 0, k, r.id, ctx.now, Math.max(k - 1, 0)]
  })
  return shapes.compiled(`upcoming:${ctx.dialect}:${recs.length}`, params, () => {
    const seek = (id: number, offset: unknown) =>
      sql`(SELECT d.lesson_time FROM lesson_details d WHERE d.customer_id = ${id} AND d.lesson_status = 1
      AND d.lesson_time >= ${ctx.now} ORDER BY d.lesson_time, d.lesson_id LIMIT 1 OFFSET ${offset})`
    const terms = recs.map((r, i) => {
      const k = ks[i]!
      return sql`SELECT CAST(${r.id} AS integer) AS customer_id, CAST(${k} AS integer) AS k,
      ${seek(r.id, 0)} AS next_time,
      CASE WHEN ${k} > 1 THEN ${seek(r.id, Math.max(k - 1, 0))} END AS paid_time`
    })
    return sql`${sql.join(terms, sql` UNION ALL `)}`.compile(ctx.trx)
  })
}

/** `next_lesson_date_from` / `_to` (§7.3): the range on the start of the next upcoming lesson. */
export function nextLessonRange(op: '>=' | '<=', key: string) {
  return (raw: unknown, _eb: Eb, ctx: ActionCtx): Condition => {
    const edge = datetimeBound(raw, op, ctx.tz, key)
    const next = sql`(SELECT min(d.lesson_time) ${upcomingSql(ctx.now)} AND d.customer_id = customers.id)`
    return sql<boolean>`${next} ${sql.raw(op)} ${edge}`
  }
}

/**
 * `has_next_lesson` [ext]: `1` customers with an upcoming planned lesson, `0` those without — the lesson
 * `next_lesson_date` shows, so `1` selects exactly the customers whose `next_lesson_date` is not null.
 */
export function hasNextLesson(raw: unknown, _eb: Eb, ctx: ActionCtx): Condition {
  const r = parseInt32(typeof raw === 'boolean' ? Number(raw) : raw)
  if (!r.ok || (r.value !== 0 && r.value !== 1)) throw fail.badParam('has_next_lesson')
  const upcoming = sql`(SELECT 1 ${upcomingSql(ctx.now)} AND d.customer_id = customers.id)`
  return r.value === 1 ? sql<boolean>`EXISTS ${upcoming}` : sql<boolean>`NOT EXISTS ${upcoming}`
}

/**
 * §6.5: the current package subscription (no separate balance, tariff type 1) gives q, the current
 * period subscription (type 2 or 3) gives `paid_till`. Current = not archived and b_date ≤ today ≤
 * e_date; the latest b_date wins, then the highest id. One query for the whole page.
 */
async function loadCurrentSubscriptions(out: Map<number, FigureInputs>, ctx: ActionCtx): Promise<void> {
  if (out.size === 0) return
  const ids = [...out.keys()]
  const compiled = shapes.compiled(
    `subscriptions:${ctx.dialect}:${ids.length}`,
    [...ids, 0, ctx.today, ctx.today],
    () =>
      ctx.trx
        .selectFrom('customer_tariffs as ct')
        .innerJoin('tariffs as t', 't.id', 'ct.tariff_id')
        .select([
          'ct.customer_id',
          'ct.e_date',
          'ct.is_separate_balance',
          't.type',
          't.price',
          't.lessons_count',
        ])
        .where('ct.customer_id', 'in', ids)
        .where('ct.is_archive', '=', 0)
        .where('ct.b_date', '<=', ctx.today)
        .where('ct.e_date', '>=', ctx.today)
        .orderBy('ct.b_date', 'desc')
        .orderBy('ct.id', 'desc')
        .compile(),
  )
  const { rows } = await ctx.trx.executeQuery<Record<string, unknown>>(compiled)
  const packaged = new Set<number>()
  for (const row of rows) {
    const id = Number(row.customer_id)
    const inputs = out.get(id)!
    const tariff = {
      type: Number(row.type),
      price: Number(row.price),
      lessons_count: Number(row.lessons_count),
    }
    if (tariff.type === 1 && Number(row.is_separate_balance) === 0 && !packaged.has(id)) {
      packaged.add(id)
      inputs.perLesson = perLessonPrice(tariff)
    }
    if (tariff.type !== 1 && inputs.periodTill === null) inputs.periodTill = row.e_date as string
  }
}

export async function deriveCustomers(recs: Rec[], ctx: ActionCtx): Promise<void> {
  const inputs = await loadInputs(recs, ctx)
  for (const rec of recs) Object.assign(rec, figures(rec, inputs.get(rec.id)!))
}

/**
 * q of the customer's current package subscription (§6.5) as SQL: round2(price ÷ lessons_count), which
 * for a price ≥ 0 is the integer division (2 × price + n) ÷ (2 × n); no lessons → NULL → 0.
 */
function currentPerLessonSql(today: string) {
  return sql<number>`(SELECT (2 * t.price + t.lessons_count) / NULLIF(2 * t.lessons_count, 0)
    FROM customer_tariffs ct INNER JOIN tariffs t ON t.id = ct.tariff_id
    WHERE ct.customer_id = customers.id AND ct.is_separate_balance = 0 AND ct.is_archive = 0
      AND t.type = 1 AND ct.b_date <= ${today} AND ct.e_date >= ${today}
    ORDER BY ct.b_date DESC, ct.id DESC LIMIT 1)`
}

/** `e_date` of the customer's current period subscription (§6.5 `paid_till`) as SQL. */
function currentPeriodTillSql(today: string) {
  return sql<string>`(SELECT ct.e_date FROM customer_tariffs ct INNER JOIN tariffs t ON t.id = ct.tariff_id
    WHERE ct.customer_id = customers.id AND ct.is_archive = 0 AND t.type IN (2, 3)
      AND ct.b_date <= ${today} AND ct.e_date >= ${today}
    ORDER BY ct.b_date DESC, ct.id DESC LIMIT 1)`
}

/** `lesson_count_from` / `_to` (§7.3): the range on `paid_lesson_count`, as SQL over the same formula. */
export function countRange(op: '>=' | '<=', key: string) {
  return (raw: unknown, _eb: Eb, ctx: ActionCtx): Condition => {
    const r = parseInt32(raw)
    if (!r.ok) throw fail.badParam(key)
    const q = currentPerLessonSql(ctx.today)
    const count = sql<number>`(CASE WHEN customers.balance_base > 0 AND COALESCE(${q}, 0) > 0
      THEN customers.balance_base / ${q} ELSE 0 END)`
    return sql<boolean>`${count} ${sql.raw(op)} ${r.value}`
  }
}

/** `tariff_till_from` / `_to` (§7.3): the range on `paid_till`; a date bound covers the whole day (§4.5). */
export function tariffTillRange(op: '>=' | '<=', key: string) {
  return (raw: unknown, _eb: Eb, ctx: ActionCtx): Condition => {
    const edge = datetimeBound(raw, op, ctx.tz, key)
    const till = sql<string>`(${currentPeriodTillSql(ctx.today)} || ' 00:00:00')`
    return sql<boolean>`${till} ${sql.raw(op)} ${edge}`
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
