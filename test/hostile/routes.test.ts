import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { models } from '../../src/models/index.js'
import { suiteServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'
import { type Answer, assertSpecShape, send, sendBytes, Watch } from './client.js'
import { changedTables, closeDumps, dumpDatabase } from './dump.js'

/**
 * Hostile paths, methods, query strings, headers and broken HTTP (§1.1–§1.2, §1.5, §1.7, §1.10,
 * §1.11): a spec shape with a 4xx for each, never a 500 or a hang, and nothing changes.
 */
const s = suiteServer()
let token: string

const PROTOTYPE_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'prototype']

const UNKNOWN_PATHS = [
  '/',
  '/v2api',
  '/v2api/',
  '/v2api//customer/index',
  '/v2api/1//customer/index',
  '/v2api/1/customer/index/extra',
  '/v2api/1/customer/index//',
  '/v2api/1/Customer/index',
  '/v2api/1/customer/INDEX',
  '/v2api/customer_tariff/index',
  '/v2api/1/customer/view',
  '/v2api/log/create',
  '/v2api/calendar/index',
  '/v2api/12345678901/customer/index',
  '/v2api/-1/customer/index',
  '/v2api/1.5/customer/index',
  '/v2api/auth',
  '/v2api/auth/login/x',
  '/v2api/1/auth/login',
  '/v2api/../v2api/1/customer/index',
  '/v2api/./customer/index',
  '/v2api/1/customer%2Findex',
  '/v2api/%00/index',
  '/v2api/1/customer/index%00',
  '/v2api/%zz/index',
  '/v2api/%/index',
  '/v2api/%E0%A4%A/index',
  '/v2api/%D0%BA%D0%B8%D1%80/index',
  '/v2api/1/teacher/working-hour/index/x',
  '/v2api/1/teacher/teacher/index',
  '/v2api/1/teacher/constructor/index',
  `/v2api/${'a'.repeat(8000)}/index`,
  `/v2api/${'1/'.repeat(500)}customer/index`,
  '/api/v2/customer/index',
  '/V2API/customer/index',
  ...PROTOTYPE_NAMES.flatMap((name) => [
    `/v2api/${name}/index`,
    `/v2api/1/${name}`,
    ...[...models.keys()].map((key) => `/v2api/1/${key}/${name}`),
  ]),
]

describe('hostile routes, methods, query strings and HTTP', () => {
  before(async () => {
    token = await s.login()
  })
  after(closeDumps)

  const auth = () => ({ 'X-ALFACRM-TOKEN': token, 'Content-Type': 'application/json' })

  test('a path that is not a route is a 404, with or without a token, by any method', async (t) => {
    const watch = new Watch(s.db, s.url)
    for (const [i, path] of UNKNOWN_PATHS.entries()) {
      const method = ['POST', 'GET', 'PUT', 'DELETE'][i % 4]!
      for (const headers of [auth(), {}]) {
        const r = await watch.attack({ method, path, headers, body: '{"id":1}' }, false)
        assert.deepEqual(r.body, wire.notFoundRoute, `${method} ${path}`)
      }
    }
    t.diagnostic(`${watch.sent} requests`)
  })

  test('every method but GET and POST on a route is a 405 with Allow, before the token is read', async () => {
    const watch = new Watch(s.db, s.url)
    const methods = [
      'PUT',
      'PATCH',
      'DELETE',
      'OPTIONS',
      'TRACE',
      'PROPFIND',
      'SEARCH',
      'MKCOL',
      'PURGE',
      'LOCK',
    ]
    for (const [key, model] of models) {
      const path = `/v2api/1/${key}/${model.actions[0] ?? Object.keys(model.extra ?? {})[0]}`
      for (const [i, method] of methods.entries()) {
        const headers = i % 2 ? auth() : {}
        const r = await watch.attack({ method, path, headers, body: '{"name":"x"}' }, false)
        assert.deepEqual(r.body, wire.methodNotAllowed, `${method} ${path}`)
      }
      const head = await send(s.url, { method: 'HEAD', path, headers: auth() })
      assert.equal(head.status, 405)
      assert.equal(head.headers.allow, 'GET, POST')
    }
  })

  test('broken HTTP gets a reply in the spec shape and the connection is closed', async () => {
    const before = await dumpDatabase(s.db)
    const line = (start: string, headers: string[], body = '') =>
      `${start}\r\n${['Host: x', 'Connection: close', ...headers].join('\r\n')}\r\n\r\n${body}`
    const requests = [
      line('FOO /v2api/1/customer/index HTTP/1.1', []),
      line('POST /v2api/1/customer/index HTTP/9.9', []),
      line('POST /v2api/1/customer/index', []),
      line('POST /v2api/1/customer/index HTTP/1.1', ['X-Bad\u0001: y']),
      line('POST /v2api/1/customer/index HTTP/1.1', ['Content-Length: abc'], '{}'),
      line('POST /v2api/1/customer/index HTTP/1.1', ['Content-Length: 2', 'Content-Length: 3'], '{}'),
      line(
        'POST /v2api/1/customer/index HTTP/1.1',
        ['Transfer-Encoding: chunked', 'Content-Length: 2'],
        '{}',
      ),
      line('POST /v2api/1/customer/index HTTP/1.1', ['Transfer-Encoding: chunked'], 'zz\r\n'),
      line(`POST /v2api/1/customer/index?${'a'.repeat(20_000)}=1 HTTP/1.1`, []),
      line('POST /v2api/1/customer/index HTTP/1.1', [`X-Long: ${'a'.repeat(20_000)}`]),
      line(
        'POST /v2api/1/customer/index HTTP/1.1',
        Array.from({ length: 3000 }, (_, i) => `X-H${i}: 1`),
      ),
      line('POST /v2api/%zz/index HTTP/1.1', []),
      line('POST /v2api/кириллица/index HTTP/1.1', []),
      line('POST /v2api/1/customer/index%zz HTTP/1.1', [`X-ALFACRM-TOKEN: ${token}`]),
      'POST /v2api/1/customer/index HTTP/1.1\r\nConnection: close\r\n\r\n',
      '\u0000\u0001\u0002 garbage\r\n\r\n',
    ]
    for (const bytes of requests) {
      const r: Answer = await sendBytes(s.url, bytes)
      assertSpecShape(r, JSON.stringify(bytes.slice(0, 80)))
      assert.ok(r.status >= 400, JSON.stringify(bytes.slice(0, 80)))
    }
    assert.deepEqual(changedTables(before, await dumpDatabase(s.db)), [])
  })

  test('PHP bracket abuse in query strings is tolerated and pollutes nothing', async (t) => {
    const watch = new Watch(s.db, s.url)
    const queries = [
      'a[b][c][d][e][f][g]=1',
      'id[b][c][d][e][f][g]=1',
      '__proto__[x]=1&constructor[prototype][y]=1&prototype[z]=1',
      '__proto__=1&id[__proto__]=2',
      'a[99999999]=1&id[99999999]=1',
      'id[]=1&id[]=2&ids[]=3',
      'id[a]=1',
      'page[]=1',
      'per-page[x]=1',
      'page=1e999&per-page=-5',
      'page=99999999999999999999',
      'per-page=0&count=abc',
      `${'id[]=1&'.repeat(3000)}x=1`,
      `${'x'.repeat(1000)}[${'['.repeat(500)}=1`,
      '%E0%A4%A=1&%=%&%%%=1',
      '&&&==&=&[]=1&[a]=2&]=3',
      'name=%00&note=%C0%80&email=%FF',
      'name=%25_o&phone=%2B7%20(999)',
      'id=1;DROP%20TABLE%20customers',
    ]
    const paths = [
      '/v2api/1/customer/index',
      '/v2api/1/customer/update',
      '/v2api/1/cgi/index',
      '/v2api/1/calendar/customer',
    ]
    for (const q of queries) {
      for (const path of paths) {
        for (const method of ['GET', 'POST']) {
          await watch.attack({ method, path: `${path}?${q}`, headers: auth(), body: '{}' }, false)
        }
      }
    }
    const probe: Record<string, unknown> = {}
    assert.equal(probe.x, undefined)
    assert.equal(probe.y, undefined)
    assert.equal(probe.z, undefined)
    t.diagnostic(`${watch.sent} requests`)
  })

  test('hostile headers: tokens, request ids and strict flags', async () => {
    const watch = new Watch(s.db, s.url)
    const tokens = [
      '',
      ' ',
      'x'.repeat(64),
      token.toUpperCase().replace(/./, 'G'),
      `${token} `,
      `${token}${token}`,
      'é'.repeat(64),
      'null',
      '0'.repeat(64),
    ]
    for (const bad of tokens) {
      const r = await watch.attack(
        { path: '/v2api/1/customer/index', headers: { 'X-ALFACRM-TOKEN': bad }, body: '{}' },
        false,
      )
      if (bad.trim() !== token) assert.deepEqual(r.body, wire.unauthorized, JSON.stringify(bad))
    }
    for (const id of ['', ' ', 'a'.repeat(129), 'é', '../../etc', 'a b', 'ok-id_1.2']) {
      const r = await watch.attack(
        { path: '/v2api/1/customer/index', headers: { ...auth(), 'X-Request-Id': id }, body: '{}' },
        false,
      )
      const echoed = /^[A-Za-z0-9._-]{1,128}$/.test(id)
      assert.equal(r.headers['x-request-id'] === id, echoed, JSON.stringify(id))
    }
    for (const flag of ['1', '0', 'true', '', '1, 1', 'é']) {
      await watch.attack(
        {
          path: '/v2api/1/customer/index',
          headers: { ...auth(), 'X-Strict': flag },
          body: '{"zzz":1,"name":{}}',
        },
        false,
      )
    }
  })
})
