import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { make, wallClock } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'

/**
 * A property test of §6.1, §6.2, §6.4–§6.6: a seeded random sequence of pays, refunds, confirmations,
 * subscriptions, discounts, tariff price changes and conducted lessons. After every step each
 * customer's `balance`, `paid_count`, `paid_lesson_count` and each subscription's account equal a model
 * the test recomputes from scratch in integer kopecks.
 */
const STEPS = 300
const SEED = 0x5eed_2025

/** mulberry32: a small seeded PRNG, so a failure replays exactly. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = <T>(list: readonly T[]): T => list[int(0, list.length - 1)]!
  const chance = (p: number) => next() < p
  return { int, pick, chance }
}

interface Tariff {
  id: number
  type: number
  price: number
  lessons: number
  calc: number
}
interface Pay {
  customer: number
  type: number
  income: number
  confirmed: boolean
  ctt: number | null
}
interface Sub {
  customer: number
  tariff: number
  separate: boolean
  archive: boolean
  b: string
  e: string
  period: number
  subjects: number[]
}
interface Discount {
  id: number
  customer: number
  type: number
  amount: number
  begin: string
  end: string | null
}
interface Detail {
  attend: boolean
  override: number | null
  charge: number
  ctt: number | null
}
interface Lesson {
  date: string
  subject: number
  customers: number[]
  status: number
  details: Map<number, Detail>
}

const addDays = (iso: string, n: number) => {
  const d = new Date(`${iso}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}
const iso = (dmy: string) => dmy.split('.').reverse().join('-')
const kopecks = (wire: string) => Math.round(Number(wire) * 100)
/** round(n ÷ d) half away from zero for n ≥ 0, d > 0, in integers. */
const roundDiv = (n: bigint, d: bigint) => Number((2n * n + d) / (2n * d))
const perLesson = (t: Tariff) =>
  t.type === 1 && t.lessons > 0 ? roundDiv(BigInt(t.price), BigInt(t.lessons)) : 0
const floorDiv = (a: number, q: number) => (q > 0 && a > 0 ? Math.floor(a / q) : 0)

class Books {
  tariffs = new Map<number, Tariff>()
  pays = new Map<number, Pay>()
  subs = new Map<number, Sub>()
  discounts = new Map<number, Discount>()
  lessons = new Map<number, Lesson>()

  constructor(readonly today: string) {}

  separate = (ctt: number | null) => ctt !== null && this.subs.get(ctt)?.separate === true

  /** §6.2 at the moment of conducting. */
  price(customer: number, lesson: Lesson): { price: number; ctt: number | null } {
    const candidates = [...this.subs.entries()]
      .filter(([, s]) => s.customer === customer && !s.archive && s.b <= lesson.date && lesson.date <= s.e)
      .filter(([, s]) => s.subjects.length === 0 || s.subjects.includes(lesson.subject))
      .sort(([ia, a], [ib, b]) => (a.b === b.b ? ib - ia : a.b < b.b ? 1 : -1))
    const chosen = candidates[0]
    if (!chosen) return { price: 0, ctt: null }
    const base = perLesson(this.tariffs.get(chosen[1].tariff)!)
    if (base <= 0) return { price: 0, ctt: chosen[0] }
    const discount = [...this.discounts.values()]
      .filter(
        (d) => d.customer === customer && d.begin <= lesson.date && (d.end === null || lesson.date <= d.end),
      )
      .sort((a, b) => b.id - a.id)[0]
    if (!discount) return { price: base, ctt: chosen[0] }
    const price =
      discount.type === 1
        ? roundDiv(BigInt(base) * BigInt(10_000 - discount.amount), 10_000n)
        : Math.max(0, base - discount.amount)
    return { price, ctt: chosen[0] }
  }

  charge(lesson: Lesson): void {
    for (const [customer, d] of lesson.details) {
      const p = this.price(customer, lesson)
      d.charge = d.override ?? (d.attend ? p.price : 0)
      d.ctt = p.ctt
    }
  }

  *conducted(): Generator<[number, Detail]> {
    for (const l of this.lessons.values()) if (l.status === 3) yield* l.details
  }

  customer(id: number) {
    let balance = 0
    let paid = 0
    for (const p of this.pays.values()) {
      if (p.customer !== id || !p.confirmed || p.type > 2) continue
      if (p.type === 1) paid++
      if (!this.separate(p.ctt)) balance += p.type === 1 ? p.income : -p.income
    }
    for (const [c, d] of this.conducted()) if (c === id && !this.separate(d.ctt)) balance -= d.charge
    for (const s of this.subs.values()) if (s.customer === id && !s.separate) balance -= s.period
    const current = [...this.subs.entries()]
      .filter(
        ([, s]) => s.customer === id && !s.separate && !s.archive && s.b <= this.today && this.today <= s.e,
      )
      .filter(([, s]) => this.tariffs.get(s.tariff)!.type === 1)
      .sort(([ia, a], [ib, b]) => (a.b === b.b ? ib - ia : a.b < b.b ? 1 : -1))[0]
    const q = current ? perLesson(this.tariffs.get(current[1].tariff)!) : 0
    return { balance, paid, lessons: floorDiv(balance, q) }
  }

  subscription(id: number) {
    const s = this.subs.get(id)!
    if (!s.separate) return { balance: 0, paid: 0, lessons: 0 }
    let balance = 0 - s.period
    let paid = 0
    for (const p of this.pays.values()) {
      if (p.ctt !== id || !p.confirmed || p.type > 2) continue
      if (p.type === 1) paid++
      balance += p.type === 1 ? p.income : -p.income
    }
    for (const [, d] of this.conducted()) if (d.ctt === id) balance -= d.charge
    return { balance, paid, lessons: floorDiv(balance, perLesson(this.tariffs.get(s.tariff)!)) }
  }

  /** §6.9: refused while pays name it or conducted details were charged through it. */
  referenced(ctt: number): boolean {
    if ([...this.pays.values()].some((p) => p.ctt === ctt)) return true
    return [...this.conducted()].some(([, d]) => d.ctt === ctt)
  }
}

describe('money property: balances equal a model recomputed from scratch', () => {
  const s = suiteServer()

  test(`${STEPS} random steps keep every balance exact`, async () => {
    const rnd = prng(SEED)
    const books = new Books(wallClock().slice(0, 10))
    const ok = async (path: string, body: unknown = {}) => {
      const r = await s.api(path, body)
      assert.equal(r.status, 200, `${path} ${JSON.stringify(body)}: ${r.text}`)
      return r.body
    }
    const account = (await make.payAccount(s)).id
    const subjects = [
      (await ok('1/subject/create', { name: 'Английский' })).model.id as number,
      (await ok('1/subject/create', { name: 'Математика' })).model.id as number,
    ]
    const customers: number[] = []
    for (let i = 0; i < 4; i++) customers.push((await make.customer(s)).id)
    const tariffSpecs = [
      { type: 1, price: 500_000, lessons: 8, calc: 0 },
      { type: 1, price: 99_999, lessons: 7, calc: 2 },
      { type: 1, price: 100_000, lessons: 3, calc: 1 },
      { type: 2, price: 300_000, lessons: 0, calc: 0 },
      { type: 3, price: 70_050, lessons: 0, calc: 2 },
      { type: 1, price: 0, lessons: 4, calc: 0 },
    ]
    for (const t of tariffSpecs) {
      const m = await make.tariff(s, {
        type: t.type,
        price: (t.price / 100).toFixed(2),
        lessons_count: t.lessons,
        calculation_type: t.calc,
      })
      books.tariffs.set(m.id, { id: m.id, ...t })
    }
    const date = () => addDays(books.today, rnd.int(-40, 20))
    const amount = () =>
      rnd.chance(0.3) ? rnd.int(1, 999) : rnd.int(1, 2000) * 100 + rnd.pick([0, 0, 50, 1, 99])
    const subsOf = (c: number) =>
      [...books.subs.entries()].filter(([, x]) => x.customer === c).map(([id]) => id)
    const counts: Record<string, number> = {}

    const steps: Record<string, () => Promise<boolean>> = {
      async payCreate() {
        const customer = rnd.pick(customers)
        const type = rnd.pick([1, 1, 1, 2, 3])
        const ctts = subsOf(customer)
        const ctt = type <= 2 && ctts.length > 0 && rnd.chance(0.5) ? rnd.pick(ctts) : null
        const p: Pay = { customer, type, income: amount(), confirmed: rnd.chance(0.8), ctt }
        const r = await ok('1/pay/create', {
          customer_id: customer,
          pay_type_id: type,
          pay_account_id: account,
          income: (p.income / 100).toFixed(2),
          document_date: date(),
          is_confirmed: p.confirmed ? 1 : 0,
          ctt_id: ctt,
        })
        books.pays.set(r.model.id, p)
        return true
      },
      async payUpdate() {
        if (books.pays.size === 0) return false
        const id = rnd.pick([...books.pays.keys()])
        const p = books.pays.get(id)!
        const body: Record<string, unknown> = {}
        const what = rnd.pick(['confirm', 'income', 'type', 'customer', 'ctt'])
        if (what === 'confirm') p.confirmed = !p.confirmed
        if (what === 'income') p.income = amount()
        if (what === 'type') p.type = p.type === 1 ? 2 : 1
        if (what === 'customer') {
          p.customer = rnd.pick(customers)
          p.ctt = null
          body.customer_id = p.customer
        }
        if (what === 'ctt') {
          const ctts = subsOf(p.customer)
          p.ctt = ctts.length > 0 && rnd.chance(0.7) ? rnd.pick(ctts) : null
        }
        Object.assign(body, {
          is_confirmed: p.confirmed,
          income: String(p.income / 100).replace('.', ','),
          pay_type_id: p.type,
          ctt_id: p.ctt,
        })
        await ok(`1/pay/update?id=${id}`, body)
        return true
      },
      async payDelete() {
        if (books.pays.size === 0) return false
        const id = rnd.pick([...books.pays.keys()])
        await ok(`1/pay/delete?id=${id}`)
        books.pays.delete(id)
        return true
      },
      async subCreate() {
        const customer = rnd.pick(customers)
        const tariff = rnd.pick([...books.tariffs.values()])
        const body: Record<string, unknown> = { tariff_id: tariff.id }
        if (rnd.chance(0.7)) body.b_date = date()
        if (rnd.chance(0.3)) body.is_separate_balance = rnd.pick([0, 1])
        if (rnd.chance(0.2)) body.subject_ids = [rnd.pick(subjects)]
        const m = (await ok(`1/customer-tariff/create?customer_id=${customer}`, body)).model
        const separate = body.is_separate_balance ?? (tariff.calc === 2 ? 1 : 0)
        assert.equal(m.is_separate_balance, separate)
        books.subs.set(m.id, {
          customer,
          tariff: tariff.id,
          separate: separate === 1,
          archive: false,
          b: iso(m.b_date),
          e: iso(m.e_date),
          period: tariff.type === 1 ? 0 : tariff.price,
          subjects: m.subject_ids,
        })
        return true
      },
      async subUpdate() {
        if (books.subs.size === 0) return false
        const id = rnd.pick([...books.subs.keys()])
        const sub = books.subs.get(id)!
        const what = rnd.pick(['tariff', 'separate', 'archive', 'dates'])
        const body: Record<string, unknown> = {}
        if (what === 'tariff') {
          const t = rnd.pick([...books.tariffs.values()])
          if (t.id !== sub.tariff) sub.period = t.type === 1 ? 0 : t.price
          sub.tariff = t.id
          body.tariff_id = t.id
        }
        if (what === 'separate') {
          sub.separate = !sub.separate
          body.is_separate_balance = sub.separate ? 1 : 0
        }
        if (what === 'archive') {
          sub.archive = !sub.archive
          body.is_archive = sub.archive ? 1 : 0
        }
        if (what === 'dates') {
          sub.b = date()
          sub.e = addDays(sub.b, rnd.int(0, 60))
          Object.assign(body, { b_date_v: sub.b, e_date_v: sub.e })
        }
        await ok(`1/customer-tariff/update?id=${id}&customer_id=${sub.customer}`, body)
        return true
      },
      async subDelete() {
        if (books.subs.size === 0) return false
        const id = rnd.pick([...books.subs.keys()])
        const r = await s.api(`1/customer-tariff/delete?id=${id}`)
        if (books.referenced(id)) {
          assert.equal(r.status, 422, r.text)
          return true
        }
        assert.equal(r.status, 200, r.text)
        books.subs.delete(id)
        return true
      },
      async tariffPrice() {
        const t = rnd.pick([...books.tariffs.values()])
        t.price = rnd.int(0, 900) * 100 + rnd.pick([0, 1, 33])
        await ok(`1/tariff/update?id=${t.id}`, { price: t.price / 100 })
        return true
      },
      async discount() {
        const customer = rnd.pick(customers)
        if (rnd.chance(0.3)) {
          const mine = [...books.discounts.values()].filter((d) => d.customer === customer)
          if (mine.length === 0) return false
          const d = rnd.pick(mine)
          await ok(`1/discount/delete?id=${d.id}`)
          books.discounts.delete(d.id)
          return true
        }
        const type = rnd.pick([1, 2])
        const value = type === 1 ? rnd.int(1, 10_000) : rnd.int(1, 80_000)
        const begin = date()
        const end = rnd.chance(0.5) ? addDays(begin, rnd.int(0, 30)) : null
        const m = (
          await ok('1/discount/create', {
            customer_id: customer,
            discount_type: type,
            amount: value / 100,
            begin,
            end,
          })
        ).model
        books.discounts.set(m.id, { id: m.id, customer, type, amount: value, begin, end })
        return true
      },
      async lessonCreate() {
        const chosen = customers.filter(() => rnd.chance(0.5))
        if (chosen.length === 0) return false
        const lesson: Lesson = {
          date: date(),
          subject: rnd.pick(subjects),
          customers: chosen,
          status: 1,
          details: new Map(chosen.map((c) => [c, { attend: false, override: null, charge: 0, ctt: null }])),
        }
        const r = await ok('1/lesson/create', {
          date: lesson.date,
          time_from: '10:00',
          time_to: '11:00',
          subject_id: lesson.subject,
          lesson_type_id: rnd.pick([1, 2, 3]),
          customer_ids: chosen,
        })
        books.lessons.set(r.model.id, lesson)
        return true
      },
      async lessonConduct() {
        if (books.lessons.size === 0) return false
        const id = rnd.pick([...books.lessons.keys()])
        const lesson = books.lessons.get(id)!
        const details = lesson.customers.map((customer) => {
          const d = lesson.details.get(customer)!
          d.attend = rnd.chance(0.7)
          d.override = rnd.chance(0.2) ? rnd.int(0, 100_000) : null
          return {
            customer_id: customer,
            is_attend: d.attend ? 1 : 0,
            commission: d.override === null ? null : (d.override / 100).toFixed(2),
          }
        })
        lesson.status = 3
        books.charge(lesson)
        const r = await ok(`1/lesson/update?id=${id}`, { status: 3, details })
        for (const d of r.model.details as Array<{
          customer_id: number
          commission: string
          ctt_id: number | null
        }>) {
          const mine = lesson.details.get(d.customer_id)!
          assert.deepEqual(
            [kopecks(d.commission), d.ctt_id],
            [mine.charge, mine.ctt],
            `charge of ${d.customer_id}`,
          )
        }
        return true
      },
      async lessonRevert() {
        const conducted = [...books.lessons.entries()].filter(([, l]) => l.status === 3)
        if (conducted.length === 0) return false
        const [id, lesson] = rnd.pick(conducted)
        lesson.status = rnd.pick([1, 2])
        await ok(`1/lesson/update?id=${id}`, { status: lesson.status })
        return true
      },
      async lessonDelete() {
        if (books.lessons.size === 0) return false
        const id = rnd.pick([...books.lessons.keys()])
        await ok(`1/lesson/delete?id=${id}`)
        books.lessons.delete(id)
        return true
      },
    }
    const weights: Array<[keyof typeof steps, number]> = [
      ['payCreate', 8],
      ['payUpdate', 5],
      ['payDelete', 2],
      ['subCreate', 4],
      ['subUpdate', 4],
      ['subDelete', 2],
      ['tariffPrice', 1],
      ['discount', 2],
      ['lessonCreate', 3],
      ['lessonConduct', 4],
      ['lessonRevert', 2],
      ['lessonDelete', 1],
    ]
    const bag = weights.flatMap(([name, w]) => Array<keyof typeof steps>(w).fill(name))

    async function check(step: number, name: string) {
      const r = await s.api('1/customer/index', { id: customers })
      for (const c of r.body.items as Array<Record<string, unknown>>) {
        const want = books.customer(c.id as number)
        const got = {
          balance: kopecks(c.balance as string),
          paid: c.paid_count,
          lessons: c.paid_lesson_count,
        }
        assert.deepEqual(got, want, `step ${step} (${name}): customer ${c.id}`)
        assert.equal(c.balance_base, c.balance)
      }
      for (const customer of customers) {
        const subs = await s.api(`1/customer-tariff/index?customer_id=${customer}`, { 'per-page': 50 })
        assert.equal(subs.body.total, subsOf(customer).length)
        for (const sub of subs.body.items as Array<Record<string, unknown>>) {
          const want = books.subscription(sub.id as number)
          const got = {
            balance: kopecks(sub.balance as string),
            paid: sub.paid_count,
            lessons: sub.paid_lesson_count,
          }
          assert.deepEqual(got, want, `step ${step} (${name}): subscription ${sub.id}`)
        }
      }
    }

    for (let step = 1, done = 0; done < STEPS; step++) {
      const name = rnd.pick(bag)
      if (!(await steps[name]!())) continue
      done++
      counts[name] = (counts[name] ?? 0) + 1
      await check(step, name)
    }
    assert.ok(
      Object.keys(counts).length === weights.length,
      `every kind of step ran: ${JSON.stringify(counts)}`,
    )
  })
})
