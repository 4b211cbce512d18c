import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FieldKind } from '../../src/fields/kind.js'
import { suiteServer } from '../helpers/server.js'
import { Watch } from './client.js'
import { closeDumps } from './dump.js'
import {
  customKeys,
  declareCustomFields,
  pathOf,
  prepareTargets,
  type Target,
  writableFields,
} from './targets.js'
import { HOSTILE } from './values.js'

/**
 * Wrong JSON types, edge numbers, odd strings and huge lists for every field kind (§5, §3.8): each is
 * tolerated (200) or refused with the 422 save envelope, never a 500, and a refused write changes
 * nothing.
 */
const s = suiteServer()
let token: string
let targets: Target[]

/** `ref(customer)[]` → `ref[]`, `string(255)` → `string`: the kinds that parse alike. */
const family = (kind: FieldKind) =>
  kind.type
    .replace(/\([^)]*\)/, '')
    .replace(/\{[^}]*\}/, '')
    .replace(/\?$/, '')

/** `{…sample minus field, field: value}` as JSON text, the value written as given. */
function withValue(sample: Record<string, unknown>, field: string, value: string): string {
  const { [field]: _dropped, ...rest } = sample
  const head = JSON.stringify(rest).slice(0, -1)
  return `${head}${head === '{' ? '' : ','}${JSON.stringify(field)}:${value}}`
}

describe('hostile field values', () => {
  before(async () => {
    token = await s.login()
    await declareCustomFields(s)
    targets = await prepareTargets(s)
  })
  after(closeDumps)

  const headers = () => ({ 'X-ALFACRM-TOKEN': token, 'Content-Type': 'application/json' })
  const fieldsOf = (t: Target): Array<[string, string]> => [
    ...writableFields(t.model, t.action).map(([n, k]): [string, string] => [n, family(k)]),
    ...customKeys(t.model).map((k): [string, string] => [k, k]),
  ]

  test('the watch notices a change that comes with a rejected request', async () => {
    const watch = new Watch(s.db, s.url)
    const probe = { path: '/v2api/1/customer/update?id=999999', headers: headers(), body: '{}' }
    await watch.attack(probe, true)
    await s.db.kysely.updateTable('branches').set({ weight: 77 }).where('id', '=', 1).execute()
    await assert.rejects(watch.attack(probe, true), /the database changed/)
    await s.db.kysely.updateTable('branches').set({ weight: 0 }).where('id', '=', 1).execute()
  })

  test('every hostile value reaches every field kind through update: 200 or 422', async (t) => {
    const watch = new Watch(s.db, s.url)
    const byFamily = new Map<string, Array<[Target, string]>>()
    for (const target of targets.filter((x) => x.action === 'update')) {
      for (const [field, fam] of fieldsOf(target)) {
        const list = byFamily.get(fam) ?? []
        list.push([target, field])
        byFamily.set(fam, list)
      }
    }
    // Each kind gets a quarter of the hostile values (another quarter for the next kind), spread over
    // its fields; every field gets at least one, and every value reaches several kinds.
    for (const [f, fields] of [...byFamily.values()].entries()) {
      const values = HOSTILE.filter((_, i) => (i + f) % 4 === 0)
      for (let i = 0; i < Math.max(values.length, fields.length); i++) {
        const [target, field] = fields[i % fields.length]!
        const value = values[i % values.length]!
        await watch.attack(
          { path: pathOf(target), headers: headers(), body: `{${JSON.stringify(field)}:${value}}` },
          true,
        )
      }
    }
    t.diagnostic(
      `${watch.sent} updates over ${byFamily.size} field kinds, ${watch.replyMs} ms replies, ${watch.dumpMs} ms dumps`,
    )
  })

  test('every field of every model takes a hostile value on create: 200 or 422', async (t) => {
    const watch = new Watch(s.db, s.url)
    let i = 0
    for (const target of targets.filter((x) => x.action === 'create')) {
      for (const [field] of fieldsOf(target).filter((_, j) => j % 2 === 0)) {
        const value = HOSTILE[(i++ * 11) % HOSTILE.length]!
        await watch.attack(
          { path: pathOf(target), headers: headers(), body: withValue(target.sample, field, value) },
          true,
        )
      }
    }
    t.diagnostic(`${watch.sent} creates, ${watch.replyMs} ms replies, ${watch.dumpMs} ms dumps`)
  })
})
