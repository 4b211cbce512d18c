import type { ActionCtx } from '../engine/model.js'

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

/** Subscriptions arrive with the customer-tariff model; until then no customer has a candidate. */
export async function loadPriceBook(_customerIds: number[], _ctx: ActionCtx): Promise<PriceBook> {
  return { subscriptions: new Map() }
}

const matches = (list: number[], id: number) => list.length === 0 || list.includes(id)

export function priceOf(book: PriceBook, customerId: number, lesson: LessonForPrice): Price {
  const candidates = (book.subscriptions.get(customerId) ?? []).filter(
    (s) =>
      s.b_date <= lesson.date &&
      lesson.date <= s.e_date &&
      matches(s.subject_ids, lesson.subject_id) &&
      matches(s.lesson_type_ids, lesson.lesson_type_id),
  )
  // §6.2 step 2: the latest b_date, ties → the highest id.
  candidates.sort((a, b) => (a.b_date === b.b_date ? b.id - a.id : a.b_date < b.b_date ? 1 : -1))
  const chosen = candidates[0]
  if (!chosen) return { price: 0, cttId: null }
  return { price: chosen.base, cttId: chosen.id }
}
