import { fail } from '../errors.js'
import type { Action, Model, Rec, RequestInput } from './model.js'

const given = (v: unknown) => v !== undefined && v !== null && v !== ''

/**
 * Scoping parameters (§1.8): query first, then the body key of the same name. Required for index and
 * create unless the model says otherwise; a value of the wrong type is a 400 naming the parameter.
 * Returns field → parsed value for the parameters present.
 */
export function readScoping(model: Model, action: Action, input: RequestInput): Record<string, unknown> {
  const s = model.scoping
  if (!s) return {}
  const out: Record<string, unknown> = {}
  const present = new Set<string>()
  const raw: Record<string, unknown> = {}
  for (const p of s.params) {
    const v = given(input.query[p.name]) ? input.query[p.name] : input.body[p.name]
    if (given(v)) {
      present.add(p.name)
      raw[p.name] = v
    }
  }
  const missing = s.missing
    ? s.missing(action, present)
    : action === 'index' || action === 'create'
      ? s.params.map((p) => p.name).filter((n) => !present.has(n))
      : []
  if (missing.length > 0) throw fail.missing(...missing)
  for (const p of s.params) {
    if (!present.has(p.name)) continue
    const kind = model.fields[p.field]
    const r = kind ? kind.filterValue(raw[p.name]) : { ok: false as const }
    if (!r.ok || Array.isArray(raw[p.name])) throw fail.badParam(p.name)
    out[p.field] = r.value
  }
  return out
}

/** update/delete: scoping parameters that are given must match the record, else it is "not found". */
export function assertScopingMatches(rec: Rec, scoping: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(scoping)) if (rec[field] !== value) throw fail.notFound()
}
