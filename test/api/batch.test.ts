import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MAX_BATCH, runBatch } from '../../src/http/batch.js'
import { models } from '../../src/models/index.js'
import { make, tag } from '../helpers/make.js'
import { type Reply, type Server, suiteServer } from '../helpers/server.js'

/**
 * [ext] `POST /v2api/batch`: several reads in one request. Each entry answers exactly what the same call
 * sent alone answers (byte for byte), in request order; writes are never run; the batch itself is
 * authenticated and CSRF-checked like any call; one refused entry does not fail the others.
 */

interface Entry {
  path: string
  query?: Record<string, unknown>
  body?: unknown
}

const PASSWORD = 'correct horse battery'
const CSRF = { 'x-parta-csrf': '1' }
const NOT_BATCHABLE = {
  name: 'Bad Request',
  message: 'Only read actions (index, counts, totals, calendar views) can be sent in a batch.',
  code: 0,
  status: 400,
}

/** What a batch answers for an entry it does not run. */
const refusal = { status: 400, text: JSON.stringify(NOT_BATCHABLE) } as Reply

/** The query string a direct call would carry for an entry's query (scalars and lists of scalars). */
function queryString(query: Record<string, unknown> = {}): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(query)) {
    const values = Array.isArray(v) ? v.map((x, i) => [`${k}[${i}]`, x]) : [[k, v]]
    for (const [key, x] of values) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(x))}`)
  }
  return parts.length ? `?${parts.join('&')}` : ''
}

/** Each entry sent alone, as a client would, with the same credentials. */
function alone(
  s: Server,
  entries: Entry[],
  opts: { token?: string | null; headers?: Record<string, string> },
) {
  return Promise.all(entries.map((e) => s.call(`${e.path}${queryString(e.query)}`, e.body ?? {}, opts)))
}

/** The batch reply's entries must be the separate replies: same status, same JSON text. */
function assertSame(batch: Reply, direct: Reply[], entries: Entry[]) {
  assert.equal(batch.status, 200, batch.text)
  const replies = batch.body.replies as Array<{ status: number; body: unknown }>
  assert.equal(replies.length, direct.length)
  replies.forEach((r, i) => {
    const what = `#${i} ${entries[i]!.path}`
    assert.equal(r.status, direct[i]!.status, what)
    assert.equal(JSON.stringify(r.body), direct[i]!.text, what)
  })
}

describe('batch of reads [ext]', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' })

  test('every entry answers byte for byte what it answers alone, in request order', async () => {
    for (let i = 0; i < 3; i++) await make.room(s)
    const field = await make.customField(s, { model: 'customer' })
    const name = `Пакет ${tag()}`
    const pupils = []
    for (let i = 0; i < 4; i++) pupils.push(await make.customer(s, { name: `${name} ${i}` }))
    const entries: Entry[] = [
      { path: '1/room/index' },
      { path: 'branch/index' },
      { path: 'custom-field/index', body: { model: 'customer' } },
      { path: '1/customer/index', body: { name, count: 2, page: 1 } },
      { path: '1/customer/index', query: { id: [pupils[0]!.id, pupils[2]!.id] } },
      { path: '1/customer', query: { name }, body: { count: 1 } },
      { path: '1/customer/count', body: { name, group_by: 'study_status_id' } },
      { path: '1/pay/total', body: {} },
      { path: 'user/index' },
      { path: '1/customer/index', body: { sort: 'no_such_field' } },
      { path: '1/nothing/index' },
      { path: '1/customer/update', query: { id: pupils[0]!.id }, body: { name: 'Чужое' } },
    ]
    const batch = await s.api('batch', { requests: entries })
    const admin = await s.login()
    const direct = await alone(s, entries.slice(0, -1), { token: admin })
    assertSame(batch, [...direct, refusal], entries)
    // Sanity: the entries really are the data, not all errors.
    const replies = batch.body.replies
    assert.equal(replies[2].body.items.at(-1).id, field.id)
    assert.deepEqual(
      replies[3].body.items.map((c: { id: number }) => c.id),
      [pupils[2]!.id, pupils[3]!.id],
    )
    assert.deepEqual(
      replies[4].body.items.map((c: { id: number }) => c.id),
      [pupils[0]!.id, pupils[2]!.id],
    )
    assert.equal(replies[5].body.total, 4)
    assert.equal(replies[9].status, 400)
    assert.equal(replies[10].status, 404)
    assert.deepEqual(replies[11], { status: 400, body: NOT_BATCHABLE })
  })

  test('a write is refused unrun whatever its form; the reads beside it still answer', async () => {
    const pupil = await make.customer(s)
    const roomName = `Ауд. ${tag()}`
    const before = await s.api('1/room/index', { name: roomName })
    const writes: Entry[] = [
      { path: '1/room/create', body: { name: roomName } },
      { path: 'room/create', body: { name: roomName } },
      { path: '1/customer/update', query: { id: pupil.id }, body: { name: 'Переименован' } },
      { path: '1/customer/delete', query: { id: pupil.id } },
      { path: 'branch/create', body: { name: roomName } },
      { path: 'auth/login', body: { email: 'admin@school.example', api_key: 'x' } },
      { path: 'auth/session', body: { email: 'admin@school.example', password: PASSWORD } },
      { path: 'auth/sign-out' },
      { path: 'auth/password', body: { current_password: 'a', new_password: 'b' } },
      { path: 'batch', body: { requests: [{ path: '1/room/create', body: { name: roomName } }] } },
    ]
    const r = await s.api('batch', {
      requests: [...writes, { path: '1/customer/index', body: { id: pupil.id } }],
    })
    assert.equal(r.status, 200, r.text)
    const replies = r.body.replies
    for (const [i, w] of writes.entries())
      assert.deepEqual(replies[i], { status: 400, body: NOT_BATCHABLE }, w.path)
    assert.equal(replies[writes.length].status, 200)
    assert.equal(replies[writes.length].body.items[0].name, pupil.name)
    // Nothing was written: no room, the pupil unchanged and not archived, the token still valid.
    assert.equal((await s.api('1/room/index', { name: roomName })).body.total, before.body.total)
    const now = await s.api('1/customer/index', { id: pupil.id })
    assert.equal(now.body.items[0].name, pupil.name)
    assert.equal(now.body.items[0].is_study, pupil.is_study)
    assert.equal((await s.api('branch/index', { name: roomName })).body.total, 0)
    assert.equal((await s.api('auth/me')).status, 200)
  })

  test(`more than ${MAX_BATCH} entries is a 400 in the API's error shape; ${MAX_BATCH} are served`, async () => {
    const entry = { path: '1/room/index' }
    const over = await s.api('batch', { requests: Array(MAX_BATCH + 1).fill(entry) })
    assert.equal(over.status, 400, over.text)
    assert.deepEqual(over.body, {
      name: 'Bad Request',
      message: `A batch holds at most ${MAX_BATCH} requests.`,
      code: 0,
      status: 400,
    })
    const full = await s.api('batch', { requests: Array(MAX_BATCH).fill(entry) })
    assert.equal(full.status, 200, full.text)
    assert.equal(full.body.replies.length, MAX_BATCH)
    assert.ok(full.body.replies.every((r: { status: number }) => r.status === 200))
    const none = await s.api('batch', { requests: [] })
    assert.deepEqual(none.body, { replies: [] })
  })

  test('a body of another shape is a 400 naming requests; broken JSON is the usual 400', async () => {
    for (const body of [{}, { requests: 'x' }, { requests: [{}] }, { requests: [{ path: 1 }] }]) {
      const r = await s.api('batch', body)
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`)
      assert.match(r.body.message, /requests/)
    }
    const q = await s.api('batch', { requests: [{ path: '1/room/index', query: [1] }] })
    assert.equal(q.status, 400)
    const broken = await s.api('batch', undefined, { raw: '{"requests": [' })
    assert.deepEqual(broken.body, (await s.api('1/room/index', undefined, { raw: '{"x": [' })).body)
    assert.equal(broken.status, 400)
  })

  test('an entry the user may not read gets the same refusal as alone; the others still answer', async () => {
    const second = await make.branch(s)
    const manager = await make.user(s, { role: 'manager', branch_ids: [1] })
    const entries: Entry[] = [
      { path: 'user/index' },
      { path: '1/room/index' },
      { path: `${second.id}/room/index` },
      { path: 'branch/index' },
      { path: 'log/index' },
      { path: '1/customer/index', body: { count: 3 } },
    ]
    const batch = await s.call('batch', { requests: entries }, { token: manager.token })
    const direct = await alone(s, entries, { token: manager.token })
    assertSame(batch, direct, entries)
    assert.deepEqual(
      batch.body.replies.map((r: { status: number }) => r.status),
      [403, 200, 403, 200, direct[4]!.status, 200],
    )
  })

  test('an unauthenticated batch is refused like any unauthenticated call', async () => {
    const requests = [{ path: '1/room/index' }]
    for (const token of [null, 'f'.repeat(64), 'short']) {
      const r = await s.call('batch', { requests }, { token })
      const d = await s.call('1/room/index', {}, { token })
      assert.equal(r.status, 401, r.text)
      assert.equal(r.text, d.text)
    }
  })

  test('with the session cookie: the CSRF header and own Origin are required, as for any cookie call', async () => {
    const u = await make.user(s, { role: 'manager', branch_ids: [1], password: PASSWORD }, { login: false })
    const signIn = await s.call('auth/session', { email: u.email, password: PASSWORD }, { headers: CSRF })
    assert.equal(signIn.status, 200, signIn.text)
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!
    const entries: Entry[] = [{ path: '1/room/index' }, { path: 'user/index' }, { path: 'auth/me' }]
    const as = { token: null, headers: { cookie, ...CSRF } }
    const batch = await s.call('batch', { requests: entries }, as)
    const direct = await alone(s, entries.slice(0, 2), as)
    assertSame(batch, [...direct, refusal], entries)

    // Without the header, or from another site, the batch is the 403 any cookie call gets.
    for (const headers of [{ cookie }, { cookie, ...CSRF, origin: 'https://evil.example' }]) {
      const r = await s.call('batch', { requests: entries }, { token: null, headers })
      const d = await s.call('1/room/index', {}, { token: null, headers })
      assert.equal(r.status, 403, r.text)
      assert.equal(r.text, d.text)
    }
    const own = await s.call(
      'batch',
      { requests: entries },
      { token: null, headers: { ...as.headers, origin: s.url } },
    )
    assert.equal(own.status, 200, own.text)
  })

  test('the OpenAPI document describes it, and its example is served as it says', async () => {
    const doc = (await (await fetch(`${s.url}/v2api/openapi.json`)).json()) as Record<string, any>
    const op = doc.paths['/v2api/batch'].post
    assert.match(op.description, /Up to 20 read calls/)
    assert.equal(op.requestBody.content['application/json'].schema.properties.requests.maxItems, MAX_BATCH)
    const example = op.requestBody.content['application/json'].example
    const r = await s.api('batch', example)
    assert.deepEqual(
      r.body.replies.map((x: { status: number }) => x.status),
      [200, 200, 200, 400],
    )
    assert.deepEqual(r.body.replies[3].body, NOT_BATCHABLE)
  })

  test('GET is served like POST, as on every route; other methods are 405', async () => {
    const requests = [{ path: 'branch/index' }]
    const get = await s.api('batch', undefined, { method: 'GET' })
    assert.equal(get.status, 400, 'a GET without a body names the missing requests')
    const r = await s.api('batch', { requests }, { method: 'PUT' })
    assert.equal(r.status, 405, r.text)
  })
})

describe('batch deadline [ext]', () => {
  test('entries not started before the request timeout are answered 408 and never run', async () => {
    let ran = 0
    const app = {
      inject: async () => {
        ran++
        return { statusCode: 200, payload: '{}' }
      },
    } as unknown as FastifyInstance
    const req = { id: 'r1', headers: {} } as unknown as FastifyRequest
    const entries = [{ path: '1/room/index', query: {}, body: undefined }]
    const late = JSON.parse(await runBatch(app, models, req, entries, Date.now() - 1))
    assert.deepEqual(late.replies, [
      { status: 408, body: { name: 'Request Timeout', message: 'Request timed out.', code: 0, status: 408 } },
    ])
    assert.equal(ran, 0)
    const inTime = JSON.parse(await runBatch(app, models, req, entries, Date.now() + 60_000))
    assert.deepEqual(inTime.replies, [{ status: 200, body: {} }])
    assert.equal(ran, 1)
  })
})
