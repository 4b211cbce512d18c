import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { hashApiKey } from '../../src/auth/secrets.js'
import { models } from '../../src/models/index.js'
import { createRecord } from '../helpers/samples.js'
import { ADMIN, suiteServer } from '../helpers/server.js'
import { type Attack, send, Watch } from './client.js'
import { closeDumps } from './dump.js'
import { customKeys, declareCustomFields, prepareTargets, type Target, writableFields } from './targets.js'
import { HOSTILE, PLAIN } from './values.js'

/**
 * A seeded random generator of requests built from the model registry: valid sample bodies, filters,
 * scoping and ids, mutated in keys, values, types, paths, methods, headers and encodings. Every reply
 * is a spec shape below 500 within the timeout, and a rejected request changes nothing.
 * `HOSTILE_SEED` and `HOSTILE_RUNS` replay a failure or soak longer.
 */
const SEED = Number(process.env.HOSTILE_SEED ?? 20_251_129)
const RUNS = Number(process.env.HOSTILE_RUNS ?? 2000)

// Unexpected errors (the 500s this test hunts) are logged with their stack.
const s = suiteServer({ LOG_LEVEL: 'error' })
let token: string
let targets: Target[]
/** Ids of records of each model that exist, so that some mutated requests reach real records. */
const pool: number[] = []
/** Records made to be deleted, by registry key. */
const spare = new Map<string, number[]>()

const PAGING = ['page', 'per-page', 'count', 'pageSize', 'page_size', 'per_page']
const SMALL = HOSTILE.filter((v) => v.length < 2000)
const LARGE = HOSTILE.filter((v) => v.length >= 2000)

/** A body as ordered (key, JSON text) pairs: duplicate keys and unparseable numbers survive. */
type Pairs = Array<[string, string]>

interface Plan {
  /** An index into the targets: a counterexample prints as numbers, not as a model declaration. */
  route: number
  method: string
  path: ((t: Target) => string) & { toString(): string }
  token: 'valid' | 'none' | 'garbage'
  contentType: string | null
  strict: boolean
  encoding: 'json' | 'truncated' | 'form' | 'garbage'
  base: 'sample' | 'empty' | 'some'
  edits: Array<{ op: 'set' | 'drop' | 'wrap' | 'dup'; key: number; value: string }>
  query: Array<{ key: number; value: string }>
  idMode: 'real' | 'none' | 'hostile' | 'body'
}

const keysOf = (t: Target) => [
  ...writableFields(t.model, t.action).map(([n]) => n),
  ...Object.keys(t.model.filters),
  ...customKeys(t.model),
  ...PAGING,
  ...(t.model.scoping?.params.map((p) => p.name) ?? []),
  'id',
  'details',
  'zz_unknown',
  '__proto__',
  'constructor',
]

const jsonText = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SMALL) },
  { weight: 4, arbitrary: fc.constantFrom(...PLAIN) },
  { weight: 1, arbitrary: fc.constantFrom(...LARGE) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map((d) => JSON.stringify(d)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((x) => JSON.stringify(x)) },
  { weight: 2, arbitrary: fc.nat({ max: 400 }).map((i) => `"@${i}"`) },
)

const pathMutation = fc.oneof(
  { weight: 30, arbitrary: fc.constant((t: Target) => t.path) },
  { weight: 2, arbitrary: fc.constant((t: Target) => t.path.replace('/v2api/1/', '/v2api/')) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('2', '0', '9999999999', '1.5', '01')
      .map((b) => (t: Target) => t.path.replace('/v2api/1/', `/v2api/${b}/`)),
  },
  { weight: 1, arbitrary: fc.constant((t: Target) => `${t.path}/`) },
  { weight: 1, arbitrary: fc.constant((t: Target) => `${t.path}//`) },
  { weight: 1, arbitrary: fc.constant((t: Target) => t.path.toUpperCase()) },
  { weight: 1, arbitrary: fc.constant((t: Target) => t.path.replace(/-/g, '_')) },
  { weight: 1, arbitrary: fc.constant((t: Target) => t.path.slice(0, t.path.lastIndexOf('/'))) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('x', 'constructor', '%zz', '..', 'index')
      .map((seg) => (t: Target) => `${t.path}/${seg}`),
  },
)

function planArb(): fc.Arbitrary<Plan> {
  return fc.record({
    route: fc.nat({ max: targets.length - 1 }),
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constant('POST') },
      { weight: 5, arbitrary: fc.constant('GET') },
      { weight: 1, arbitrary: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE') },
    ),
    path: pathMutation,
    token: fc.oneof(
      { weight: 20, arbitrary: fc.constant('valid' as const) },
      { weight: 1, arbitrary: fc.constantFrom('none' as const, 'garbage' as const) },
    ),
    contentType: fc.constantFrom(
      'application/json',
      'application/json',
      null,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=zz',
      'application/json; charset=utf-16',
    ),
    strict: fc.oneof(
      { weight: 9, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    encoding: fc.oneof(
      { weight: 20, arbitrary: fc.constant('json' as const) },
      { weight: 1, arbitrary: fc.constantFrom('truncated' as const, 'form' as const, 'garbage' as const) },
    ),
    base: fc.constantFrom('sample' as const, 'sample' as const, 'some' as const, 'empty' as const),
    edits: fc.array(
      fc.record({
        op: fc.constantFrom(
          'set' as const,
          'set' as const,
          'set' as const,
          'drop' as const,
          'wrap' as const,
          'dup' as const,
        ),
        key: fc.nat(),
        value: jsonText,
      }),
      { maxLength: 4 },
    ),
    query: fc.array(fc.record({ key: fc.nat(), value: jsonText }), { maxLength: 2 }),
    idMode: fc.constantFrom(
      'real' as const,
      'real' as const,
      'real' as const,
      'none' as const,
      'hostile' as const,
      'body' as const,
    ),
  })
}

/** `"@n"` stands for an existing record's id, so that mutated bodies also name real records. */
const resolve = (text: string) =>
  /^"@\d+"$/.test(text) ? String(pool[Number(text.slice(2, -1)) % pool.length]) : text

const targetOf = (plan: Plan) => targets[plan.route]!

function bodyOf(plan: Plan): Pairs {
  const t = targetOf(plan)
  const sample = Object.entries(t.sample).map(([k, v]): [string, string] => [k, JSON.stringify(v)])
  const pairs: Pairs =
    plan.base === 'empty' ? [] : plan.base === 'some' ? sample.filter((_, i) => i % 2 === 0) : sample
  if (t.action !== 'create' && plan.base === 'sample') pairs.splice(0, pairs.length, ...sample.slice(0, 2))
  const keys = keysOf(t)
  for (const e of plan.edits) {
    const key = keys[e.key % keys.length]!
    const at = pairs.findIndex(([k]) => k === key)
    const value = resolve(e.value)
    if (e.op === 'drop' && at >= 0) pairs.splice(at, 1)
    else if (e.op === 'wrap' && at >= 0) pairs[at] = [key, `[${pairs[at]![1]}]`]
    else if (e.op === 'dup') pairs.push([key, value])
    else if (at >= 0) pairs[at] = [key, value]
    else pairs.push([key, value])
  }
  if (plan.idMode === 'body' && t.id !== null) pairs.push(['id', String(t.id)])
  return pairs
}

function encode(plan: Plan, pairs: Pairs): string {
  const json = `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`
  if (plan.encoding === 'truncated') return json.slice(0, Math.max(1, json.length - 3))
  if (plan.encoding === 'garbage')
    return json.replace(/[{":]/g, (c) => (c === ':' ? '=' : c === '"' ? "'" : '('))
  if (plan.encoding === 'form') {
    return pairs
      .map(([k, v]) => {
        try {
          return `${encodeURIComponent(k)}=${encodeURIComponent(String(JSON.parse(v)))}`
        } catch {
          return `${encodeURIComponent(k)}=x`
        }
      })
      .join('&')
  }
  return json
}

function queryOf(plan: Plan): string {
  const t = targetOf(plan)
  const parts = t.query ? t.query.split('&') : []
  const keys = keysOf(t)
  const destroys = t.action === 'delete' || t.action === 'restore'
  if (!t.isRead && t.action !== 'create' && t.id !== null) {
    // Real records are updated, but deleted only when they are spare ones (§6.9 deletes for good).
    const spares = spare.get(t.key) ?? []
    if (plan.idMode === 'real') parts.push(`id=${destroys ? (spares.shift() ?? t.id) : t.id}`)
    if (plan.idMode === 'hostile') parts.push(`id=${encodeURIComponent(plan.query[0]?.value ?? '-1')}`)
  }
  for (const q of plan.query) {
    let value: string
    try {
      value = String(JSON.parse(resolve(q.value)))
      value = encodeURIComponent(value)
    } catch {
      value = 'x'
    }
    parts.push(`${encodeURIComponent(keys[q.key % keys.length]!)}=${value.slice(0, 2000)}`)
  }
  return parts.join('&')
}

/** What makes two requests the same shape: route, method, encoding, and the JSON type of each key. */
function shapeOf(plan: Plan, path: string, pairs: Pairs, query: string): string {
  const type = (v: string) => {
    try {
      const x = JSON.parse(v)
      return Array.isArray(x) ? `array${x.length > 100 ? '+' : ''}` : x === null ? 'null' : typeof x
    } catch {
      return 'raw'
    }
  }
  const body = pairs.map(([k, v]) => `${k}:${type(v)}`).sort()
  const q = query
    .split('&')
    .map((p) => p.split('=')[0])
    .sort()
  return [plan.method, path, plan.token, plan.contentType, plan.encoding, plan.strict, body, q].join('|')
}

describe('fuzz: mutated requests from the registry', () => {
  before(async () => {
    token = await s.login()
    await declareCustomFields(s)
    targets = await prepareTargets(s)
    for (const t of targets) if (t.id !== null && !pool.includes(t.id)) pool.push(t.id)
    for (const [key, model] of models) {
      if (!model.actions.includes('delete') || !model.actions.includes('create')) continue
      spare.set(key, [await createRecord(s, models, key), await createRecord(s, models, key)])
    }
  })
  after(closeDumps)

  /** The fuzzer may revoke its own key or demote its own user (a valid write): put the admin back. */
  async function keepAdmin(watch: Watch) {
    const probe = await send(s.url, { path: '/v2api/1/branch/index', headers: { 'X-ALFACRM-TOKEN': token } })
    if (probe.status === 200) return
    await s.db.kysely
      .updateTable('users')
      .set({ is_active: 1, is_v2api: 1, role: 'admin', api_key_hash: await hashApiKey(ADMIN.api_key) })
      .where('id', '=', 1)
      .execute()
    token = await s.login()
    await watch.rebase()
  }

  test(`${RUNS} mutated requests (seed ${SEED}): spec shapes, no 500, no hang, rejections change nothing`, async (t) => {
    const watch = new Watch(s.db, s.url)
    const shapes = new Set<string>()
    const statuses: Record<number, number> = {}
    const started = Date.now()
    await fc.assert(
      fc.asyncProperty(planArb(), async (plan) => {
        const pairs = bodyOf(plan)
        const query = queryOf(plan)
        const target = targetOf(plan)
        const path = plan.path(target)
        const headers: Record<string, string> = {}
        if (plan.token === 'valid') headers['X-ALFACRM-TOKEN'] = token
        if (plan.token === 'garbage') headers['X-ALFACRM-TOKEN'] = 'f'.repeat(64)
        if (plan.contentType) headers['Content-Type'] = plan.contentType
        if (plan.strict) headers['X-Strict'] = '1'
        const attack: Attack = { method: plan.method, path: query ? `${path}?${query}` : path, headers }
        if (plan.method !== 'HEAD') attack.body = encode(plan, pairs)
        shapes.add(shapeOf(plan, path, pairs, query))
        const r = await watch.attack(attack, !target.isRead)
        statuses[r.status] = (statuses[r.status] ?? 0) + 1
        if (r.status === 200 && (target.key === 'user' || target.key === 'branch')) await keepAdmin(watch)
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    )
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    t.diagnostic(`${watch.sent} requests, ${shapes.size} distinct shapes, ${seconds} s, seed ${SEED}`)
    t.diagnostic(`statuses ${JSON.stringify(statuses)}`)
    assert.ok((statuses[200] ?? 0) > RUNS / 10, 'too few requests were accepted to reach the actions')
    assert.ok(shapes.size > RUNS / 2, 'too few distinct request shapes')
  })
})
