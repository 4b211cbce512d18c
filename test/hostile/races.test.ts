import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import { createUser } from '../../src/auth/users.js'
import { addDays, formatDate, nowParts } from '../../src/wire/dates.js'
import { type Reply, type Server, suiteServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'

/**
 * Rules a write checks before it writes — a delete refused while referenced (§6.9), a reference that
 * must name an existing record (§2.6), the last active admin (§7.30), the last branch (§7.1) — hold
 * when two clients race: round after round the two calls go out at once, each answers 200 or the very
 * refusal a sequential run gives (never a 500), and what is read back afterwards satisfies the rule.
 * A round that breaks the rule is counted, so a failure says how often it happened.
 * HOSTILE_LOG=error shows the server's own error lines.
 */
const ROUNDS = 30
const env = { LOG_LEVEL: process.env.HOSTILE_LOG ?? 'silent', LOGIN_RATE_LIMIT: '10000' }
const today = nowParts('Europe/Moscow').date
const dmy = (iso: string) => formatDate(iso, 'dmy')!
const LAST_ADMIN = wire.invalid({ id: ['Нельзя удалить или ограничить последнего администратора.'] })
const LAST_BRANCH = wire.invalid({ id: ['Невозможно удалить последний филиал.'] })

/** True for a 200, false for the given refusal; anything else fails the test. */
function succeeded(r: Reply, refusals: Array<{ status: number; body?: unknown }>, what: string): boolean {
  if (r.status === 200) return true
  const known = refusals.some(
    (x) => x.status === r.status && (x.body === undefined || isDeepStrictEqual(r.body, x.body)),
  )
  assert.ok(known, `${what}: ${r.status} ${r.text}`)
  return false
}

const refusal = (body: unknown) => ({ status: 422, body })

async function modelId(s: Server, path: string, body: unknown): Promise<number> {
  const r = await s.api(path, body)
  assert.equal(r.status, 200, `${path}: ${r.text}`)
  return r.body.model.id as number
}

const total = async (s: Server, path: string, body: unknown) => {
  const r = await s.api(path, body)
  assert.equal(r.status, 200, `${path}: ${r.text}`)
  return r.body.total as number
}

describe('a delete racing a write that references the record (§6.9, §2.6)', () => {
  const s = suiteServer(env)

  test('tariff/delete against customer-tariff/create on that tariff: no subscription of a deleted tariff', async () => {
    const c = await modelId(s, '1/customer/create', { name: 'Ученик', is_study: 1, legal_type: 1 })
    let broken = 0
    for (let round = 0; round < ROUNDS; round++) {
      const t = await modelId(s, '1/tariff/create', {
        name: `Пакет ${round}`,
        type: 1,
        price: '100',
        lessons_count: 4,
      })
      const [del, sub] = await Promise.all([
        s.api(`1/tariff/delete?id=${t}`),
        s.api(`1/customer-tariff/create?customer_id=${c}`, { tariff_id: t }),
      ])
      const deleted = succeeded(del, [refusal(wire.refused('customer-tariff'))], 'tariff/delete')
      const made = succeeded(
        sub,
        [refusal(wire.invalid({ tariff_id: ['Значение «Абонемент» неверно.'] }))],
        'customer-tariff/create',
      )
      assert.equal(await total(s, '1/tariff/index', { id: t }), deleted ? 0 : 1)
      assert.equal(await total(s, `1/customer-tariff/index?customer_id=${c}`, { tariff_id: t }), made ? 1 : 0)
      if (deleted && made) broken++
    }
    assert.equal(broken, 0, `${broken}/${ROUNDS} rounds left a subscription of a deleted tariff`)
  })

  test('pay-account/delete against pay/create on that cash desk: no pay of a deleted cash desk', async () => {
    let broken = 0
    for (let round = 0; round < ROUNDS; round++) {
      const a = await modelId(s, '1/pay-account/create', { name: `Касса ${round}` })
      const [del, pay] = await Promise.all([
        s.api(`1/pay-account/delete?id=${a}`),
        s.api('1/pay/create', { pay_type_id: 3, pay_account_id: a, income: '10', document_date: dmy(today) }),
      ])
      const deleted = succeeded(del, [refusal(wire.refused('pay'))], 'pay-account/delete')
      const made = succeeded(
        pay,
        [refusal(wire.invalid({ pay_account_id: ['Значение «Касса» неверно.'] }))],
        'pay/create',
      )
      assert.equal(await total(s, '1/pay-account/index', { id: a }), deleted ? 0 : 1)
      assert.equal(await total(s, '1/pay/index', { pay_account_id: a }), made ? 1 : 0)
      if (deleted && made) broken++
    }
    assert.equal(broken, 0, `${broken}/${ROUNDS} rounds left a pay of a deleted cash desk`)
  })

  test('subject/delete against tariff/create naming it in subject_ids: no tariff of a deleted subject', async () => {
    let broken = 0
    for (let round = 0; round < ROUNDS; round++) {
      const subject = await modelId(s, '1/subject/create', { name: `Предмет ${round}` })
      const [del, made] = await Promise.all([
        s.api(`1/subject/delete?id=${subject}`),
        s.api('1/tariff/create', { name: 'С предметом', type: 2, price: '100', subject_ids: [subject] }),
      ])
      const deleted = succeeded(del, [refusal(wire.refused('tariff'))], 'subject/delete')
      const created = succeeded(
        made,
        [refusal(wire.invalid({ subject_ids: ['Значение «Предметы» неверно.'] }))],
        'tariff/create',
      )
      assert.equal(await total(s, '1/subject/index', { id: subject }), deleted ? 0 : 1)
      if (created) assert.deepEqual(made.body.model.subject_ids, [subject])
      if (deleted && created) broken++
    }
    assert.equal(broken, 0, `${broken}/${ROUNDS} rounds left a tariff of a deleted subject`)
  })

  test('task/delete against a comment attached to that task: no comment on a deleted task', async () => {
    let broken = 0
    for (let round = 0; round < ROUNDS; round++) {
      const task = await modelId(s, '1/task/create', {
        title: `Задача ${round}`,
        text: 'Позвонить',
        assigned_ids: [1],
      })
      const [del, comment] = await Promise.all([
        s.api(`1/task/delete?id=${task}`),
        s.api(`1/communication/create?class=Task&related_id=${task}`, { comment: 'Готово' }),
      ])
      const deleted = succeeded(del, [refusal(wire.refused('communication'))], 'task/delete')
      const made = succeeded(
        comment,
        [refusal(wire.invalid({ related_id: ['Значение «Объект» неверно.'] }))],
        'communication/create',
      )
      assert.equal(await total(s, '1/task/index', { id: task }), deleted ? 0 : 1)
      if (!deleted)
        assert.equal(await total(s, `1/communication/index?class=Task&related_id=${task}`, {}), made ? 1 : 0)
      if (deleted && made) broken++
    }
    assert.equal(broken, 0, `${broken}/${ROUNDS} rounds left a comment on a deleted task`)
  })

  test('customer-tariff/delete against conducting a lesson charged through it: no charge through a deleted subscription', async () => {
    const tariff = await modelId(s, '1/tariff/create', {
      name: 'Пакет',
      type: 1,
      price: '5000',
      lessons_count: 8,
    })
    const subject = await modelId(s, '1/subject/create', { name: 'Физика' })
    let broken = 0
    for (let round = 0; round < ROUNDS; round++) {
      const c = await modelId(s, '1/customer/create', { name: `Ученик ${round}`, is_study: 1, legal_type: 1 })
      const ct = await modelId(s, `1/customer-tariff/create?customer_id=${c}`, {
        tariff_id: tariff,
        b_date: dmy(addDays(today, -30)),
      })
      const lesson = await modelId(s, '1/lesson/create', {
        date: addDays(today, -1),
        time_from: '12:00',
        duration: 45,
        subject_id: subject,
        lesson_type_id: 2,
        customer_ids: [c],
      })
      const [del, conduct] = await Promise.all([
        s.api(`1/customer-tariff/delete?id=${ct}`),
        s.api(`1/lesson/update?id=${lesson}`, { status: 3, details: [{ customer_id: c, is_attend: 1 }] }),
      ])
      const deleted = succeeded(del, [refusal(wire.refused('lesson'))], 'customer-tariff/delete')
      assert.equal(conduct.status, 200, `lesson/update: ${conduct.text}`)
      const left = await total(s, `1/customer-tariff/index?customer_id=${c}`, { id: ct })
      assert.equal(left, deleted ? 0 : 1)
      const detail = (await s.api('1/lesson/index', { id: lesson, status: 3 })).body.items[0].details[0]
      if (!deleted) assert.deepEqual([detail.ctt_id, detail.commission], [ct, '625.00'])
      if (deleted && detail.ctt_id === ct) broken++
    }
    assert.equal(broken, 0, `${broken}/${ROUNDS} rounds left a charge through a deleted subscription`)
  })
})

/** The active admins as `token`'s user sees them; null when that user may no longer read them (401, 403). */
async function activeAdmins(s: Server, token: string): Promise<number[] | null> {
  const r = await s.call('user/index', { role: 'admin', is_active: 1 }, { token })
  if (r.status === 401 || r.status === 403) return null
  assert.equal(r.status, 200, r.text)
  return r.body.items.filter((u: { is_v2api: number }) => u.is_v2api === 1).map((u: { id: number }) => u.id)
}

describe('the last active admin under concurrent writes (§7.30)', () => {
  const s = suiteServer(env)
  interface Admin {
    id: number
    token: string
  }

  /** Two new admins made by `by`, who then steps down: they are the only active admins. */
  async function twoAdmins(by: Admin, round: number): Promise<[Admin, Admin]> {
    const made: Admin[] = []
    for (const name of ['a', 'b']) {
      const email = `${name}${round}.${Date.now()}@school.example`
      const r = await s.call('user/create', { name, email, role: 'admin' }, { token: by.token })
      assert.equal(r.status, 200, r.text)
      made.push({ id: r.body.model.id, token: await s.login(email, r.body.model.api_key) })
    }
    const down = await s.call(`user/update?id=${by.id}`, { role: 'manager' }, { token: by.token })
    assert.equal(down.status, 200, down.text)
    return made as [Admin, Admin]
  }

  /** The active admin who makes the next round's two (the tests pass it on). */
  let maker: Admin | null = null

  /**
   * Rounds of two admins, the only active ones, acting on each other at once; the one left active is the
   * next round's maker. A round that leaves none is counted, and an admin is made outside the API (as
   * the operator's command does) so that the next rounds can run.
   */
  async function rounds(
    act: (self: Admin, other: Admin) => Promise<Reply>,
    refusals: Array<{ status: number; body?: unknown }>,
  ): Promise<number> {
    if (!maker) {
      const root = await s.login()
      const me = await s.call('user/index', { role: 'admin' }, { token: root })
      maker = { id: me.body.items[0].id, token: root }
    }
    let broken = 0
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = await twoAdmins(maker, round)
      const replies = await Promise.all([act(a, b), act(b, a)])
      const wins = replies.filter((r) => succeeded(r, refusals, 'admin against admin')).length
      const left = (await activeAdmins(s, a.token)) ?? (await activeAdmins(s, b.token)) ?? []
      const survivors = [a, b].filter((x) => left.includes(x.id))
      assert.equal(survivors.length, 2 - wins)
      if (survivors[0]) {
        maker = survivors[0]
        continue
      }
      broken++
      const email = `rescue${round}.${Date.now()}@school.example`
      const { id, apiKey } = await createUser(s.db.kysely, { email, role: 'admin' })
      maker = { id, token: await s.login(email, apiKey) }
    }
    return broken
  }

  test('two admins demote each other at once: one of them stays an active admin', async () => {
    const broken = await rounds(
      (self, other) => s.call(`user/update?id=${other.id}`, { role: 'manager' }, { token: self.token }),
      // 403: the other's demotion was committed before this call was authorised.
      [refusal(LAST_ADMIN), { status: 403 }],
    )
    assert.equal(broken, 0, `${broken}/${ROUNDS} rounds left no active admin`)
  })

  test('two admins delete each other at once: one of them stays an active admin', async () => {
    const broken = await rounds(
      (self, other) => s.call(`user/delete?id=${other.id}`, {}, { token: self.token }),
      // 401: the caller was deleted (its tokens with it) before this call was authenticated.
      [refusal(LAST_ADMIN), { status: 401 }],
    )
    assert.equal(broken, 0, `${broken}/${ROUNDS} rounds left no active admin`)
  })
})

describe('the last branch under concurrent deletes (§7.1)', () => {
  const s = suiteServer(env)

  test('the only two branches deleted at once: one of them stays', async () => {
    let broken = 0
    for (let round = 0; round < ROUNDS; round++) {
      const before = (await s.api('branch/index')).body.items.map((b: { id: number }) => b.id)
      assert.equal(before.length, 1, 'one branch before the round')
      const added = await modelId(s, 'branch/create', { name: `Филиал ${round}` })
      const replies = await Promise.all([before[0], added].map((id) => s.api(`branch/delete?id=${id}`)))
      const wins = replies.filter((r) => succeeded(r, [refusal(LAST_BRANCH)], 'branch/delete')).length
      const left = await s.db.kysely.selectFrom('branches').select('id').execute()
      assert.equal(left.length, 2 - wins)
      if (left.length > 0) continue
      broken++
      await s.db.kysely
        .insertInto('branches')
        .values({ name: 'Восстановленный', is_active: 1, subject_ids: '[]', weight: 0 })
        .execute()
    }
    assert.equal(broken, 0, `${broken}/${ROUNDS} rounds left no branch`)
  })
})
