import type { CustomDef } from '../engine/custom-fields.js'
import type { ActionCtx, Model, Rec } from '../engine/model.js'

export const EVENT = { create: 1, update: 2, delete: 3, restore: 4 } as const

/** Rows about users and custom fields are shown to admins only; dictionaries and branches to everyone (§5.11). */
function visibility(model: Model): 'admin' | 'all' | 'branches' {
  if (model.slug === 'user' || model.slug === 'custom-field') return 'admin'
  return model.scope === 'global' || model.scope === 'tenant' ? 'all' : 'branches'
}

/**
 * "Stored attributes" (§5.11): the writable fields and `custom_*`, in wire format. Derived fields,
 * read-only stamps and secrets are never logged.
 */
export function storedAttributes(
  model: Model,
  rec: Record<string, unknown>,
  defs: CustomDef[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, kind] of Object.entries(model.fields)) {
    if (kind.readOnly || kind.derived || name === 'id' || !(name in rec)) continue
    out[name] = kind.format(rec[name])
  }
  for (const d of defs) if (d.key in rec) out[d.key] = d.kind.format(rec[d.key])
  return out
}

export interface LogEntry {
  model: Model
  /** The entity name when it is not the model's own (`LessonDetails` rows of a lesson). */
  entity?: string
  event: number
  entityId: number
  old: Record<string, unknown> | null
  new: Record<string, unknown> | null
  branches: number[]
}

/** Writes one log row in the caller's transaction (§5.11). Empty maps are stored as `[]` (§5.9). */
export async function writeLog(ctx: ActionCtx, e: LogEntry): Promise<void> {
  const vis = visibility(e.model)
  const encode = (m: Record<string, unknown> | null) =>
    m && Object.keys(m).length > 0 ? JSON.stringify(m) : '[]'
  const row = await ctx.trx
    .insertInto('log')
    .values({
      entity: e.entity ?? e.model.logName,
      entity_id: e.entityId,
      user_id: ctx.user.id,
      event: e.event,
      fields_old: encode(e.old),
      fields_new: encode(e.new),
      date_time: ctx.now,
      visibility: vis,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const branches = [...new Set(e.branches)]
  if (vis === 'branches' && branches.length > 0) {
    await ctx.trx
      .insertInto('log_branches')
      .values(branches.map((b) => ({ log_id: Number(row.id), branch_id: b })))
      .execute()
  }
}

/** Old and new values of the attributes that differ between two wire-format attribute maps. */
export function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { old: Record<string, unknown>; new: Record<string, unknown> } {
  const old: Record<string, unknown> = {}
  const now: Record<string, unknown> = {}
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      old[key] = before[key] ?? null
      now[key] = after[key]
    }
  }
  return { old, new: now }
}

export type { Rec }
