import assert from 'node:assert/strict'
import { addDays, formatDate, nowParts } from '../../src/wire/dates.js'
import {
  type Answer,
  assertLedger,
  everything,
  kopecks,
  logRows,
  type Post,
  rubles,
  seeded,
} from './ledger.js'

/**
 * A school's write load for the tests that interrupt the server (kill -9, SIGTERM): several clients
 * create customers with a package subscription, take pays, delete some, create lessons and conduct
 * and cancel them with attendance. Every write the server acknowledged with 200 is remembered with
 * the values it must have; a write whose reply never came (the server went away) is "unknown": it may
 * or may not have happened, but never half. `verify` reads everything back through the API.
 */

/** A reply that never came complete: the connection failed before or while the reply was read. */
export class NoReply extends Error {
  constructor(
    readonly path: string,
    readonly partial: boolean,
  ) {
    super(`no reply to ${path}`)
  }
}

/** Wraps a client so that a failed connection is a NoReply, telling a cut reply from none. */
export function guarded(url: () => string, token: string): Post {
  return async (path, body = {}) => {
    let res: Response
    try {
      res = await fetch(`${url()}/v2api/${path}`, {
        method: 'POST',
        headers: { 'x-alfacrm-token': token, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    } catch {
      throw new NoReply(path, false)
    }
    let text: string
    let parsed: unknown
    try {
      text = await res.text()
      parsed = JSON.parse(text)
    } catch {
      throw new NoReply(path, true)
    }
    return { status: res.status, body: parsed, text }
  }
}

const PRICE = '625.00' // 5000.00 ÷ 8 lessons (§6.2)

interface PayRec {
  customer: number
  income: string
  note: string
  gone: boolean
  uncertain: boolean
}

interface LessonRec {
  customers: number[]
  status: number
  /** Statuses the lesson may have when its last write has no reply. */
  maybe: number[] | null
  /** customer → commission, from the reply that conducted it. */
  charges: Map<number, string> | null
}

export interface LoadFigures {
  writes: number
  acknowledged: number
  unknown: number
  /** Replies cut in the middle (a kill may cut one; a graceful shutdown never). */
  partial: number
  /** Replies other than 200 (none are expected: every write of the load is valid). */
  refused: string[]
}

export class WriteLoad {
  private readonly today = nowParts('Europe/Moscow').date
  private tariff = 0
  private account = 0
  private subject = 0
  private n = 0
  readonly customers = new Map<number, { name: string; owner: number; sub: number | null }>()
  readonly pays = new Map<number, PayRec & { owner: number }>()
  readonly lessons = new Map<number, LessonRec & { owner: number }>()
  /** Tags (names, notes, topics) of creates without a reply. */
  readonly maybe = new Set<string>()
  /** Customers whose money an unknown write may have touched: checked by formula only. */
  readonly uncertain = new Set<number>()
  readonly figures: LoadFigures = { writes: 0, acknowledged: 0, unknown: 0, partial: 0, refused: [] }

  constructor(readonly seed: number) {}

  /** The school the load runs in: a cash desk, a subject and the 8 × 5000.00 package. */
  async setup(post: Post): Promise<void> {
    const ok = async (path: string, body: unknown) => {
      const r = await post(path, body)
      assert.equal(r.status, 200, r.text)
      return r.body.model.id as number
    }
    this.account = await ok('1/pay-account/create', { name: 'Касса' })
    this.subject = await ok('1/subject/create', { name: 'Математика' })
    this.tariff = await ok('1/tariff/create', { name: '8 занятий', type: 1, price: '5000', lessons_count: 8 })
  }

  /** Runs `clients` clients until `stop()` says so; each client's last write may be left unknown. */
  async run(post: Post, clients: number, stop: () => boolean, round: number): Promise<void> {
    await Promise.all(
      Array.from({ length: clients }, (_, i) =>
        this.client(post, i, seeded(this.seed * 997 + round * 31 + i), stop),
      ),
    )
  }

  private async client(post: Post, owner: number, rnd: () => number, stop: () => boolean) {
    while (!stop()) {
      try {
        await this.step(post, owner, rnd)
      } catch (e) {
        if (!(e instanceof NoReply)) throw e
        return
      }
    }
  }

  /** One write; the outcome is recorded whatever it is. */
  private async write(
    post: Post,
    path: string,
    body: unknown,
    onUnknown: () => void,
  ): Promise<Answer | null> {
    this.figures.writes++
    try {
      const r = await post(path, body)
      if (r.status === 200) this.figures.acknowledged++
      else this.figures.refused.push(`${path} → ${r.status} ${r.text}`)
      return r.status === 200 ? r : null
    } catch (e) {
      if (!(e instanceof NoReply)) throw e
      this.figures.unknown++
      if (e.partial) this.figures.partial++
      onUnknown()
      throw e
    }
  }

  private pick<T>(rnd: () => number, list: T[]): T | undefined {
    return list[Math.floor(rnd() * list.length)]
  }

  private async step(post: Post, owner: number, rnd: () => number) {
    const mine = [...this.customers].filter(([, c]) => c.owner === owner && c.sub !== null).map(([id]) => id)
    const x = rnd()
    if (mine.length < 3 || x < 0.1) return this.newCustomer(post, owner)
    if (x < 0.45) return this.pay(post, owner, mine, rnd)
    if (x < 0.52) return this.dropPay(post, owner, rnd)
    if (x < 0.72) return this.newLesson(post, owner, mine, rnd)
    if (x < 0.92) return this.conduct(post, owner, rnd)
    return this.cancel(post, owner, rnd)
  }

  private async newCustomer(post: Post, owner: number) {
    const name = `Нагрузка ${owner}-${++this.n}`
    const r = await this.write(post, '1/customer/create', { name, is_study: 1, legal_type: 1 }, () =>
      this.maybe.add(name),
    )
    if (!r) return
    const id = r.body.model.id as number
    this.customers.set(id, { name, owner, sub: null })
    // Lessons in the last 60 days fall inside this subscription (§6.2): 625.00 each.
    const s = await this.write(
      post,
      `1/customer-tariff/create?customer_id=${id}`,
      { tariff_id: this.tariff, b_date: formatDate(addDays(this.today, -90), 'dmy') },
      () => this.uncertain.add(id),
    )
    if (s) this.customers.get(id)!.sub = s.body.model.id
  }

  private async pay(post: Post, owner: number, mine: number[], rnd: () => number) {
    const customer = this.pick(rnd, mine)!
    const income = rubles(100 + Math.floor(rnd() * 999_900))
    const note = `платёж ${owner}-${++this.n}`
    const body = {
      customer_id: customer,
      pay_type_id: 1,
      pay_account_id: this.account,
      income,
      document_date: formatDate(this.today, 'dmy'),
      note,
    }
    const r = await this.write(post, '1/pay/create', body, () => {
      this.maybe.add(note)
      this.uncertain.add(customer)
    })
    if (r) this.pays.set(r.body.model.id, { customer, income, note, gone: false, uncertain: false, owner })
  }

  private async dropPay(post: Post, owner: number, rnd: () => number) {
    const live = [...this.pays].filter(([, p]) => p.owner === owner && !p.gone && !p.uncertain)
    const [id, p] = this.pick(rnd, live) ?? []
    if (!id || !p) return
    const r = await this.write(post, `1/pay/delete?id=${id}`, {}, () => {
      p.uncertain = true
      this.uncertain.add(p.customer)
    })
    if (r) p.gone = true
  }

  private async newLesson(post: Post, owner: number, mine: number[], rnd: () => number) {
    const customers = [...new Set([this.pick(rnd, mine)!, this.pick(rnd, mine)!, this.pick(rnd, mine)!])]
    customers.length = 1 + Math.floor(rnd() * customers.length)
    const topic = `урок ${owner}-${++this.n}`
    const conducted = rnd() < 0.3
    const details = customers.map((c) => ({ customer_id: c, is_attend: rnd() < 0.7 ? 1 : 0 }))
    const body = {
      date: addDays(this.today, -1 - Math.floor(rnd() * 60)),
      time_from: '10:00',
      duration: 60,
      subject_id: this.subject,
      lesson_type_id: 1,
      customer_ids: customers,
      topic,
      ...(conducted ? { status: 3, details } : {}),
    }
    const r = await this.write(post, '1/lesson/create', body, () => {
      this.maybe.add(topic)
      if (conducted) for (const c of customers) this.uncertain.add(c)
    })
    if (!r) return
    const rec: LessonRec & { owner: number } = {
      customers,
      status: conducted ? 3 : 1,
      maybe: null,
      charges: null,
      owner,
    }
    if (conducted) rec.charges = this.charges(r, details)
    this.lessons.set(r.body.model.id, rec)
  }

  /** The commissions a conducting reply shows: the price for the attended, 0.00 for the absent (§6.4). */
  private charges(r: Answer, details: Array<{ customer_id: number; is_attend: number }>) {
    const shown = new Map<number, string>(r.body.model.details.map((d: any) => [d.customer_id, d.commission]))
    for (const d of details) {
      assert.equal(
        shown.get(d.customer_id),
        d.is_attend ? PRICE : '0.00',
        `reply of lesson ${r.body.model.id}`,
      )
    }
    return shown
  }

  private async conduct(post: Post, owner: number, rnd: () => number) {
    const planned = [...this.lessons].filter(([, l]) => l.owner === owner && l.status === 1 && !l.maybe)
    const [id, l] = this.pick(rnd, planned) ?? []
    if (!id || !l) return
    const details = l.customers.map((c) => ({ customer_id: c, is_attend: rnd() < 0.7 ? 1 : 0 }))
    const r = await this.write(post, `1/lesson/update?id=${id}`, { status: 3, details }, () => {
      l.maybe = [1, 3]
      for (const c of l.customers) this.uncertain.add(c)
    })
    if (!r) return
    l.status = 3
    l.charges = this.charges(r, details)
  }

  private async cancel(post: Post, owner: number, rnd: () => number) {
    const done = [...this.lessons].filter(([, l]) => l.owner === owner && l.status === 3 && !l.maybe)
    const [id, l] = this.pick(rnd, done) ?? []
    if (!id || !l) return
    const r = await this.write(post, `1/lesson/update?id=${id}`, { status: 2 }, () => {
      l.maybe = [3, 2]
      for (const c of l.customers) this.uncertain.add(c)
    })
    if (!r) return
    l.status = 2
    l.charges = null
  }

  /**
   * Every acknowledged write is there with its values, nothing is half-written (a conducted lesson
   * without its charges, a record without its log row, a log row without its record), and every
   * balance equals its formula. Returns the number of acknowledged writes checked.
   */
  async verify(
    post: Post,
    { unanswered }: { unanswered: 'may have happened' | 'never happened' },
  ): Promise<number> {
    const mayHappen = unanswered === 'may have happened'
    let checked = 0
    const customers = new Map(
      (await everything(post, '1/customer/index', { is_study: 2, removed: 1 })).map((c) => [c.id, c]),
    )
    for (const [id, c] of this.customers) {
      assert.equal(customers.get(id)?.name, c.name, `acknowledged customer ${id} is there`)
      checked++
    }
    for (const c of customers.values()) {
      if (c.name.startsWith('Нагрузка ') && !this.customers.has(c.id))
        assert.ok(mayHappen && this.maybe.has(c.name), `customer ${c.id} was written without a reply`)
    }
    for (const [id, c] of this.customers) {
      if (c.sub === null) continue
      const r = await post(`1/customer-tariff/index?customer_id=${id}`, { id: c.sub })
      assert.equal(r.body.total, 1, `acknowledged subscription ${c.sub} is there`)
      checked++
    }

    const pays = new Map((await everything(post, '1/pay/index')).map((p) => [p.id, p]))
    for (const [id, p] of this.pays) {
      const stored = pays.get(id)
      if (!p.uncertain || !mayHappen)
        assert.equal(stored === undefined, p.gone, `pay ${id} ${p.gone ? 'deleted' : 'kept'}`)
      if (stored) {
        assert.deepEqual(
          [stored.customer_id, stored.income, stored.note, stored.pay_type_id, stored.is_confirmed],
          [p.customer, p.income, p.note, 1, 1],
          `pay ${id} keeps its values`,
        )
      }
      checked += p.gone ? 2 : 1
    }
    for (const p of pays.values()) {
      if (!this.pays.has(p.id))
        assert.ok(mayHappen && this.maybe.has(p.note), `pay ${p.id} was written without a reply`)
    }

    const lessons = new Map(
      (await everything(post, '1/lesson/index', { status: [1, 2, 3] })).map((l) => [l.id, l]),
    )
    for (const [id, l] of this.lessons) {
      const stored = lessons.get(id)
      assert.ok(stored, `acknowledged lesson ${id} is there`)
      checked++
      if (l.maybe) {
        const allowed = mayHappen ? l.maybe : l.maybe.slice(0, 1)
        assert.ok(allowed.includes(stored.status), `lesson ${id}: status ${stored.status} of ${allowed}`)
        continue
      }
      assert.equal(stored.status, l.status, `lesson ${id} status`)
      if (l.charges) {
        checked++
        const got = new Map(stored.details.map((d: any) => [d.customer_id, d.commission]))
        assert.deepEqual(got, l.charges, `lesson ${id} keeps the charges its reply showed`)
      }
    }
    for (const l of lessons.values()) {
      if (!this.lessons.has(l.id))
        assert.ok(mayHappen && this.maybe.has(l.topic), `lesson ${l.id} was written without a reply`)
      // A conducted lesson has all its charges: one detail per participant, priced (§6.4).
      assert.deepEqual(
        l.details.map((d: any) => d.customer_id),
        [...l.customer_ids].sort((a: number, b: number) => a - b),
        `lesson ${l.id}: one detail per participant`,
      )
      if (l.status === 3) {
        for (const d of l.details)
          assert.equal(
            d.commission,
            d.is_attend ? PRICE : '0.00',
            `lesson ${l.id}: charge of ${d.customer_id}`,
          )
      }
    }

    await this.verifyLog(post, pays, lessons)
    await assertLedger(post)
    this.verifyExactBalances(customers, pays, mayHappen)
    return checked
  }

  /** One log row per change, written with it: none missing, none without its record (§5.11, §6.10). */
  private async verifyLog(post: Post, pays: Map<number, any>, lessons: Map<number, any>) {
    const events = (rows: any[]) => {
      const by = new Map<number, any[]>()
      for (const r of rows) by.set(r.entity_id, [...(by.get(r.entity_id) ?? []), r])
      return by
    }
    const payLog = events(await logRows(post, 'Pay'))
    for (const p of pays.values())
      assert.equal(payLog.get(p.id)?.filter((r) => r.event === 1).length, 1, `pay ${p.id}: one create row`)
    for (const [id, rows] of payLog) {
      const deleted = rows.some((r) => r.event === 3)
      assert.equal(pays.has(id), !deleted, `pay ${id}: its log rows match its existence`)
    }
    const lessonLog = events(await logRows(post, 'Lesson'))
    for (const l of lessons.values()) {
      // Rows come newest first: the last status the log recorded is the stored one.
      const last = lessonLog.get(l.id)?.find((r) => 'status' in r.fields_new)
      assert.equal(last?.fields_new.status, l.status, `lesson ${l.id}: the log knows its status`)
    }
    const detailLog = events(await logRows(post, 'LessonDetails'))
    for (const l of lessons.values()) {
      for (const d of l.details) {
        const last = detailLog.get(d.id)?.find((r) => 'is_attend' in r.fields_new)
        assert.equal(last?.fields_new.is_attend ?? 0, d.is_attend, `detail ${d.id}: the log knows its mark`)
      }
    }
    const customerLog = events(await logRows(post, 'Customer', { event: 1 }))
    for (const id of this.customers.keys()) assert.ok(customerLog.has(id), `customer ${id}: a create row`)
  }

  /** Customers untouched by writes without a reply: balance = acknowledged pays − acknowledged charges. */
  private verifyExactBalances(customers: Map<number, any>, pays: Map<number, any>, mayHappen: boolean) {
    const expected = new Map<number, number>()
    const add = (c: number, k: number) => expected.set(c, (expected.get(c) ?? 0) + k)
    for (const [id, p] of this.pays) if (pays.has(id)) add(p.customer, kopecks(p.income))
    for (const l of this.lessons.values()) {
      if (l.status !== 3 || !l.charges) continue
      for (const [c, commission] of l.charges) add(c, -kopecks(commission))
    }
    for (const id of this.customers.keys()) {
      if (mayHappen && this.uncertain.has(id)) continue
      assert.equal(customers.get(id).balance, rubles(expected.get(id) ?? 0), `customer ${id}: exact balance`)
    }
  }
}
