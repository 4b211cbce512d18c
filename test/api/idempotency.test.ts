import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { attempt, make, tag } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'

/**
 * [ext] Idempotent writes (issue 16): a write sent with an `Idempotency-Key` runs once per user and key;
 * retries get the first reply again, marked `Idempotent-Replayed: true`.
 */
const key = () => `k-${tag()}-${tag()}`
const withKey = (k: string) => ({ headers: { 'idempotency-key': k } })

describe('Idempotency-Key', () => {
  let account = 0
  const s = suiteServer({}, async (server) => {
    account = (await make.payAccount(server)).id
  })

  async function balanceOf(customerId: number) {
    const r = await s.api('1/customer/index', { id: customerId, is_study: 2, removed: 1 })
    return [r.body.items[0].balance, r.body.items[0].paid_count]
  }

  test('20 concurrent identical pay/create with one key: one pay, 20 equal replies, the balance changes once', async () => {
    const c = await make.customer(s)
    const k = key()
    const body = { customer_id: c.id, pay_account_id: account, income: '1500' }
    const replies = await Promise.all(Array.from({ length: 20 }, () => attempt.pay(s, body, withKey(k))))
    for (const r of replies) assert.equal(r.status, 200, r.text)
    assert.equal(new Set(replies.map((r) => r.text)).size, 1, 'every reply is the same bytes')
    assert.equal(replies.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 19)
    const pays = await s.api('1/pay/index', { customer_id: c.id })
    assert.equal(pays.body.total, 1, pays.text)
    assert.equal(pays.body.items[0].id, replies[0]!.body.model.id)
    assert.deepEqual(await balanceOf(c.id), ['1500.00', 1])
    // A later retry is answered from what was kept, still without writing.
    const again = await attempt.pay(s, body, withKey(k))
    assert.equal(again.text, replies[0]!.text)
    assert.equal(again.headers.get('idempotent-replayed'), 'true')
    assert.equal((await s.api('1/pay/index', { customer_id: c.id })).body.total, 1)
  })

  test('the same key with a different body, query or path is a 422 naming the header', async () => {
    const c = await make.customer(s)
    const k = key()
    const body = { customer_id: c.id, pay_account_id: account, income: '100' }
    assert.equal((await attempt.pay(s, body, withKey(k))).status, 200)
    for (const r of [
      await attempt.pay(s, { ...body, income: '200' }, withKey(k)),
      await s.api('1/pay/create?x=1', body, withKey(k)),
      await s.api('1/customer/create', { name: 'Другой', is_study: 0, legal_type: 1 }, withKey(k)),
    ]) {
      assert.equal(r.status, 422, r.text)
      assert.equal(r.body.success, false)
      assert.match(r.body.message, /Idempotency-Key was already used with a different request/)
      assert.deepEqual(Object.keys(r.body.errors), ['Idempotency-Key'])
    }
    assert.deepEqual(await balanceOf(c.id), ['100.00', 1])
  })

  test('a key is per user: another user with the same key writes and gets its own reply', async () => {
    const other = await make.user(s, { role: 'manager', branch_ids: [1] })
    const c = await make.customer(s)
    const k = key()
    const body = { customer_id: c.id, pay_account_id: account, income: '10' }
    const mine = await attempt.pay(s, body, withKey(k))
    const theirs = await attempt.pay(s, body, { ...withKey(k), token: other.token })
    assert.equal(mine.status, 200, mine.text)
    assert.equal(theirs.status, 200, theirs.text)
    assert.notEqual(theirs.body.model.id, mine.body.model.id)
    assert.equal(theirs.headers.get('idempotent-replayed'), null)
    assert.deepEqual(await balanceOf(c.id), ['20.00', 2])
  })

  test('update and delete: a retry does not write again', async () => {
    const c = await make.customer(s, { note: 'a' })
    const k = key()
    const first = await s.api(`1/customer/update?id=${c.id}`, { note: 'b' }, withKey(k))
    assert.equal(first.status, 200, first.text)
    // Changed meanwhile by someone else: the retry must not put 'b' back.
    await s.api(`1/customer/update?id=${c.id}`, { note: 'c' })
    const retry = await s.api(`1/customer/update?id=${c.id}`, { note: 'b' }, withKey(k))
    assert.equal(retry.text, first.text)
    assert.equal(retry.headers.get('idempotent-replayed'), 'true')
    const now = await s.api('1/customer/index', { id: c.id })
    assert.equal(now.body.items[0].note, 'c')
    const log = await s.api('log/index', { entity: 'Customer', entity_id: c.id, event: 2 })
    assert.equal(log.body.total, 2, 'two updates logged, not three')

    const p = await make.pay(s, { customer_id: c.id, pay_account_id: account, income: '5' })
    const dk = key()
    const del = await s.api(`1/pay/delete?id=${p.id}`, {}, withKey(dk))
    assert.equal(del.status, 200, del.text)
    const delAgain = await s.api(`1/pay/delete?id=${p.id}`, {}, withKey(dk))
    assert.equal(delAgain.status, 200, 'the kept success, not the 404 a second delete gives')
    assert.equal(delAgain.headers.get('idempotent-replayed'), 'true')
    assert.equal((await s.api(`1/pay/delete?id=${p.id}`, {})).status, 404)
  })

  test('a refused write is kept too: its retry is the same 422, and nothing is written', async () => {
    const k = key()
    const bad = await attempt.customer(s, { name: '' }, withKey(k))
    assert.equal(bad.status, 422, bad.text)
    const again = await attempt.customer(s, { name: '' }, withKey(k))
    assert.equal(again.status, 422)
    assert.equal(again.text, bad.text)
    assert.equal(again.headers.get('idempotent-replayed'), 'true')
  })

  test('a malformed key is a 400; reads ignore the header', async () => {
    for (const bad of ['x'.repeat(256), 'has space', '']) {
      const r = await attempt.customer(s, {}, withKey(bad))
      assert.equal(r.status, 400, `${bad.slice(0, 10)}: ${r.text}`)
      assert.match(r.body.message, /Idempotency-Key/)
    }
    assert.equal((await attempt.customer(s, {}, withKey('x'.repeat(255)))).status, 200)
    const r = await s.api('1/customer/index', {}, withKey('read-key'))
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('idempotent-replayed'), null)
  })

  test('an expired key is purged and then free for a new request', async () => {
    const c = await make.customer(s)
    const k = key()
    const body = { customer_id: c.id, pay_account_id: account, income: '1' }
    assert.equal((await attempt.pay(s, body, withKey(k))).status, 200)
    await s.db.kysely
      .updateTable('idempotency_keys')
      .set({ expires_at: '2000-01-01T00:00:00.000Z' })
      .where('key', '=', k)
      .execute()
    const reuse = await attempt.pay(s, { ...body, income: '2' }, withKey(k))
    assert.equal(reuse.status, 200, reuse.text)
    assert.equal(reuse.headers.get('idempotent-replayed'), null)
    assert.deepEqual(await balanceOf(c.id), ['3.00', 2])
    const { purgeExpired } = await import('../../src/http/idempotency.js')
    await s.db.kysely
      .updateTable('idempotency_keys')
      .set({ expires_at: '2000-01-01T00:00:00.000Z' })
      .execute()
    assert.ok((await purgeExpired(s.db)) >= 1)
    const left = await s.db.kysely.selectFrom('idempotency_keys').select('key').execute()
    assert.equal(left.length, 0)
  })
})

describe('find-or-create a lead: customer/create?dedupe=', () => {
  const s = suiteServer({}, async (server) => {
    await make.secondBranch(server)
  })
  const lead = (fields: Record<string, unknown>, query = '') =>
    s.api(`1/customer/create${query}`, { name: `Лид ${tag()}`, is_study: 0, legal_type: 1, ...fields })
  const count = async () => (await s.api('1/customer/index', { is_study: 2, count: 1 })).body.total as number

  test('dedupe=phone: a differently written phone returns the existing customer and creates nothing', async () => {
    const first = await lead({ phone: ['+7 (912) 555-01-02'] }, '?dedupe=phone')
    assert.equal(first.status, 200, first.text)
    assert.equal(first.body.deduplicated, false)
    const n = await count()
    for (const phone of ['8 912 555 01 02', '79125550102', '+7-912-555-0102']) {
      const again = await lead({ phone: ['+7 000', phone], name: 'Другое имя' }, '?dedupe=phone')
      assert.equal(again.status, 200, again.text)
      assert.equal(again.body.deduplicated, true)
      assert.equal(again.body.success, true)
      assert.equal(again.body.model.id, first.body.model.id)
      assert.equal(again.body.model.name, first.body.model.name, 'the existing record, unchanged')
    }
    assert.equal(await count(), n, 'nothing created')
    // Without dedupe a duplicate is made, as in Alfa CRM.
    const plain = await lead({ phone: ['89125550102'] })
    assert.equal(plain.status, 200)
    assert.equal(plain.body.deduplicated, undefined)
    assert.notEqual(plain.body.model.id, first.body.model.id)
  })

  test('dedupe=email compares case-insensitively; other branches and archived customers do not match', async () => {
    const email = `Lead.${tag()}@Example.org`
    const first = await lead({ email: [email] }, '?dedupe=email')
    const again = await lead({ email: [email.toLowerCase()] }, '?dedupe=email')
    assert.equal(again.body.deduplicated, true)
    assert.equal(again.body.model.id, first.body.model.id)
    // Branch 2 sees no customer of branch 1.
    const elsewhere = await s.api('2/customer/create?dedupe=email', {
      name: 'Лид',
      is_study: 0,
      legal_type: 1,
      email: [email],
    })
    assert.equal(elsewhere.status, 200, elsewhere.text)
    assert.equal(elsewhere.body.deduplicated, false)
    // Archived: not matched, a new lead is made.
    const phone = `+7 913 ${Math.floor(Math.random() * 9e6 + 1e6)}`
    const old = await lead({ phone: [phone] })
    assert.equal((await s.api(`1/customer/delete?id=${old.body.model.id}`)).status, 200)
    const back = await lead({ phone: [phone] }, '?dedupe=phone')
    assert.equal(back.body.deduplicated, false)
    assert.notEqual(back.body.model.id, old.body.model.id)
  })

  test('concurrent duplicates make one customer; an unknown rule is a 400; validation still applies', async () => {
    const phone = `+7 914 ${Math.floor(Math.random() * 9e6 + 1e6)}`
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => lead({ phone: [phone] }, '?dedupe=phone')),
    )
    assert.equal(new Set(replies.map((r) => r.body.model.id)).size, 1)
    assert.equal(replies.filter((r) => r.body.deduplicated === false).length, 1)
    const bad = await lead({}, '?dedupe=name')
    assert.equal(bad.status, 400, bad.text)
    assert.match(bad.body.message, /dedupe/)
    assert.equal((await s.api('1/room/create?dedupe=phone', { name: 'x' })).status, 400)
    assert.equal((await lead({ name: '', phone: [phone] }, '?dedupe=phone')).status, 422)
  })
})
