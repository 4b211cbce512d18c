import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { models } from '../../src/models/index.js'
import { startServer } from '../helpers/server.js'

type Json = Record<string, unknown>
type Schema = { properties: Record<string, unknown>; required?: string[] }

let server: Awaited<ReturnType<typeof startServer>>
let doc: Json

before(async () => {
  server = await startServer()
  const res = await fetch(`${server.url}/v2api/openapi.json`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'application/json; charset=UTF-8')
  doc = (await res.json()) as Json
})

after(async () => {
  await server.close()
})

const schemas = () => (doc.components as { schemas: Record<string, Schema> }).schemas
const paths = () => Object.keys(doc.paths as Json)

test('serves an OpenAPI 3.1 document without a token', () => {
  assert.match(String(doc.openapi), /^3\.1/)
  assert.ok(paths().includes('/v2api/auth/login'))
})

test('documents a path for every model of the registry', () => {
  for (const key of models.keys()) {
    assert.ok(
      paths().some((p) => p.includes(`/${key}/`)),
      `no path for ${key}`,
    )
  }
})

test('describes the customer in field order, with its filters', () => {
  const customer = schemas().Customer
  assert.ok(customer, 'Customer schema')
  for (const field of ['name', 'phone', 'balance']) assert.ok(field in customer.properties, field)
  assert.deepEqual(customer.required, Object.keys(customer.properties))
  const filter = schemas().CustomerFilter
  assert.ok(filter && 'phone' in filter.properties, 'phone filter')
  assert.ok('page' in filter.properties, 'paging key')
})

test('every $ref points at a declared component', () => {
  const components = doc.components as Record<string, Json>
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? []
  for (const ref of new Set(refs)) {
    const [, section, name] = /#\/components\/(\w+)\/([^"]+)/.exec(ref) ?? []
    assert.ok(section && name && components[section]?.[name], `dangling ${ref}`)
  }
})

test('serves a readable docs page at /docs', async () => {
  const res = await fetch(`${server.url}/docs`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /text\/html/)
  const page = await res.text()
  assert.match(page, /swagger/i)
  // Every file the page loads is served, and nothing else from that folder.
  for (const src of page.matchAll(/(?:href|src)="(\/docs\/static\/[^"]+)"/g)) {
    const asset = await fetch(`${server.url}${src[1]}`)
    assert.equal(asset.status, 200, src[1])
    assert.ok((await asset.arrayBuffer()).byteLength > 100, src[1])
  }
  assert.equal((await fetch(`${server.url}/docs/static/..%2Fpackage.json`)).status, 404)
  assert.equal((await fetch(`${server.url}/docs/static/oauth2-redirect.html`)).status, 404)
})
