import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { models } from '../../src/models/index.js'
import { startServer } from '../helpers/server.js'

type Json = Record<string, unknown>
type Schema = { properties: Record<string, unknown>; required?: string[] }

const pascal = (s: string) => s.replace(/(?:^|[/-])(\w)/g, (_m, c: string) => c.toUpperCase())

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

test('passes Redocly lint with its recommended rules, without a warning', async () => {
  const config = await createConfig({ extends: ['recommended'] })
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config })
  const lines = problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)
  assert.deepEqual(lines, [])
})

test('names no spec section and no file outside the repository', () => {
  const text = JSON.stringify(doc)
  assert.doesNotMatch(text, /§/)
  assert.doesNotMatch(text, /\.\.\/|shared\/|v2api\.md/)
})

/** Every property of every schema, with the schema's name. */
function* properties(): Generator<[string, string, Json]> {
  for (const [name, schema] of Object.entries(schemas()))
    for (const [key, prop] of Object.entries(schema.properties ?? {})) yield [name, key, prop as Json]
}

test('describes every field of a model in English beside its Russian label', () => {
  for (const key of models.keys()) {
    const schema = schemas()[pascal(key)]
    assert.ok(schema, key)
    for (const [field, prop] of Object.entries(schema.properties)) {
      const description = String((prop as Json).description ?? '').replace(/«[^»]*»/g, '')
      assert.match(description, /[A-Za-z]{3}/, `${key}.${field}: "${description}"`)
    }
  }
  assert.match(String((schemas().Customer!.properties.name as Json).description), /«Имя»/)
})

test('explains the values of enums', () => {
  const customer = schemas().Customer!.properties as Record<string, Json>
  assert.deepEqual(customer.legal_type!.enum, [1, 2])
  assert.match(String(customer.legal_type!.description), /`1` natural person, `2` legal entity/)
  assert.match(String(customer.gender!.description), /`0` unspecified, `1` male, `2` female/)
  const status = (schemas().Lesson!.properties as Record<string, Json>).status!
  assert.match(String(status.description), /`1` planned, `2` cancelled, `3` conducted/)
  // Number codes need words; string values (`Customer`, `manager` …) and 0/1 flags speak for themselves.
  for (const [name, key, prop] of properties()) {
    const codes = Array.isArray(prop.enum) ? prop.enum.filter((v) => v !== null) : []
    if (!codes.every((v) => typeof v === 'number') || codes.join() === '0,1' || !codes.length) continue
    assert.match(String(prop.description), /`\d+` \w/, `${name}.${key} says what its values mean`)
  }
})

test('lets clients write typed lesson details and reads them back typed', () => {
  const ref = (p: unknown) => ((p as Json).items as Json).$ref
  const update = schemas().LessonUpdate!.properties
  const create = schemas().LessonCreate!.properties
  assert.equal(ref(update.details), '#/components/schemas/LessonDetailInput')
  assert.equal(ref(create.details), '#/components/schemas/LessonDetailInput')
  assert.equal(ref(schemas().Lesson!.properties.details), '#/components/schemas/LessonDetail')
  assert.notEqual((schemas().Lesson!.properties.details as Json).readOnly, true)
  const input = schemas().LessonDetailInput!
  assert.deepEqual(input.required, ['customer_id'])
  assert.deepEqual(Object.keys(input.properties), [
    'customer_id',
    'is_attend',
    'reason_id',
    'commission',
    'grade',
    'homework_grade_id',
    'bonus',
    'note',
  ])
  const commission = input.properties.commission as Json
  assert.deepEqual(commission.type, ['string', 'null'])
  assert.equal(commission.pattern, '^\\d+\\.\\d{2}$')
  const read = schemas().LessonDetail!.properties as Record<string, Json>
  for (const key of ['id', 'branch_id', 'lesson_id', 'ctt_id']) assert.equal(read[key]!.readOnly, true, key)
})

test('types every filter and states the defaults', () => {
  for (const [name, schema] of Object.entries(schemas())) {
    if (!name.endsWith('Filter')) continue
    for (const [key, prop] of Object.entries(schema.properties) as Array<[string, Json]>) {
      if (/ignored/.test(String(prop.description))) continue
      assert.ok(prop.type || prop.oneOf || prop.enum, `${name}.${key} has a type`)
      assert.match(String(prop.description), /[A-Za-z]{3}/, `${name}.${key} is described`)
    }
  }
  const customer = schemas().CustomerFilter!.properties as Record<string, Json>
  assert.equal(customer.is_study!.default, 1)
  assert.equal(customer.removed!.default, 0)
  assert.equal(customer.count!.default, 50)
  assert.equal(customer.page!.default, 0)
  assert.equal((schemas().LessonFilter!.properties.status as Json).default, 3)
})

test('documents `sort` where a model takes it, and pay/total and count with the filters and group_by', () => {
  const sort = schemas().CustomerFilter!.properties.sort as Json
  assert.match(String(sort.description), /`balance`/)
  const [list, array] = sort.oneOf as Json[]
  assert.ok(new RegExp(String(list!.pattern)).test('-balance,name'))
  assert.ok(!new RegExp(String(list!.pattern)).test('note'))
  assert.ok(((array!.items as Json).enum as string[]).includes('-name'))
  assert.ok(!('sort' in schemas().RoomFilter!.properties), 'only models that declare sorts')
  const total = (doc.paths as Record<string, any>)['/v2api/{branch}/pay/total'].post
  const [filters, own] = total.requestBody.content['application/json'].schema.allOf
  assert.equal(filters.$ref, '#/components/schemas/PayFilter')
  assert.deepEqual(own.properties.group_by.enum, ['pay_account_id', 'pay_type_id'])
  assert.equal(own.required, undefined, 'group_by is optional on pay/total')
  const reply = total.responses['200'].content['application/json'].schema
  assert.deepEqual(reply.required, ['count', 'income', 'refund', 'expense', 'salary', 'net'])
  assert.match(total.description, /confirmed/)
  const count = (doc.paths as Record<string, any>)['/v2api/{branch}/lesson/count'].post
  const [lessonFilters, lessonOwn] = count.requestBody.content['application/json'].schema.allOf
  assert.equal(lessonFilters.$ref, '#/components/schemas/LessonFilter')
  assert.deepEqual(lessonOwn.required, ['group_by'])
  assert.deepEqual(lessonOwn.properties.group_by.enum, ['status', 'teacher_id', 'room_id', 'subject_id'])
  assert.match(count.description, /once per teacher/)
  assert.deepEqual(count.responses['200'].content['application/json'].schema.required, ['total', 'groups'])
})

test('gives every create and update a request example', () => {
  for (const [path, item] of Object.entries(doc.paths as Record<string, any>)) {
    if (!/\/(create|update)$/.test(path)) continue
    assert.ok(item.post.requestBody.content['application/json'].example, path)
  }
})
