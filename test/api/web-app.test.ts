import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import zlib from 'node:zlib'
import Fastify from 'fastify'
import { registerWebApp, WEB_DIST } from '../../src/http/web-app.js'
import { suiteServer } from '../helpers/server.js'

/** The staff app is served at `/` by the same server, without changing what the API answers. */
describe('the staff app is served at /', () => {
  const s = suiteServer()
  const page = (p: string, headers: Record<string, string> = {}) =>
    fetch(`${s.url}${p}`, { headers: { accept: 'text/html,application/xhtml+xml', ...headers } })

  test('a page path a browser opens gets index.html, revalidated, with the security headers', async () => {
    const index = fs.readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8')
    for (const p of ['/', '/customers', '/customers/5?tab=pays', '/leads']) {
      const r = await page(p)
      assert.equal(r.status, 200, p)
      assert.equal(await r.text(), index)
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/)
      assert.equal(r.headers.get('cache-control'), 'no-cache')
      assert.match(
        r.headers.get('content-security-policy') ?? '',
        /script-src 'self';.*frame-ancestors 'none'/,
      )
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff')
    }
    const etag = (await page('/')).headers.get('etag')!
    assert.equal((await page('/', { 'if-none-match': etag })).status, 304)
  })

  test('hashed assets are kept for a year and sent compressed when the browser accepts it', async () => {
    const index = fs.readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8')
    assert.match(index, /src="\/assets\/[^"]+\.js"/, 'index.html loads a script from /assets/')
    // The largest script (the boot script index.html names is a few kilobytes, the app's own much more).
    const [largest] = fs
      .readdirSync(path.join(WEB_DIST, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .sort(
        (a, b) =>
          fs.statSync(path.join(WEB_DIST, 'assets', b)).size -
          fs.statSync(path.join(WEB_DIST, 'assets', a)).size,
      )
    const script = `/assets/${largest}`
    const plain = fs.readFileSync(path.join(WEB_DIST, script))
    const br = await fetch(`${s.url}${script}`, { headers: { 'accept-encoding': 'br, gzip' } })
    assert.equal(br.status, 200)
    assert.equal(br.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    assert.match(br.headers.get('content-type') ?? '', /^text\/javascript/)
    // fetch decodes the body: what arrives is the script itself.
    assert.ok(Buffer.from(await br.arrayBuffer()).equals(plain))
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(`${s.url}${script}`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }),
          )
        }).on('error', reject),
      )
    })
    assert.equal(raw.encoding, 'gzip')
    assert.ok(zlib.gunzipSync(raw.body).equals(plain))
    assert.ok(raw.body.length < plain.length / 2, 'compressed')
  })

  test('everything else keeps the API’s answers: JSON 404 for unknown paths, assets and non-pages', async () => {
    for (const [p, headers] of [
      ['/assets/missing.js', {}],
      ['/nothing-here', { accept: 'application/json' }],
      ['/favicon.ico', {}],
      ['/customers.json', { accept: 'text/html' }],
    ] as const) {
      const r = await fetch(`${s.url}${p}`, { headers })
      assert.equal(r.status, 404, p)
      assert.deepEqual(await r.json(), {
        name: 'Not Found',
        message: 'Page not found.',
        code: 0,
        status: 404,
      })
    }
    const post = await fetch(`${s.url}/customers`, { method: 'POST', headers: { accept: 'text/html' } })
    assert.equal(post.status, 404)
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200)
    assert.equal((await page('/v2api/1/customer/index')).status, 401, 'the API is still the API')
    assert.match(await (await page('/docs')).text(), /swagger/i)
  })
})

test('an installation without the app build says how to build it', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'parta-web-'))
  const app = Fastify()
  registerWebApp(app, (_req, reply) => reply.code(404).send({}), empty)
  const r = await app.inject({ url: '/', headers: { accept: 'text/html' } })
  assert.equal(r.statusCode, 200)
  assert.match(r.body, /npm run build:web/)
  await app.close()
  fs.rmSync(empty, { recursive: true })
})
