import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { connect, type Db } from '../../src/db/connect.js'
import { idsOf, make } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'

/**
 * What the server keeps between requests (src/db/memo.ts, the reply memo of http/dispatch.ts) is only
 * ever served for the data it came from: a change committed by anyone — this server, or another
 * connection as another process would make — is seen by the very next read, in the same second.
 */
describe('kept reads follow every committed change', () => {
  // Pages of 5, so a few customers make several pages.
  const s = suiteServer({ MAX_PAGE_SIZE: '5' })
  let other: Db
  before(() => {
    other = connect({ databaseUrl: s.target.databaseUrl, dataDir: s.target.dataDir, poolSize: 1 })
  })
  after(() => other.close())

  const page = (body: Record<string, unknown> = {}) => s.api('1/customer/index', body)

  test('the same read twice gives the same bytes; a write through the API shows at once', async () => {
    const c = await make.customer(s)
    const first = await page({ id: c.id })
    const again = await page({ id: c.id })
    assert.equal(again.text, first.text)
    await s.api(`1/customer/update?id=${c.id}`, { name: 'Новое Имя Первое' })
    const after = await page({ id: c.id })
    assert.equal(after.body.items[0].name, 'Новое Имя Первое')
  })

  test('a change committed by another connection (another process) shows in the next read', async () => {
    const c = await make.customer(s)
    const before = await page()
    assert.ok(before.body.items.length > 0)
    const seen = await page({ id: c.id })
    assert.equal(seen.body.total, 1)
    await other.kysely
      .updateTable('customers')
      .set({ name: 'Снаружи Изменённый' })
      .where('id', '=', c.id)
      .execute()
    const renamed = await page({ id: c.id })
    assert.equal(renamed.body.items[0].name, 'Снаружи Изменённый')
    // A total kept for the default filters follows a row removed elsewhere.
    await other.kysely.updateTable('customers').set({ removed: 1 }).where('id', '=', c.id).execute()
    const now = await page()
    assert.equal(now.body.total, before.body.total - 1)
    assert.equal((await page({ id: c.id })).body.total, 0)
  })

  test('a token revoked by another connection is refused at once', async () => {
    const u = await make.user(s)
    assert.equal((await s.call('1/customer/index', {}, { token: u.token })).status, 200)
    await other.kysely.deleteFrom('tokens').where('user_id', '=', u.id).execute()
    assert.equal((await s.call('1/customer/index', {}, { token: u.token })).status, 401)
  })

  test('page starts kept for seeking follow rows removed elsewhere', async () => {
    const made = []
    for (let i = 0; i < 12; i++) made.push(await make.customer(s))
    const walk = async () => {
      const ids: number[] = []
      const total = (await page()).body.total as number
      for (let p = 0; p * 5 < total; p++)
        ids.push(...(await page({ page: p })).body.items.map((x: { id: number }) => x.id))
      return ids
    }
    const before = await walk()
    const p2 = await page({ page: 2 })
    assert.deepEqual(
      p2.body.items.map((x: { id: number }) => x.id),
      before.slice(10, 15),
    )
    // A customer of page 0 is archived elsewhere: every later page starts one row further on.
    await other.kysely.updateTable('customers').set({ removed: 1 }).where('id', '=', before[0]!).execute()
    const shifted = await page({ page: 2 })
    assert.equal(shifted.body.total, p2.body.total - 1)
    assert.deepEqual(
      shifted.body.items.map((x: { id: number }) => x.id),
      before.slice(11, 16),
    )
    assert.deepEqual(await walk(), before.slice(1))
  })
})

/**
 * A token's user and the user's branches are kept under a version of the tables they come from (db
 * `authVersion`), so writes of other records leave them kept; a change of the user or of a branch is
 * seen by the very next request.
 */
describe('kept token users and branches follow every change of them', () => {
  const s = suiteServer()

  test('writes of other records keep them; the user’s branches changed are seen at once', async () => {
    const second = await make.secondBranch(s)
    const u = await make.user(s)
    const call = (branch: number) => s.call(`${branch}/customer/index`, {}, { token: u.token })
    assert.equal((await call(1)).status, 200)
    assert.equal((await call(second.id)).status, 403)
    await make.customer(s)
    await make.customer(s)
    assert.equal((await call(1)).status, 200)
    const moved = await s.api(`user/update?id=${u.id}`, { branch_ids: [second.id] })
    assert.equal(moved.status, 200, moved.text)
    assert.equal((await call(1)).status, 403)
    assert.equal((await call(second.id)).status, 200)
  })

  test('a branch deactivated is seen at once by a path without a branch', async () => {
    const second = await make.secondBranch(s)
    const u = await make.user(s, { branch_ids: [1, second.id] })
    const there = await make.customer(s, { branch_ids: [second.id] })
    // Without a branch in the path, the active allowed branch with the lowest id is used (§2.5).
    const listed = async () =>
      idsOf(await s.call('customer/index', { id: there.id, is_study: 2 }, { token: u.token }))
    assert.deepEqual(await listed(), [])
    await make.customer(s)
    const off = await s.api(`branch/update?id=1`, { is_active: 0 })
    assert.equal(off.status, 200, off.text)
    try {
      assert.deepEqual(await listed(), [there.id])
    } finally {
      await s.api(`branch/update?id=1`, { is_active: 1 })
    }
  })
})
