import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Model } from '../../src/engine/model.js'
import { models } from '../../src/models/index.js'
import { createPath, registryKey, SCOPED, sampleBody } from '../helpers/samples.js'
import { suiteServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'
import { type Answer, type Attack, assertSpecShape, send } from './client.js'
import { changedTables, closeDumps, dumpDatabase } from './dump.js'
import { customKeys, declareCustomFields, prepareTargets, type Target } from './targets.js'
import { HOSTILE } from './values.js'

/**
 * Hostile filter values on every filter of every model (§4.4–§4.6): a 200 or a 400 naming the key,
 * never a 500; LIKE and SQL metacharacters in text filters match themselves, literally.
 */
const s = suiteServer()
let token: string
let targets: Target[]

/** Node's default limit on the request line and headers together (--max-http-header-size). */
const HEADER_LIMIT = 16 * 1024 - 1024

const PAGING = ['page', 'per-page', 'count', 'pageSize', 'page_size', 'per_page']
/** Index filters that show every record whatever its default filters (§4.7). */
const EVERYTHING = { removed: 1, is_study: 2, status: [1, 2, 3] }

/** The query without one parameter: a hostile scoping value must come from the body (§1.8). */
const without = (query: string, key: string) =>
  query
    .split('&')
    .filter((p) => p && p.split('=')[0] !== key)
    .join('&')

/** A JSON value as PHP query parameters (§1.7); null when it has no query form. */
function asQuery(key: string, json: string): string | null {
  let v: unknown
  try {
    v = JSON.parse(json)
  } catch {
    return null
  }
  const enc = (x: string) => {
    try {
      return encodeURIComponent(x)
    } catch {
      return 'x' // a lone surrogate has no UTF-8 form
    }
  }
  if (Array.isArray(v) && v.length <= 50 && v.every((x) => typeof x !== 'object' || x === null))
    return v.map((x) => `${enc(key)}[]=${enc(String(x))}`).join('&')
  if (typeof v === 'object' && v !== null) return null
  return `${enc(key)}=${enc(String(v))}`
}

describe('hostile filter values', () => {
  before(async () => {
    token = await s.login()
    await declareCustomFields(s)
    targets = (await prepareTargets(s)).filter((t) => t.isRead)
  })
  after(closeDumps)

  const headers = () => ({ 'X-ALFACRM-TOKEN': token, 'Content-Type': 'application/json' })

  /** Reads only: each reply is a 200 or a 400, and the whole batch leaves the database as it was. */
  async function reads(attacks: Attack[], allowed = [200, 400]): Promise<Answer[]> {
    const before = await dumpDatabase(s.db)
    const answers: Answer[] = []
    for (const a of attacks) {
      const r = await send(s.url, a)
      const what = `${a.path.slice(0, 160)} ${String(a.body).slice(0, 120)}`
      assertSpecShape(r, what)
      // A request line past Node's 16 KiB header limit is refused before routing, in the API's shape.
      const ok = allowed.includes(r.status) || (r.status === 431 && a.path.length > HEADER_LIMIT)
      assert.ok(ok, `${what} → ${r.status} ${r.text.slice(0, 200)}`)
      answers.push(r)
    }
    assert.deepEqual(changedTables(before, await dumpDatabase(s.db)), [], 'a read changed the database')
    return answers
  }

  const keysOf = (t: Target) => [
    ...Object.keys(t.model.filters),
    ...customKeys(t.model),
    ...PAGING,
    ...(t.model.sortable.size > 0 ? ['sort'] : []),
    ...(t.model.scoping?.params.map((p) => p.name) ?? []),
    ...(t.key === 'calendar' ? ['id', 'date1', 'date2'] : []),
  ]

  test('every filter, paging key and scoping parameter takes hostile values: 200 or 400', async (t) => {
    let sent = 0
    let keys = 0
    for (const target of targets) {
      const attacks: Attack[] = []
      for (const [i, key] of keysOf(target).entries()) {
        keys++
        // Every key gets two values; every model gets half of the values, every value many models.
        const n = Math.max(2, Math.ceil(HOSTILE.length / 2 / keysOf(target).length))
        for (let j = 0; j < n; j++) {
          const value = HOSTILE[(i * n + j + (targets.indexOf(target) % 2) * 41) % HOSTILE.length]!
          const query = without(target.query, key)
          const inQuery = j % 3 === 2 ? asQuery(key, value) : null
          const q = [query, inQuery].filter(Boolean).join('&')
          attacks.push({
            path: `${target.path}${q ? `?${q}` : ''}`,
            headers: headers(),
            body: inQuery ? '{}' : `{${JSON.stringify(key)}:${value}}`,
          })
        }
      }
      sent += (await reads(attacks)).length
    }
    t.diagnostic(`${sent} requests over ${keys} keys`)
  })

  test('many filters at once, each with 10 000 values, stay within the database limits', async () => {
    const many = `[${Array.from({ length: 10_000 }, (_, i) => i + 1).join(',')}]`
    for (const target of targets.filter((t) => t.action === 'index')) {
      const keys = [...Object.keys(target.model.filters), ...customKeys(target.model)]
      // Fifteen lists of 10 000 fill most of MAX_BODY_BYTES.
      const attacks: Attack[] = []
      for (let at = 0; at < keys.length; at += 15) {
        const body = `{${keys
          .slice(at, at + 15)
          .map((k) => `${JSON.stringify(k)}:${many}`)
          .join(',')}}`
        attacks.push({ path: `${target.path}?${target.query}`, headers: headers(), body })
      }
      await reads(attacks)
    }
  })

  test('a value too long for a LIKE pattern is a 200 or a 400 on every filter', async () => {
    // 9 000 control characters: within the longest field, but six times longer once JSON-escaped.
    const body = (key: string) => JSON.stringify({ [key]: '\u0001'.repeat(9_000) })
    for (const target of targets.filter((t) => t.action === 'index')) {
      await reads(
        Object.keys(target.model.filters).map((key) => ({
          path: `${target.path}?${target.query}`,
          headers: headers(),
          body: body(key),
        })),
      )
    }
  })

  test('a filter list over 10 000 values is a 400 naming the key', async () => {
    const many = `[${Array.from({ length: 10_001 }, (_, i) => i + 1).join(',')}]`
    const [r] = await reads([{ path: '/v2api/1/customer/index', headers: headers(), body: `{"id":${many}}` }])
    assert.deepEqual(r!.body, wire.badParam('id'))
  })

  test('strict mode names a hostile unknown key in a 400', async () => {
    const strict = { ...headers(), 'X-Strict': '1' }
    for (const key of ['zz', '__proto__', 'constructor', 'a\u0000b', 'ключ', '😀', '']) {
      const [r] = await reads([
        { path: '/v2api/1/customer/index', headers: strict, body: `{${JSON.stringify(key)}:1}` },
      ])
      assert.deepEqual(r!.body, wire.unknownParam(key), JSON.stringify(key))
    }
  })

  // A value with every character that LIKE, SQL quoting or escaping could misread, and decoys that a
  // wildcard reading of it would match.
  const TARGET = `50%_off'"; DROP TABLE t;--\\ Ёж`
  const DECOYS = ['500 off', '5x0yoff DROP TABLE t', 'Еж']
  const NEEDLES = ['%_o', '_', "'", '\\', '"; DROP TABLE', 'ёЖ', TARGET]

  async function create(
    model: Model,
    field: string,
    value: string,
  ): Promise<{ id: number; query: string } | null> {
    const key = registryKey(models, model)
    const query = SCOPED[key] ? await SCOPED[key]!(s, models) : ''
    const body = await sampleBody(s, models, model)
    const isList = model.fields[field]!.type === 'string[]'
    const r = await s.api(createPath(key, query), { ...body, [field]: isList ? [value] : value })
    return r.status === 200 ? { id: r.body.model.id, query } : null
  }

  test('LIKE and SQL metacharacters in every text filter match literally', async (t) => {
    let checked = 0
    const skipped: string[] = []
    for (const [key, model] of models) {
      if (!model.actions.includes('create')) continue
      // Phone filters compare digits only (§4.5): they are not text filters.
      const isPhone = (f: string) =>
        Object.keys(model.fields[f]?.extraColumns?.([], f) ?? {}).includes(`${f}_digits`)
      const textFilters = Object.keys(model.filters).filter(
        (f) => /^string/.test(model.fields[f]?.type ?? '') && !isPhone(f),
      )
      for (const field of textFilters) {
        const target = await create(model, field, TARGET)
        if (!target) {
          // A field with its own format (a custom field's code) cannot hold the value.
          skipped.push(`${key}.${field}`)
          continue
        }
        const decoys: number[] = []
        for (const d of DECOYS) {
          const c = await create(model, field, d)
          if (c) decoys.push(c.id)
        }
        const scope = SCOPED[key] ? target.query : ''
        const found = async (needle: unknown) => {
          const [r] = await reads([
            {
              path: `/v2api/1/${key}/index?${[scope, 'per-page=50'].filter(Boolean).join('&')}`,
              headers: headers(),
              body: JSON.stringify({ ...EVERYTHING, [field]: needle }),
            },
          ])
          return r!.body.items as Array<Record<string, unknown>>
        }
        const all = await found(TARGET)
        assert.ok(
          all.some((i) => i.id === target.id),
          `${key}.${field} does not find its own value`,
        )
        const isSubstring = (await found('50%')).some((i) => i.id === target.id)
        for (const needle of NEEDLES) {
          const items = await found(needle)
          const ids = items.map((i) => i.id as number)
          assert.ok(!ids.some((id) => decoys.includes(id)), `${key}.${field} ${needle}: a decoy matched`)
          if (isSubstring) {
            assert.ok(ids.includes(target.id), `${key}.${field} ${needle}: the target is missing`)
            // Every record found holds the needle itself, case-insensitively (§4.5).
            for (const item of items) {
              const held = [item[field]].flat().map((v) => String(v).toLowerCase())
              assert.ok(
                held.some((v) => v.includes(needle.trim().toLowerCase())),
                `${key}.${field} ${needle}: found ${JSON.stringify(item[field])}`,
              )
            }
          }
          checked++
        }
      }
    }
    assert.ok(skipped.length <= 2, `too many text filters skipped: ${skipped.join(', ')}`)
    t.diagnostic(`${checked} literal searches; skipped (field formats): ${skipped.join(', ') || 'none'}`)
  })
})
