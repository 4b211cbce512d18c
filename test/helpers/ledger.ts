import assert from 'node:assert/strict'
import { datetimeZone } from '../../src/fields/datetime.js'
import { nowParts } from '../../src/wire/dates.js'

/**
 * Reading a whole school back through the API and checking its money (§6.1, §6.5), for the tests
 * that attack the server with crashes, concurrent writers and shutdowns. Works against an in-process
 * server and a spawned one alike: all it needs is a way to POST.
 */
export interface Answer {
  status: number
  body: any
  text: string
}

export type Post = (path: string, body?: unknown) => Promise<Answer>

/** A client of a server at a URL that may change (a restarted process listens on a new port). */
export function poster(url: () => string, token: string): Post {
  return async (path, body = {}) => {
    const r = await fetch(`${url()}/v2api/${path}`, {
      method: 'POST',
      headers: { 'x-alfacrm-token': token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const text = await r.text()
    return { status: r.status, body: text ? JSON.parse(text) : null, text }
  }
}

/** A seeded generator (mulberry32): the same seed replays the same load and the same kill moments. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** "575.00" → 57500: money compared exactly, in kopecks (§5.3). */
export const kopecks = (money: string | number): number => Math.round(Number(money) * 100)

export const rubles = (k: number): string => {
  const sign = k < 0 ? '-' : ''
  const a = Math.abs(k)
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`
}

/** Every item of an index, page by page (§3.2: paging ends at an empty page). */
export async function everything(post: Post, path: string, filters: Record<string, unknown> = {}) {
  const out: any[] = []
  for (let page = 0; ; page++) {
    const r = await post(path, { ...filters, page })
    assert.equal(r.status, 200, `${path}: ${r.text}`)
    out.push(...r.body.items)
    if (r.body.items.length === 0 || out.length >= r.body.total) return out
  }
}

/** Everything the money formulas read, through path branch `branch`. */
export async function readSchool(post: Post, branch = 1) {
  const [customers, pays, lessons] = await Promise.all([
    everything(post, `${branch}/customer/index`, { is_study: 2, removed: 1 }),
    everything(post, `${branch}/pay/index`),
    everything(post, `${branch}/lesson/index`, { status: [1, 2, 3] }),
  ])
  return { customers, pays, lessons }
}

/**
 * Recomputes every customer's `balance` and `paid_count` from its pays and the charges of conducted
 * details (§6.1, §6.5) and asserts the server's figures equal them. Meant for schools whose
 * subscriptions are packages on the base account (no separate balances, no period charges).
 * Also asserts each lesson has one detail per customer, and each customer's `next_lesson_date`. Returns the number of customers checked.
 */
export async function assertLedger(post: Post, branch = 1): Promise<number> {
  const { customers, pays, lessons } = await readSchool(post, branch)
  const expected = new Map<number, { balance: number; paid: number }>(
    customers.map((c) => [c.id as number, { balance: 0, paid: 0 }]),
  )
  for (const p of pays) {
    const e = expected.get(p.customer_id)
    if (!e || p.is_confirmed !== 1) continue
    if (p.pay_type_id === 1) {
      e.balance += kopecks(p.income)
      e.paid += 1
    } else if (p.pay_type_id === 2) e.balance -= kopecks(p.income)
  }
  for (const l of lessons) {
    const ids = l.details.map((d: any) => d.customer_id)
    assert.equal(new Set(ids).size, ids.length, `lesson ${l.id} has one detail per customer: ${ids}`)
    if (l.status !== 3) continue
    for (const d of l.details) {
      const e = expected.get(d.customer_id)
      if (e) e.balance -= kopecks(d.commission)
    }
  }
  // next_lesson_date (§6.5): the earliest planned lesson from now on with a detail of the customer.
  // Lessons starting within ten minutes of now are ambiguous (the server's clock moved on) and skipped.
  const { dateTime: now } = nowParts(datetimeZone.tz)
  const soon = (t: string) =>
    Math.abs(Date.parse(t.replace(' ', 'T')) - Date.parse(now.replace(' ', 'T'))) < 600_000
  const next = new Map<number, string>()
  const unsure = new Set<number>()
  for (const l of lessons) {
    if (l.status !== 1) continue
    for (const d of l.details) {
      if (soon(l.time_from)) unsure.add(d.customer_id)
      else if (l.time_from >= now && !(next.get(d.customer_id)! <= l.time_from))
        next.set(d.customer_id, l.time_from)
    }
  }
  for (const c of customers) {
    const e = expected.get(c.id)!
    if (!unsure.has(c.id))
      assert.equal(c.next_lesson_date, next.get(c.id) ?? null, `customer ${c.id}: next_lesson_date`)
    assert.equal(c.balance, rubles(e.balance), `customer ${c.id}: balance = pays − charges`)
    assert.equal(c.balance_base, rubles(e.balance), `customer ${c.id}: balance_base`)
    assert.equal(c.paid_count, e.paid, `customer ${c.id}: paid_count = confirmed incomes`)
  }
  return customers.length
}

/** The log rows of an entity through a path branch, page by page. */
export const logRows = (post: Post, entity: string, filters: Record<string, unknown> = {}, branch = 1) =>
  everything(post, `${branch}/log/index`, { entity, ...filters })
