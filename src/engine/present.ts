import type { CustomDef } from './custom-fields.js'
import { attachCustom } from './custom-fields.js'
import type { ActionCtx, Model, Rec } from './model.js'
import { formatFields } from './serialise.js'

/** Completes a page of records (custom values, derived fields) in a fixed number of queries. */
export async function hydrate(model: Model, recs: Rec[], defs: CustomDef[], ctx: ActionCtx): Promise<void> {
  await attachCustom(recs, defs, ctx)
  if (model.hooks?.derive && recs.length > 0) await model.hooks.derive(recs, ctx)
}

/** The wire form of a record: fields in table order, then custom fields (§3.1). */
export function present(model: Model, rec: Rec, defs: CustomDef[], ctx: ActionCtx): Record<string, unknown> {
  let out = formatFields(model, rec)
  if (out === null) {
    out = {}
    for (const [name, kind] of Object.entries(model.fields)) {
      if (name in rec) out[name] = kind.format(rec[name])
    }
  }
  for (const d of defs) out[d.key] = d.kind.format(rec[d.key] ?? (d.type === 'multiselect' ? [] : null))
  model.hooks?.present?.(rec, out, ctx)
  return out
}
