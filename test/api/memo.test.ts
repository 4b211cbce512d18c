import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { connect, type Db } from '../../src/db/connect.js'
import { make } from '../helpers/make.js'
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
