import { shapes } from '../db/shapes.js'
import type { ActionCtx } from '../engine/model.js'
import { mulDiv, roundDiv } from '../wire/numbers.js'

/**
 * The lesson price of §6.2: subscription choice, per-lesson base price and discount. Loaded for a set
 * of customers in a fixed number of queries, then evaluated per (customer, lesson) in memory, so a
 * page of planned lessons gets its forecasts without a query per row.
 */
export interface LessonForPrice {
  date: string
  subject_id: number
  lesson_type_id: number
}

export interface Price {
  /** Kopecks. */
  price: number
  cttId: number | null
}

export interface PriceBook {
  /** Subscriptions (customer-tariffs) by customer, with what §6.2 needs of their tariff. */
  subscriptions: Map<number, Subscription[]>
  /** Discounts by customer (§6.2 step 4). */
  discounts: Map<number, Discount[]>
}

export interface Subscription {
  id: number
  b_date: string
  e_date: string
  subject_ids: number[]
  lesson_type_ids: number[]
  /** Per-lesson base price in kopecks (§6.2 step 3). */
  base: number
}

export interface Discount {
  id: number
  /** 1 percent, 2 fixed amount per lesson (§7.19). */
  type: number
  /** Hundredths: of a percent for type 1, kopecks for type 2. */
  amount: number
  begin: string
  end: string | null
  subject_ids: number[]
  lesson_type_ids: number[]
}

/** §6.2 step 3: a package prices round2(price ÷ lessons_count) a lesson; a period tariff 0.00. */
export function perLessonPrice(tariff: { type: number; price: number; lessons_count: number }): number {
  return tariff.type === 1 && tariff.lessons_count > 0 ? roundDiv(tariff.price, tariff.lessons_count) : 0
}

const idList = (raw: unknown): number[] => (typeof raw === 'string' ? (JSON.parse(raw) as number[]) : [])

function byCustomer<T>(rows: Array<{ customer_id: unknown }>, make: (row: Record<string, unknown>) => T) {
  const out = new Map<number, T[]>()
  for (const row of rows) {
    const id = Number(row.customer_id)
    const list = out.get(id)
    if (list) list.push(make(row))
    else out.set(id, [make(row)])
  }
  return out
}

/** The unarchived subscriptions and the discounts of the customers, in two queries. */
export async function loadPriceBook(customerIds: number[], ctx: ActionCtx): Promise<PriceBook> {
  const ids = [...new Set(customerIds)]
  if (ids.length === 0) return { subscriptions: new Map(), discounts: new Map() }
  // Both built once per dialect and number of customers (db/shapes).
  const shape = `${ctx.dialect}:${ids.length}`
  const subscriptionsQuery = shapes.withArgs(`price:subscriptions:${shape}`, ids, (some) =>
    ctx.trx
      .selectFrom('customer_tariffs as ct')
      .innerJoin('tariffs as t', 't.id', 'ct.tariff_id')
      .select(['ct.id', 'ct.customer_id', 'ct.b_date', 'ct.e_date', 'ct.subject_ids', 'ct.lesson_type_ids'])
      .select(['t.type', 't.price', 't.lessons_count'])
      .where('ct.customer_id', 'in', some)
      .where('ct.is_archive', '=', 0)
      .compile(),
  )
  const subscriptions = (
    await ctx.trx.executeQuery<{ customer_id: unknown } & Record<string, unknown>>(subscriptionsQuery)
  ).rows
  const discountsQuery = shapes.withArgs(`price:discounts:${shape}`, ids, (some) =>
    ctx.trx
      .selectFrom('discounts')
      .select(['id', 'customer_id', 'discount_type', 'amount', 'begin_date', 'end_date'])
      .select(['subject_ids', 'lesson_type_ids'])
      .where('customer_id', 'in', some)
      .compile(),
  )
  const discounts = (
    await ctx.trx.executeQuery<{ customer_id: unknown } & Record<string, unknown>>(discountsQuery)
  ).rows
  return {
    subscriptions: byCustomer(subscriptions, (r) => ({
      id: Number(r.id),
      b_date: r.b_date as string,
      e_date: r.e_date as string,
      subject_ids: idList(r.subject_ids),
      lesson_type_ids: idList(r.lesson_type_ids),
      base: perLessonPrice({
        type: Number(r.type),
        price: Number(r.price),
        lessons_count: Number(r.lessons_count),
      }),
    })),
    discounts: byCustomer(discounts, (r) => ({
      id: Number(r.id),
      type: Number(r.discount_type),
      amount: Number(r.amount),
      begin: r.begin_date as string,
      end: (r.end_date ?? null) as string | null,
      subject_ids: idList(r.subject_ids),
      lesson_type_ids: idList(r.lesson_type_ids),
    })),
  }
}

const matches = (list: number[], id: number) => list.length === 0 || list.includes(id)

const fits = (item: { subject_ids: number[]; lesson_type_ids: number[] }, lesson: LessonForPrice) =>
  matches(item.subject_ids, lesson.subject_id) && matches(item.lesson_type_ids, lesson.lesson_type_id)

/** §6.2 step 4: percent → round2(base × (100 − amount) ÷ 100); fixed → max(0, base − amount). */
export function applyDiscount(base: number, discount: Pick<Discount, 'type' | 'amount'>): number {
  if (discount.type === 1) return mulDiv(base, 10_000 - discount.amount, 10_000)
  return Math.max(0, base - discount.amount)
}

export function priceOf(book: PriceBook, customerId: number, lesson: LessonForPrice): Price {
  const candidates = (book.subscriptions.get(customerId) ?? []).filter(
    (s) => s.b_date <= lesson.date && lesson.date <= s.e_date && fits(s, lesson),
  )
  // §6.2 step 2: the latest b_date, ties → the highest id.
  candidates.sort((a, b) => (a.b_date === b.b_date ? b.id - a.id : a.b_date < b.b_date ? 1 : -1))
  const chosen = candidates[0]
  if (!chosen) return { price: 0, cttId: null }
  if (chosen.base <= 0) return { price: 0, cttId: chosen.id }
  // Discounts do not stack: the matching one with the highest id applies.
  const discount = (book.discounts.get(customerId) ?? [])
    .filter((d) => d.begin <= lesson.date && (d.end === null || lesson.date <= d.end) && fits(d, lesson))
    .reduce<Discount | null>((best, d) => (best === null || d.id > best.id ? d : best), null)
  return { price: discount ? applyDiscount(chosen.base, discount) : chosen.base, cttId: chosen.id }
}
