import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { suiteServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'
import { type Answer, type Attack, assertSpecShape, send } from './client.js'
import { changedTables, closeDumps, type Dump, dumpDatabase } from './dump.js'
import { pathOf, prepareTargets, type Target, writableFields } from './targets.js'

/**
 * Hostile bodies and transport on every route of the registry (§1.6, §1.11, §3.7): malformed and
 * truncated JSON, non-object JSON, oversized bodies, odd content types, deep nesting. Every reply is a
 * spec shape, never a 500 or a hang, and a rejected request changes nothing in the database.
 */
const s = suiteServer()
let token: string
let targets: Target[]

const JSON_CT = { 'Content-Type': 'application/json' }
const auth = (headers: Record<string, string> = JSON_CT) => ({ 'X-ALFACRM-TOKEN': token, ...headers })

/** Runs a batch of attacks, checks each reply, and that the database is as before the batch. */
async function rejectedBatch(attacks: Array<Attack & { expect?: (r: Answer) => void }>) {
  const before: Dump = await dumpDatabase(s.db)
  for (const a of attacks) {
    const r = await send(s.url, a)
    const what = `${a.method ?? 'POST'} ${a.path.slice(0, 120)} ${String(a.body ?? '').slice(0, 60)}`
    assertSpecShape(r, what)
    assert.notEqual(r.status, 200, `${what}: accepted`)
    a.expect?.(r)
  }
  assert.deepEqual(
    changedTables(before, await dumpDatabase(s.db)),
    [],
    'a rejected request changed the database',
  )
  return attacks.length
}

const MALFORMED = [
  '{',
  '}',
  '{"name":',
  '{"name":"x"',
  '{"name":"x",}',
  '{"a":1}}',
  '{"a":1}{"b":2}',
  "{'a':1}",
  '{a:1}',
  '[1,2',
  'nul',
  'tru',
  '"unterminated',
  '{"a":"\u0001"}',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":01}',
  '{"a":.5}',
  '{"a":0x10}',
  '{"a":"\\x41"}',
  '{"a":"\\u12"}',
  '\uFEFF\uFEFF{}',
  '{"a":1} // comment',
  '/* c */ {}',
  '\u0000',
  '{"a":1}\u0000',
  '<xml/>',
  'id=1&name=x',
]
const NOT_OBJECTS = ['123', '-1', '1e308', 'true', 'false', '"text"', '[1]', '[{}]', '[[]]', '[null]', '"{}"']

describe('hostile bodies', () => {
  before(async () => {
    token = await s.login()
    targets = await prepareTargets(s)
  })
  after(closeDumps)
  test('malformed, truncated and non-object JSON on every route and method is a 400', async (t) => {
    const bodies = [...MALFORMED, ...NOT_OBJECTS]
    const attacks: Attack[] = []
    for (const [i, target] of targets.entries()) {
      const whole = JSON.stringify({ ...target.sample, page: 0 })
      const truncated = [1, Math.floor(whole.length / 2), whole.length - 1].map((n) => whole.slice(0, n))
      // Every route gets the truncations and a rotating share of the malformed bodies; every body is
      // sent to many routes, by POST and by GET.
      const share = bodies.filter((_, j) => (j + i) % 11 === 0)
      for (const [j, body] of [...truncated, ...share].entries()) {
        if (body.trim() === '{}') continue
        attacks.push({ method: j % 2 ? 'GET' : 'POST', path: pathOf(target, 999_999), headers: auth(), body })
      }
    }
    const count = await rejectedBatch(
      attacks.map((a) => ({
        ...a,
        expect: (r: Answer) => assert.deepEqual(r.body, wire.badJson, String(a.body)),
      })),
    )
    t.diagnostic(`${count} requests on ${targets.length} routes`)
  })

  test('login reads an unreadable body as no credentials: 403, never a 400', async () => {
    await rejectedBatch(
      [...MALFORMED, ...NOT_OBJECTS].map((body) => ({
        path: '/v2api/auth/login',
        headers: JSON_CT,
        body,
        // Ten attempts a minute per client and e-mail (§2.7): the rest are 429.
        expect: (r: Answer) => assert.ok(r.status === 403 || r.status === 429),
      })),
    )
  })

  test('the body check comes after the token: a bad body without a token is a 401', async () => {
    await rejectedBatch(
      targets.slice(0, 20).map((target) => ({
        path: pathOf(target, 999_999),
        headers: { ...JSON_CT, 'X-ALFACRM-TOKEN': 'x'.repeat(64) },
        body: '{',
        expect: (r: Answer) => assert.deepEqual(r.body, wire.unauthorized),
      })),
    )
  })

  test('a body over MAX_BODY_BYTES is a 413 on POST and GET, declared or chunked', async () => {
    const big = `{"name":"${'x'.repeat(1_048_576)}"}`
    const attacks: Attack[] = []
    for (const target of targets.filter((_, i) => i % 7 === 0)) {
      attacks.push({ path: pathOf(target, 999_999), headers: auth(), body: big })
      attacks.push({ method: 'GET', path: pathOf(target, 999_999), headers: auth(), body: big })
      attacks.push({
        path: pathOf(target, 999_999),
        headers: { ...auth(), 'Transfer-Encoding': 'chunked' },
        body: big,
      })
      attacks.push({
        method: 'GET',
        path: pathOf(target, 999_999),
        headers: { ...auth(), 'Transfer-Encoding': 'chunked' },
        body: big,
      })
    }
    await rejectedBatch(
      attacks.map((a) => ({ ...a, expect: (r) => assert.deepEqual(r.body, wire.tooLarge) })),
    )
  })

  test('a declared Content-Length over the limit is refused before the body arrives', async () => {
    for (const method of ['POST', 'GET']) {
      const r = await send(s.url, {
        method,
        path: '/v2api/1/customer/index',
        headers: { ...auth(), 'Content-Length': String(50 * 1024 * 1024), Connection: 'close' },
      })
      assertSpecShape(r, `${method} declared 50 MB`)
      assert.deepEqual(r.body, wire.tooLarge)
    }
  })

  test('1 MB strings within MAX_BODY_BYTES are refused by every string field, never a 500', async () => {
    const huge = 'ж'.repeat(400_000) // 800 000 bytes in UTF-8
    const attacks: Attack[] = []
    // One string field per model and action, and every string kind at least once.
    const kinds = new Set<string>()
    for (const target of targets.filter((t) => t.action === 'create' || t.action === 'update')) {
      const strings = writableFields(target.model, target.action).filter(([, k]) => /^string/.test(k.type))
      for (const [name, kind] of strings) {
        if (kinds.has(`${target.action} ${kind.type}`)) continue
        kinds.add(`${target.action} ${kind.type}`)
        attacks.push({
          path: pathOf(target, 999_999),
          headers: auth(),
          body: JSON.stringify({ [name]: huge }),
        })
      }
    }
    await rejectedBatch(attacks)
  })

  test('bodies are read as JSON whatever the Content-Type says (§1.6)', async () => {
    const types = [
      undefined,
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=koi8-r',
      ';;;',
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=utf-8',
      'ä/ö',
      'application/json'.repeat(500),
    ]
    for (const type of types) {
      const headers = type === undefined ? auth({}) : auth({ 'Content-Type': type })
      const r = await send(s.url, {
        path: '/v2api/1/customer/index',
        headers,
        body: '{"name":"Кириллица","per-page":1}',
      })
      assertSpecShape(r, `Content-Type ${type}`)
      assert.equal(r.status, 200)
      assert.equal(r.body.count, 0)
    }
  })

  test('form bodies with PHP bracket abuse are tolerated and pollute nothing', async () => {
    const forms = [
      'a[b][c][d][e][f][g]=1',
      '__proto__[x]=1&constructor[prototype][y]=1&prototype[z]=1',
      'a[99999999]=1&a[]=2',
      `${'a[]=1&'.repeat(5000)}name=x`,
      'id[a]=1',
      'name[]=x',
      'page[]=1',
      '%E0%A4%A=1&%=%&%%%=1',
      '&&&==&=&[]=1&[a]=2',
      `${'['.repeat(1000)}=1`,
      'name=%00&note=%C0%80',
    ]
    const before = await dumpDatabase(s.db)
    for (const body of forms) {
      for (const path of ['/v2api/1/customer/index', '/v2api/1/customer/update?id=999999']) {
        const r = await send(s.url, {
          path,
          headers: auth({ 'Content-Type': 'application/x-www-form-urlencoded' }),
          body,
        })
        assertSpecShape(r, `${path} form ${body.slice(0, 50)}`)
      }
    }
    assert.equal(({} as Record<string, unknown>).x, undefined)
    assert.equal(({} as Record<string, unknown>).y, undefined)
    assert.deepEqual(changedTables(before, await dumpDatabase(s.db)), [])
  })

  test('null, "", [] and blank bodies mean {} (§1.6)', async () => {
    for (const body of ['', '   \n\t', 'null', '""', '[]', '\uFEFF', '\uFEFF{}', ' {} ']) {
      const r = await send(s.url, { path: '/v2api/1/customer/index', headers: auth(), body })
      assertSpecShape(r, `body ${JSON.stringify(body)}`)
      assert.equal(r.status, 200)
    }
  })

  test('deeply nested bodies (depth 10 000) never overflow the stack', async (t) => {
    const depth = 10_000
    const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    const deepArray = `${'['.repeat(depth)}1${']'.repeat(depth)}`
    const attacks: Attack[] = []
    for (const [i, target] of targets.entries()) {
      const deep = i % 4 === 1 ? deepArray : deepObject
      const fields = Object.keys(target.model.fields).filter((n) => n !== 'id')
      if (i % 8 === 0) attacks.push({ path: pathOf(target, 999_999), headers: auth(), body: deep })
      if (i % 2 === 1) continue
      // Fourteen fields of 50 kB each stay within MAX_BODY_BYTES.
      const body = `{${[...fields.slice(0, 14), 'id', 'page', 'per-page', 'details'].map((f) => `"${f}":${deep}`).join(',')}}`
      attacks.push({ path: pathOf(target, 999_999), headers: auth(), body })
    }
    const before = await dumpDatabase(s.db)
    for (const a of attacks) assertSpecShape(await send(s.url, a), `${a.path} deep`)
    assert.deepEqual(changedTables(before, await dumpDatabase(s.db)), [])
    t.diagnostic(`${attacks.length} deep bodies`)
  })
})
