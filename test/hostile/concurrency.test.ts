import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { slotDates } from '../../src/domain/schedule.js'
import { addDays, formatDate, nowParts } from '../../src/wire/dates.js'
import { assertLedger, everything, logRows, type Post, seeded } from '../helpers/ledger.js'
import { spawnServer } from '../helpers/process.js'
import { adminEnv, adminToken, freshDatabase, type Reply, suiteServer } from '../helpers/server.js'

/**
 * Concurrent writers (§6.10): many clients at once on the same customer, lesson, group and schedule.
 * Every call answers 200 or a refusal the spec names (never a 500: no deadlock or SQLITE_BUSY reaches a
 * client), and the end state is exact: balances equal their formulas, one detail per participant, no
 * duplicated or lost rows, one log row per acknowledged change. HOSTILE_LOG=error shows the server's
 * own error lines.
 */
const today = nowParts('Europe/Moscow').date
const day = (n: number) => addDays(today, n)
const dmy = (iso: string) => formatDate(iso, 'dmy')!
const iso = (d: string) => d.split('.').reverse().join('-')

/** Fires all calls at once; every reply must be one of the allowed statuses. */
async function burst(calls: Array<() => Promise<Reply>>, allowed = [200]): Promise<Reply[]> {
  const replies = await Promise.all(calls.map((c) => c()))
  for (const r of replies) assert.ok(allowed.includes(r.status), `${r.status} ${r.text}`)
  return replies
}

describe('concurrent writers (§6.10)', () => {
  let account = 0
  let tariff = 0
  let subject = 0
  const s = suiteServer(
    { MAX_PAGE_SIZE: '1000', LOG_LEVEL: process.env.HOSTILE_LOG ?? 'silent' },
    async (server) => {
      const id = async (path: string, body: unknown) => (await server.api(path, body)).body.model.id as number
      account = await id('1/pay-account/create', { name: 'Касса' })
      subject = await id('1/subject/create', { name: 'Физика' })
      tariff = await id('1/tariff/create', { name: '8 занятий', type: 1, price: '5000', lessons_count: 8 })
    },
  )
  const post: Post = (path, body) => s.api(path, body)
  const ok = async (path: string, body: unknown = {}) => {
    const r = await s.api(path, body)
    assert.equal(r.status, 200, `${path}: ${r.text}`)
    return r.body
  }
  /** A student with the 625.00-per-lesson package covering the last 90 days and the next 270. */
  const student = async () => {
    const c = (await ok('1/customer/create', { name: 'Ученик', is_study: 1, legal_type: 1 })).model
      .id as number
    await ok(`1/customer-tariff/create?customer_id=${c}`, { tariff_id: tariff, b_date: dmy(day(-90)) })
    return c
  }
  const lessonOf = async (fields: Record<string, unknown>) =>
    (
      await ok('1/lesson/create', {
        time_from: '12:00',
        duration: 45,
        subject_id: subject,
        lesson_type_id: 2,
        ...fields,
      })
    ).model.id as number
  const lessonById = async (id: number) => (await ok('1/lesson/index', { id, status: [1, 2, 3] })).items[0]

  test('forty pays for one customer at once: exact balance, forty rows, forty log rows', async () => {
    const c = await student()
    const incomes = Array.from({ length: 40 }, (_, i) => `${100 + i}.${String(i).padStart(2, '0')}`)
    const replies = await burst(
      incomes.map(
        (income) => () =>
          s.api('1/pay/create', {
            customer_id: c,
            pay_type_id: 1,
            pay_account_id: account,
            income,
            document_date: dmy(today),
          }),
      ),
    )
    const ids = replies.map((r) => r.body.model.id as number)
    assert.equal(new Set(ids).size, 40)
    const pays = await everything(post, '1/pay/index', { customer_id: c })
    assert.deepEqual(pays.map((p) => p.id).sort(), [...ids].sort())
    const total = incomes.reduce((sum, x) => sum + Math.round(Number(x) * 100), 0)
    const figures = (await ok('1/customer/index', { id: c })).items[0]
    assert.deepEqual([figures.balance, figures.paid_count], [(total / 100).toFixed(2), 40])
    const log = await logRows(post, 'Pay', { event: 1 })
    assert.equal(log.filter((r) => ids.includes(r.entity_id)).length, 40)
    await assertLedger(post)
  })

  test('thirty clients conduct one lesson at once: one set of charges, one status change logged', async () => {
    const [a, b, c] = [await student(), await student(), await student()]
    const l = await lessonOf({ date: day(-1), customer_ids: [a, b, c] })
    const body = {
      status: 3,
      details: [
        { customer_id: a, is_attend: 1 },
        { customer_id: b, is_attend: 1, grade: 5 },
        { customer_id: c, is_attend: 0 },
      ],
    }
    await burst(Array.from({ length: 30 }, () => () => s.api(`1/lesson/update?id=${l}`, body)))
    const lesson = await lessonById(l)
    assert.deepEqual(
      lesson.details.map((d: any) => [d.customer_id, d.is_attend, d.commission]),
      [
        [a, 1, '625.00'],
        [b, 1, '625.00'],
        [c, 0, '0.00'],
      ],
    )
    const rows = await logRows(post, 'Lesson', { entity_id: l })
    assert.deepEqual(
      rows.map((r) => [r.event, r.fields_new.status]),
      [
        [2, 3],
        [1, 1],
      ],
      'one create, one status change',
    )
    const details = await logRows(post, 'LessonDetails')
    const mine = details.filter((r) => lesson.details.some((d: any) => d.id === r.entity_id))
    assert.equal(mine.length, 2, 'a row for each changed detail, once (a and b attend)')
    for (const id of [a, b, c]) {
      const f = (await ok('1/customer/index', { id })).items[0]
      assert.equal(f.balance, id === c ? '0.00' : '-625.00')
    }
  })

  test('conducting, cancelling and re-marking one lesson at once ends in one consistent state', async () => {
    const people = [await student(), await student(), await student(), await student()]
    const l = await lessonOf({ date: day(-2), customer_ids: people })
    const rnd = seeded(7)
    const calls = Array.from({ length: 30 }, () => {
      const status = rnd() < 0.6 ? 3 : rnd() < 0.5 ? 2 : 1
      const details = people.map((p) => ({ customer_id: p, is_attend: rnd() < 0.5 ? 1 : 0 }))
      return () => s.api(`1/lesson/update?id=${l}`, { status, details })
    })
    await burst(calls)
    const lesson = await lessonById(l)
    assert.equal(lesson.details.length, people.length)
    for (const d of lesson.details) {
      const charge = lesson.status === 3 && d.is_attend === 1 ? '625.00' : '0.00'
      assert.equal(d.commission, lesson.status === 1 ? '625.00' : charge, `detail of ${d.customer_id}`)
    }
    await assertLedger(post)
  })

  test('memberships of one group change while its lessons are conducted and re-synced', async () => {
    const g = (await ok('1/group/create', { name: 'Группа' })).model.id as number
    const members = [await student(), await student(), await student(), await student()]
    const joiners = [await student(), await student(), await student(), await student()]
    const cgis: number[] = []
    for (const c of members)
      cgis.push((await ok(`1/cgi/create?customer_id=${c}&group_id=${g}`, { b_date: dmy(day(-60)) })).model.id)
    // Half the lessons are conducted meanwhile; the other half stay planned or cancelled and move.
    const conducted: number[] = []
    const planned: number[] = []
    for (let i = 1; i <= 6; i++) conducted.push(await lessonOf({ date: day(-i * 3), group_ids: [g] }))
    for (let i = 1; i <= 6; i++) planned.push(await lessonOf({ date: day(-i * 3 - 1), group_ids: [g] }))
    const rnd = seeded(11)
    const calls: Array<() => Promise<Reply>> = [
      ...joiners.map(
        (c) => () => s.api(`1/cgi/create?customer_id=${c}&group_id=${g}`, { b_date: dmy(day(-10)) }),
      ),
      () => s.api(`1/cgi/update?id=${cgis[0]}`, { e_date: dmy(day(-12)) }),
      () => s.api(`1/cgi/update?id=${cgis[1]}`, { b_date: dmy(day(-5)) }),
      () => s.api(`1/cgi/delete?id=${cgis[2]}`),
      ...conducted.flatMap((l) => [
        // Attendance names the fourth member, who stays a participant of every lesson.
        () =>
          s.api(`1/lesson/update?id=${l}`, {
            status: 3,
            details: [{ customer_id: members[3], is_attend: 1 }],
          }),
        () => s.api(`1/lesson/update?id=${l}`, { status: 3 }),
      ]),
      // A new date re-syncs a lesson (§6.3) while the memberships change under it.
      ...planned.flatMap((l, i) => [
        () => s.api(`1/lesson/update?id=${l}`, { date: day(-i * 3 - 2) }),
        () => s.api(`1/lesson/update?id=${l}`, { status: rnd() < 0.5 ? 2 : 1 }),
      ]),
    ]
    await burst(calls)
    await assertParticipants(g, [...conducted, ...planned])
    await assertLedger(post)
    // One log row per acknowledged membership write: 8 creates, 2 updates, 1 delete.
    const all = await everything(post, `1/cgi/index?group_id=${g}`, { date_from: '01.01.2000' })
    const ids = new Set([...all.map((m) => m.id), cgis[2]])
    const rows = (await logRows(post, 'CustomerGroupInvolve')).filter((r) => ids.has(r.entity_id))
    assert.deepEqual(
      [1, 2, 3].map((e) => rows.filter((r) => r.event === e).length),
      [8, 2, 1],
    )
  })

  test('ten identical memberships at once: one is created, nine are refused as overlapping', async () => {
    const g = (await ok('1/group/create', { name: 'Дубли' })).model.id as number
    const c = await student()
    const replies = await burst(
      Array.from({ length: 10 }, () => () => s.api(`1/cgi/create?customer_id=${c}&group_id=${g}`, {})),
      [200, 422],
    )
    assert.equal(replies.filter((r) => r.status === 200).length, 1)
    for (const r of replies.filter((x) => x.status === 422))
      assert.deepEqual(r.body.errors, { b_date: ['Клиент уже состоит в этой группе в этот период.'] })
    const rows = await everything(post, `1/cgi/index?group_id=${g}`, { date_from: '01.01.2000' })
    assert.equal(rows.length, 1)
  })

  test('schedules generated and regenerated at once, while the group changes: no lesson lost or doubled', async () => {
    const g = (await ok('1/group/create', { name: 'Расписание' })).model.id as number
    const members = [await student(), await student()]
    for (const c of members) await ok(`1/cgi/create?customer_id=${c}&group_id=${g}`, { b_date: dmy(day(-1)) })
    const slot = (days: number[], time: string) => ({
      related_class: 'Group',
      related_id: g,
      subject_id: subject,
      lesson_type_id: 2,
      days,
      time_from_v: time,
      time_to_v: `${time.slice(0, 2)}:45`,
      b_date_v: dmy(day(1)),
      e_date_v: dmy(day(42)),
    })
    const shared = (await ok('1/regular-lesson/create', slot([1], '08:00'))).model.id as number
    const joiners = [await student(), await student(), await student()]
    const rnd = seeded(13)
    const calls: Array<() => Promise<Reply>> = [
      ...Array.from(
        { length: 8 },
        (_, i) => () => s.api('1/regular-lesson/create', slot([1 + (i % 7)], `1${i}:00`)),
      ),
      ...Array.from({ length: 8 }, () => {
        const days = [1 + Math.floor(rnd() * 7), 1 + Math.floor(rnd() * 7)]
        return () =>
          s.api(`1/regular-lesson/update?id=${shared}`, { days, time_from_v: '09:00', time_to_v: '09:45' })
      }),
      ...joiners.map(
        (c) => () => s.api(`1/cgi/create?customer_id=${c}&group_id=${g}`, { b_date: dmy(day(10)) }),
      ),
    ]
    await burst(calls)
    const slots = await everything(post, '1/regular-lesson/index', { related_id: g })
    assert.equal(slots.length, 9)
    const lessons = await everything(post, '1/lesson/index', { group_id: g, status: [1, 2, 3] })
    for (const r of slots) {
      const dates = lessons.filter((l) => l.regular_id === r.id).map((l) => l.date)
      const expected = slotDates({ b_date: r.b_date, e_date: r.e_date, days: r.days })
      assert.deepEqual(dates.sort(), expected, `slot ${r.id}: one lesson per date of its days`)
    }
    await assertParticipants(
      g,
      lessons.map((l) => l.id),
    )
    // Every lesson has its create row; every create row without a delete row has its lesson.
    const log = await logRows(post, 'Lesson')
    const created = new Set(log.filter((r) => r.event === 1).map((r) => r.entity_id))
    const deleted = new Set(log.filter((r) => r.event === 3).map((r) => r.entity_id))
    const existing = new Set(
      (await everything(post, '1/lesson/index', { status: [1, 2, 3] })).map((l) => l.id),
    )
    for (const id of existing) assert.ok(created.has(id) && !deleted.has(id), `lesson ${id}: its log rows`)
    for (const id of created)
      assert.equal(existing.has(id), !deleted.has(id), `lesson ${id}: created, deleted?`)
  })

  /** §6.3: planned and cancelled lessons of the group have one detail per member on their date. */
  async function assertParticipants(g: number, lessonIds: number[]) {
    const cgis = await everything(post, `1/cgi/index?group_id=${g}`, { date_from: '01.01.2000' })
    for (const id of lessonIds) {
      const l = await lessonById(id)
      const got = l.details.map((d: any) => d.customer_id)
      assert.equal(
        new Set(got).size,
        got.length,
        `lesson ${id} (${l.date}, status ${l.status}): no doubled detail in ${got}`,
      )
      if (l.status === 3) {
        for (const d of l.details)
          assert.equal(
            d.commission,
            d.is_attend ? '625.00' : '0.00',
            `lesson ${id}: charge of ${d.customer_id}`,
          )
        continue
      }
      const wanted = cgis
        .filter((m) => iso(m.b_date) <= l.date && (m.e_date === null || l.date <= iso(m.e_date)))
        .map((m) => m.customer_id)
        .sort((a: number, b: number) => a - b)
      assert.deepEqual(got, [...new Set(wanted)], `lesson ${id} on ${l.date}: its participants`)
    }
  }
})

// Several processes share one database on PostgreSQL only (SQLite refuses WORKERS > 1 at start).
const onPostgres = Boolean(process.env.TEST_DATABASE_URL)

describe('concurrent writers on two worker processes (WORKERS=2)', { skip: !onPostgres }, () => {
  test('pays and conducting from many clients through two processes: no 500, exact balances', async () => {
    const db = await freshDatabase()
    const env = adminEnv(db, { WORKERS: '2' })
    const server = await spawnServer(env)
    try {
      const token = await adminToken(server.url)
      const call: Post = async (path, body = {}) => {
        const r = await fetch(`${server.url}/v2api/${path}`, {
          method: 'POST',
          headers: { 'x-alfacrm-token': token },
          body: JSON.stringify(body),
        })
        const text = await r.text()
        return { status: r.status, body: JSON.parse(text), text }
      }
      const id = async (path: string, body: unknown) => {
        const r = await call(path, body)
        assert.equal(r.status, 200, r.text)
        return r.body.model.id as number
      }
      const account = await id('1/pay-account/create', { name: 'Касса' })
      const tariff = await id('1/tariff/create', { name: 'Пакет', type: 1, price: '5000', lessons_count: 8 })
      const subject = await id('1/subject/create', { name: 'Химия' })
      const people: number[] = []
      for (let i = 0; i < 4; i++) {
        const c = await id('1/customer/create', { name: `Ученик ${i}`, is_study: 1, legal_type: 1 })
        await id(`1/customer-tariff/create?customer_id=${c}`, { tariff_id: tariff, b_date: dmy(day(-30)) })
        people.push(c)
      }
      const lessons: number[] = []
      for (let i = 1; i <= 5; i++) {
        lessons.push(
          await id('1/lesson/create', {
            date: day(-i),
            time_from: '10:00',
            duration: 60,
            subject_id: subject,
            lesson_type_id: 2,
            customer_ids: people,
          }),
        )
      }
      const calls = [
        ...Array.from(
          { length: 24 },
          (_, i) => () =>
            call('1/pay/create', {
              customer_id: people[i % 4],
              pay_type_id: 1,
              pay_account_id: account,
              income: '1000',
              document_date: dmy(today),
            }),
        ),
        ...lessons.flatMap((l) =>
          [1, 2, 3].map(
            () => () =>
              call(`1/lesson/update?id=${l}`, {
                status: 3,
                details: people.map((p) => ({ customer_id: p, is_attend: 1 })),
              }),
          ),
        ),
      ]
      const replies = await Promise.all(calls.map((c) => c()))
      for (const r of replies) assert.equal(r.status, 200, `${r.text}\n${server.output().slice(-3000)}`)
      await assertLedger(call)
      for (const c of people) {
        const f = (await call('1/customer/index', { id: c })).body.items[0]
        assert.deepEqual([f.balance, f.paid_count], ['2875.00', 6], `6 × 1000.00 − 5 × 625.00 for ${c}`)
      }
    } finally {
      server.child.kill('SIGTERM')
      await server.exited
      await db.drop()
    }
  })
})
