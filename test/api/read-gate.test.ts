import assert from 'node:assert/strict'
import http from 'node:http'
import { describe, test } from 'node:test'
import { make } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'

/**
 * Reads are admitted a few at a time (http/read-gate, READ_CONCURRENCY); here one at a time. Every read
 * still gets its answer in turn; a client that goes away while its read waits or runs gives its turn
 * back (else the gate would fill up and every later read would be refused as busy); writes pass by.
 */
describe('read gate (READ_CONCURRENCY)', () => {
  const s = suiteServer({ READ_CONCURRENCY: '1', REQUEST_TIMEOUT_S: '20' }, async (srv) => {
    for (let i = 0; i < 5; i++) await make.customer(srv, { name: `Очередь ${i}` })
  })

  test('many reads at once all answer, each with the full list', async () => {
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => s.api('1/customer/index', { name: 'Очередь', x: i })),
    )
    for (const r of replies) {
      assert.equal(r.status, 200, r.text)
      assert.equal(r.body.total, 5)
    }
  })

  test('reads whose clients went away give their turn back; writes are not held by the gate', async () => {
    const token = await s.login()
    for (let round = 0; round < 3; round++) {
      const gone = Array.from({ length: 20 }, (_, i) => {
        const body = JSON.stringify({ page: i, round })
        return new Promise<void>((resolve) => {
          const req = http.request(`${s.url}/v2api/1/customer/index`, {
            method: 'POST',
            agent: false,
            headers: { 'x-alfacrm-token': token, 'content-length': Buffer.byteLength(body) },
          })
          req.on('error', () => resolve())
          req.on('close', () => resolve())
          req.end(body)
          // Gone while its read waits for a turn, runs, or is answered.
          setTimeout(() => req.destroy(), i % 4)
        })
      })
      await Promise.all(gone)
    }
    const [write, ...reads] = await Promise.all([
      s.api('1/customer/create', { name: 'Очередь новая', is_study: 1, legal_type: 1 }),
      ...Array.from({ length: 10 }, () => s.api('1/customer/index', { name: 'Очередь' })),
    ])
    assert.equal(write!.status, 200, write!.text)
    for (const r of reads) {
      assert.equal(r.status, 200, r.text)
      assert.ok(r.body.total === 5 || r.body.total === 6)
    }
    assert.equal((await s.api('1/customer/index', { name: 'Очередь' })).body.total, 6)
  })
})
