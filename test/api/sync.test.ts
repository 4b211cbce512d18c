import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { attempt, idsOf, make, tag, wallClock } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'

/**
 * [ext] Incremental sync (issue 16): `updated_at_from`/`updated_at_to` on every model that changes,
 * deletes read from the log, and the `after_id` cursor for a full download while others write.
 */

/** Waits until the wall clock's second has moved past every stamp written so far; returns the new second. */
async function nextSecond(): Promise<string> {
  const start = wallClock()
  while (wallClock() === start) await sleep(50)
  return wallClock()
}

describe('incremental sync', () => {
  const s = suiteServer()

  test('updated_at_from returns exactly the rows written since, on several models', async () => {
    const c0 = await make.customer(s)
    const room0 = await make.room(s)
    const task0 = await make.task(s)
    const comment0 = await make.comment(s, 'customer', c0.id)
    const discount0 = await make.discount(s, c0.id)
    const since = await nextSecond()
    const c1 = await make.customer(s)
    const room1 = await make.room(s)
    const task1 = await make.task(s)
    const comment1 = await make.comment(s, 'customer', c1.id)
    const discount1 = await make.discount(s, c1.id)
    // Updates after `since` count too; archive (delete of a customer) is an update of `removed`.
    assert.equal((await s.api(`1/room/update?id=${room0.id}`, { note: 'moved' })).status, 200)
    assert.equal((await s.api(`1/task/update?id=${task0.id}`, { text: 'again' })).status, 200)
    const cases: Array<[string, number[], number[]]> = [
      ['1/customer/index', [c1.id], [c0.id]],
      ['1/room/index', [room0.id, room1.id], []],
      ['1/task/index', [task0.id, task1.id], []],
      [`1/communication/index?class=customer&related_id=${c1.id}`, [comment1.id], []],
      [`1/communication/index?class=customer&related_id=${c0.id}`, [], [comment0.id]],
      ['1/discount/index', [discount1.id], [discount0.id]],
    ]
    for (const [path, changed, unchanged] of cases) {
      const r = await s.api(path, { updated_at_from: since, count: 500 })
      assert.equal(r.status, 200, `${path}: ${r.text}`)
      const got = idsOf(r)
      for (const id of changed) assert.ok(got.includes(id), `${path}: ${id} changed since ${since}`)
      for (const id of unchanged) assert.ok(!got.includes(id), `${path}: ${id} unchanged since ${since}`)
    }
    // The upper bound: rows stamped up to a time, the rest excluded.
    const upTo = await s.api('1/room/index', { updated_at_to: '2000-01-01 00:00:00' })
    assert.equal(upTo.body.total, 0)
    // A malformed bound names its key.
    const bad = await s.api('1/lesson/index', { updated_at_from: 'yesterday' })
    assert.equal(bad.status, 400, bad.text)
    assert.match(bad.body.message, /updated_at_from/)
  })

  test('a pay stamps the customer whose balance it changes', async () => {
    const account = await make.payAccount(s)
    const c = await make.customer(s)
    const since = await nextSecond()
    const r0 = await s.api('1/customer/index', { id: c.id, updated_at_from: since })
    assert.equal(r0.body.total, 0)
    await make.pay(s, { customer_id: c.id, pay_account_id: account.id, income: '10' })
    const r1 = await s.api('1/customer/index', { id: c.id, updated_at_from: since })
    assert.equal(r1.body.total, 1, 'the balance is part of the customer')
  })

  test('deletes are log rows: entity, event 3, and after_id on the log', async () => {
    // A sync keeps the highest log id it has seen.
    const seen = Math.max(0, ...idsOf(await s.api('log/index', { count: 500 })))
    const room = await make.room(s)
    assert.equal((await s.api(`1/room/delete?id=${room.id}`)).status, 200)
    const r = await s.api('log/index', { after_id: seen, entity: 'Room', event: 3 })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(
      r.body.items.map((i: { entity_id: number }) => i.entity_id),
      [room.id],
    )
  })

  test('after_id: pages by id, no total, next_after_id to continue; with sort a 400', async () => {
    const made = []
    for (let i = 0; i < 5; i++) made.push((await make.room(s, { name: `Sync ${tag()}` })).id)
    const first = await s.api('1/room/index', { after_id: made[0]! - 1, count: 2 })
    assert.equal(first.status, 200, first.text)
    assert.equal(first.body.total, null)
    assert.deepEqual(idsOf(first), made.slice(0, 2))
    assert.equal(first.body.next_after_id, made[1])
    const second = await s.api(`1/room/index?after_id=${first.body.next_after_id}&count=2`)
    assert.deepEqual(idsOf(second), made.slice(2, 4))
    const end = await s.api('1/room/index', { after_id: made[4], count: 2 })
    assert.deepEqual(idsOf(end), [])
    assert.equal(end.body.next_after_id, made[4], 'an empty page keeps the cursor')
    assert.equal((await s.api('1/customer/index', { after_id: 0, sort: 'name' })).status, 400)
    assert.equal((await s.api('1/customer/index', { after_id: -1 })).status, 400)
  })

  test('a full download by after_id while another client writes ~50/s: every row committed before, no repeats', async () => {
    // 400 customers before the download starts.
    const before: number[] = []
    for (let round = 0; round < 40; round++) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => make.customer(s)))
      before.push(...batch.map((c) => c.id))
    }
    // Every customer that exists when the download starts (other tests' too).
    const committed = new Set<number>()
    let cursor = 0
    for (;;) {
      const r = await s.api('1/customer/index', { after_id: cursor, count: 1000 })
      for (const id of idsOf(r)) committed.add(id)
      // Pages are cut to MAX_PAGE_SIZE: the end is an empty page.
      if (r.body.count === 0) break
      cursor = r.body.next_after_id
    }
    for (const id of before) assert.ok(committed.has(id))

    // The writer: a create or an update every 20 ms, until told to stop.
    const written = new Set<number>()
    let stop = false
    let writes = 0
    const writer = (async () => {
      while (!stop) {
        const started = Date.now()
        if (writes % 2 === 0) {
          const r = await attempt.customer(s)
          assert.equal(r.status, 200, r.text)
          written.add(r.body.model.id)
        } else {
          const id = before[(writes * 7) % before.length]!
          const r = await s.api(`1/customer/update?id=${id}`, { note: `n${writes}` })
          assert.equal(r.status, 200, r.text)
        }
        writes++
        await sleep(Math.max(0, 20 - (Date.now() - started)))
      }
    })()
    await sleep(100)
    const downloaded: number[] = []
    cursor = 0
    for (;;) {
      const r = await s.api('1/customer/index', { after_id: cursor, count: 20 })
      assert.equal(r.status, 200, r.text)
      downloaded.push(...idsOf(r))
      if (r.body.count === 0) break
      cursor = r.body.next_after_id
      await sleep(10)
    }
    stop = true
    await writer
    assert.ok(writes > 10, `the writer wrote during the download (${writes} writes)`)
    assert.equal(new Set(downloaded).size, downloaded.length, 'no row twice')
    for (let i = 1; i < downloaded.length; i++) assert.ok(downloaded[i]! > downloaded[i - 1]!, 'in id order')
    const got = new Set(downloaded)
    for (const id of committed) assert.ok(got.has(id), `${id}, committed before the download, is in it`)
    for (const id of got) assert.ok(committed.has(id) || written.has(id), `${id} is a row that exists`)
  })
})
