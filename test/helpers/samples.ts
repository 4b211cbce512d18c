import type { Model, Registry } from '../../src/engine/model.js'
import type { FieldKind } from '../../src/fields/kind.js'
import type { Server } from './server.js'

let counter = 0

/**
 * Builds valid create bodies from the model declarations, creating referenced records through the
 * API first, so every model in the registry gets the contract suite without hand-written fixtures.
 * Only what the field kinds cannot express lives in OVERRIDES.
 */
type Override = (
  s: Server,
  models: Registry,
) => { body?: Record<string, unknown> } | Promise<{ body?: Record<string, unknown> }>

export const OVERRIDES: Record<string, Override> = {
  user: () => ({ body: { email: `user${++counter}@example.org`, role: 'manager', branch_ids: [1] } }),
  'custom-field': () => ({ body: { model: 'customer', code: `code_${++counter}`, type: 'string' } }),
  // Periods must not be empty or reversed (§7.24.1, §7.24.2); the update sample moves b_date a day on.
  'teacher/working-hour': () => ({ body: { time_from: '10:00', time_to: '11:30' } }),
  'teacher/teacher-rate': () => ({ body: { b_date: '01.09.2025', e_date: '30.09.2025' } }),
  // A package tariff needs its lessons (§7.22). An expense needs no customer, and a sampled subscription
  // belongs to another customer than the sampled one (§7.13).
  tariff: () => ({ body: { lessons_count: 8 } }),
  pay: () => ({ body: { pay_type_id: 3, ctt_id: null } }),
  // Periods and times that make sense (§7.4, §7.5); a slot needs its group (§7.21).
  group: () => ({ body: { b_date: '01.09.2025', e_date: '31.05.2026' } }),
  // Memberships of one customer in one group may not overlap (§7.6): one future day each.
  cgi: () => {
    const day = new Date(Date.UTC(2030, 0, 1 + 2 * ++counter)).toISOString().slice(0, 10)
    return { body: { b_date: day, e_date: day } }
  },
  // A switched-off endpoint on a closed local port: nothing is sent anywhere.
  webhook: () => ({
    body: { url: 'http://127.0.0.1:9/hook', events: ['create'], entities: ['Customer'], is_active: 0 },
  }),
  lesson: () => ({ body: { date: '2025-09-15', time_from: '10:00', time_to: '11:00', status: 1 } }),
  'regular-lesson': async (s, models) => ({
    body: {
      related_class: 'Group',
      related_id: await createRecord(s, models, 'group'),
      days: [1],
      time_from_v: '10:00',
      time_to_v: '11:00',
      b_date_v: '01.09.2025',
      e_date_v: '30.09.2025',
    },
  }),
}

/** Fields a model composes from other inputs, so their output is not the echo of their input. */
export const COMPOSED: Record<string, string[]> = {
  lesson: ['time_from', 'time_to', 'duration'],
  'regular-lesson': ['b_date', 'e_date', 'b_date_v', 'e_date_v'],
}

/** Models whose records hang off another record, by registry key: the scoping query to create them. */
export const SCOPED: Record<string, (s: Server, models: Registry) => Promise<string>> = {
  communication: async (s, models) =>
    `class=Customer&related_id=${await createRecord(s, models, 'customer')}`,
  'teacher/working-hour': async (s, models) => `teacher_id=${await createRecord(s, models, 'teacher')}`,
  'teacher/teacher-rate': async (s, models) => `teacher_id=${await createRecord(s, models, 'teacher')}`,
  'customer-tariff': async (s, models) => `customer_id=${await createRecord(s, models, 'customer')}`,
  cgi: async (s, models) =>
    `customer_id=${await createRecord(s, models, 'customer')}&group_id=${await createRecord(s, models, 'group')}`,
}

export function sampleValue(kind: FieldKind, variant = 0): unknown {
  const t = kind.type
  const n = ++counter
  if (t.startsWith('string(')) {
    const max = Number(t.slice(7, -1))
    return `Тест ${variant ? 'B' : 'A'}${n}`.slice(0, max)
  }
  if (t === 'int' || t === 'int?') return variant ? 7 : 3
  if (t === 'money') return variant ? '250.50' : '100.00'
  if (t === 'number' || t === 'number?') return variant ? 2.5 : 5
  if (t === 'bool') return variant ? 0 : 1
  if (t.startsWith('enum{') && t.endsWith('}[]'))
    return [parseEnum(t.slice(5, -3))[variant ? 1 : 0] ?? parseEnum(t.slice(5, -3))[0]]
  if (t.startsWith('enum{')) {
    const values = parseEnum(t.slice(5, -1))
    return values[variant % values.length]
  }
  if (t === 'date:dmy') return variant ? '02.09.2025' : '01.09.2025'
  if (t === 'date:iso') return variant ? '2025-09-02' : '2025-09-01'
  if (t === 'datetime') return variant ? '2025-09-02 11:00:00' : '2025-09-01 10:00:00'
  if (t.startsWith('time:')) return variant ? '11:00' : '10:00'
  if (t === 'string[]') return [variant ? `b${n}@example.org` : `a${n}@example.org`]
  if (t === 'int[]') return [variant ? 2 : 1]
  throw new Error(`no sample for ${t}`)
}

function parseEnum(s: string): Array<string | number> {
  return s.split(',').map((v) => (/^\d+$/.test(v) ? Number(v) : v))
}

/** A valid create body: required fields, and every optional one when `full` is set. */
export async function sampleBody(s: Server, models: Registry, model: Model, full = false) {
  const body: Record<string, unknown> = {}
  for (const [name, kind] of Object.entries(model.fields)) {
    if (kind.readOnly || kind.derived || name === 'id') continue
    if (name === 'branch_id' || name === 'branch_ids') continue
    if (!kind.required && !full) continue
    if (kind.ref) {
      if (!models.has(kind.ref)) continue
      const id = kind.ref === 'branch' ? 1 : await createRecord(s, models, kind.ref)
      body[name] = kind.type.endsWith('[]') ? [id] : id
    } else {
      body[name] = sampleValue(kind)
    }
  }
  return { ...body, ...((await OVERRIDES[registryKey(models, model)]?.(s, models))?.body ?? {}) }
}

/** The key a model is registered under: its slug, or `parent/slug` for a sub-resource (§1.2). */
export function registryKey(models: Registry, model: Model): string {
  for (const [key, m] of models) if (m === model) return key
  throw new Error(`${model.slug} is not registered`)
}

export function createPath(slug: string, query = '') {
  return `1/${slug}/create${query ? `?${query}` : ''}`
}

export async function createRecord(s: Server, models: Registry, slug: string, full = false): Promise<number> {
  const model = models.get(slug)
  if (!model) throw new Error(`unknown model ${slug}`)
  const query = SCOPED[slug] ? await SCOPED[slug](s, models) : ''
  const r = await s.api(createPath(slug, query), await sampleBody(s, models, model, full))
  if (r.status !== 200) throw new Error(`create ${slug}: ${r.status} ${r.text}`)
  return r.body.model.id as number
}
