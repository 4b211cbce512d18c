import type { Model } from '../../src/engine/model.js'
import type { FieldKind } from '../../src/fields/kind.js'
import { models } from '../../src/models/index.js'
import { createRecord, SCOPED, sampleBody } from '../helpers/samples.js'
import type { Server } from '../helpers/server.js'

/** One route of the registry (§1.2) with what a valid call needs: scoping query, a record, a body. */
export interface Target {
  /** Registry key: the slug, or `teacher/working-hour` for a sub-resource. */
  key: string
  model: Model
  action: string
  isRead: boolean
  /** `/v2api/1/{key}/{action}` */
  path: string
  /** The scoping parameters this action needs (§1.8), '' when none. */
  query: string
  /** An existing record of the model, for update/delete/restore. */
  id: number | null
  /** A valid create body (every optional field too). */
  sample: Record<string, unknown>
}

export const CALENDAR_PERIOD = 'date1=01.09.2025&date2=30.09.2025'

/** Custom fields of every type (§5.10) declared on customers, so their keys are attacked too. */
export const CUSTOM_TYPES = ['string', 'text', 'int', 'number', 'date', 'bool', 'select', 'multiselect']

export async function declareCustomFields(s: Server): Promise<void> {
  for (const type of CUSTOM_TYPES) {
    const options = type.endsWith('select') ? { options: ['a', 'b', '50%_off'] } : {}
    const r = await s.api('custom-field/create', {
      model: 'customer',
      code: `h_${type}`,
      label: `H ${type}`,
      type,
      ...options,
    })
    if (r.status !== 200) throw new Error(`custom field ${type}: ${r.status} ${r.text}`)
  }
}

/** Custom field keys and kinds as the engine reads them, for the models that have them. */
export function customKeys(model: Model): string[] {
  return model.slug === 'customer' ? CUSTOM_TYPES.map((t) => `custom_h_${t}`) : []
}

/** Fields a client may write by this action: not read-only, derived or the id (nor create-only on update). */
export function writableFields(model: Model, action = 'create'): Array<[string, FieldKind]> {
  return Object.entries(model.fields).filter(
    ([n, k]) => !k.readOnly && !k.derived && n !== 'id' && !(k.createOnly && action !== 'create'),
  )
}

const actionsOf = (model: Model) => [...model.actions, ...Object.keys(model.extra ?? {})]

/** Every route of the registry with a fresh record and sample body per model (records made through the API). */
export async function prepareTargets(s: Server): Promise<Target[]> {
  const out: Target[] = []
  for (const [key, model] of models) {
    const writable = model.actions.includes('create')
    const query = SCOPED[key] ? await SCOPED[key]!(s, models) : ''
    const id = writable ? await createRecord(s, models, key) : null
    const sample = writable ? await sampleBody(s, models, model, true) : {}
    for (const action of actionsOf(model)) {
      let q = action === 'index' || action === 'create' || action === 'customer' ? query : ''
      if (key === 'calendar') q = `id=${await createRecord(s, models, action)}&${CALENDAR_PERIOD}`
      out.push({
        key,
        model,
        action,
        isRead: action === 'index' || (model.extra?.[action]?.read ?? false),
        path: `/v2api/1/${key}/${action}`,
        query: q,
        id,
        sample,
      })
    }
  }
  return out
}

/**
 * The path of a target with its scoping query. Update gets the record's id; delete and restore get
 * `missing` (an id that does not exist) unless told, so that a tolerated body never deletes anything.
 */
export function pathOf(t: Target, missing?: number, extra = ''): string {
  const destroys = t.action === 'delete' || t.action === 'restore'
  const id = t.id === null || t.isRead || t.action === 'create' ? null : destroys ? (missing ?? t.id) : t.id
  const q = [t.query, id === null ? '' : `id=${id}`, extra].filter(Boolean).join('&')
  return q ? `${t.path}?${q}` : t.path
}
