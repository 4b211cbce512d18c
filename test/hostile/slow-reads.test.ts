import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Reply, type Server, withServer } from '../helpers/server.js'

/**
 * One slow read must not stall everyone else (SQLite reads run on reader threads, db/readers), and a
 * statement over STATEMENT_TIMEOUT_MS is answered with a clear error instead of holding the server.
 *
 * The slow read is made on purpose: log rows whose text holds a long run of `"a`, searched with the
 * log's `field` filter for a long needle of the same run. LIKE tries the needle at every quote and
 * matches far into it each time, so each row costs (text × needle) steps on both databases: a few
 * hundred small rows make a read of about a second. Each call uses another needle, so nothing kept
 * from an earlier call (the memo of totals, the reply memo) answers it.
 */
const NOTE = JSON.stringify({ note: '"a'.repeat(2000) })

async function addSlowRows(s: Server, rows: number): Promise<void> {
  const row = {
    entity: 'Customer',
    entity_id: 0,
    user_id: 1,
    event: 2,
    fields_old: NOTE,
    fields_new: '[]',
    date_time: '2025-01-01 00:00:00',
    visibility: 'all',
  }
  for (let i = 0; i < rows; i += 50)
    await s.db.kysely
      .insertInto('log')
      .values(Array.from({ length: Math.min(50, rows - i) }, () => row))
      .execute()
}

let needles = 0
/** A slow log search, each time with another needle. */
const slowRead = (s: Server): Promise<Reply> =>
  s.api('1/log/index', { field: `${'a"'.repeat(1000 + needles++)}b` })

/** A cheap read that nothing kept can answer: another id each time. */
let ids = 0
const quickRead = (s: Server): Promise<Reply> => s.api('1/customer/index', { id: 100_000 + ids++ })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('slow reads', () => {
  test('two clients looping a slow read do not hold up other users’ simple requests', async () => {
    await withServer({ STATEMENT_TIMEOUT_MS: '0' }, async (s) => {
      await addSlowRows(s, 400)
      assert.equal((await slowRead(s)).status, 200)
      let slowEnded = Number.POSITIVE_INFINITY
      const slow = [slowRead(s), slowRead(s)].map((p) =>
        p.then((r) => {
          slowEnded = Math.min(slowEnded, performance.now())
          return r
        }),
      )
      // Both slow reads are under way before the simple ones are sent.
      await sleep(150)
      for (let i = 0; i < 10; i++) assert.equal((await quickRead(s)).status, 200)
      const quickEnded = performance.now()
      for (const r of await Promise.all(slow)) assert.equal(r.status, 200)
      assert.ok(
        quickEnded < slowEnded,
        `ten simple requests ended ${(quickEnded - slowEnded).toFixed(0)} ms after the first slow read`,
      )
    })
  })

  test('a read over the statement time limit is answered with a clear error; the server goes on', async () => {
    await withServer({ STATEMENT_TIMEOUT_MS: '150' }, async (s) => {
      await addSlowRows(s, 400)
      const r = await slowRead(s)
      assert.equal(r.status, 503, r.text)
      assert.equal(r.body.status, 503)
      assert.match(r.body.message, /took longer than .* and was stopped/)
      assert.equal((await quickRead(s)).status, 200)
    })
  })

  const readerThreads = { skip: process.env.TEST_DATABASE_URL ? 'reader threads are SQLite’s' : false }
  test(
    'readers given up on are bounded: beyond them a read is answered busy, then served again',
    readerThreads,
    async () => {
      await withServer({ STATEMENT_TIMEOUT_MS: '150', SQLITE_READERS: '1' }, async (s) => {
        await addSlowRows(s, 400)
        // The first is given up on after 150 ms; its reader thread still finishes the statement, and
        // with one reader allowed to be finishing, nothing may start another: the rest are refused.
        const replies = await Promise.all([slowRead(s), slowRead(s), slowRead(s)])
        for (const r of replies) assert.equal(r.status, 503, r.text)
        assert.ok(replies.some((r) => /took longer than/.test(r.body.message)))
        const busy = await quickRead(s)
        if (busy.status === 503) {
          assert.match(busy.body.message, /busy/)
          assert.equal(busy.headers.get('retry-after'), '1')
        }
        // Once the abandoned statement has finished, a new reader serves reads again.
        let status = busy.status
        for (let i = 0; status !== 200 && i < 300; i++) {
          await sleep(100)
          status = (await quickRead(s)).status
        }
        assert.equal(status, 200)
      })
    },
  )
})
