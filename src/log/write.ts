import { insertShape } from '../db/shapes.js'
import type { CustomDef } from '../engine/custom-fields.js'
import type { ActionCtx, Model, Rec } from '../engine/model.js'
import { enqueueDeliveries } from '../webhooks/outbox.js'

export const EVENT = { create: 1, update: 2, delete: 3, restore: 4 } as const

/**
 * Rows about users, custom fields and admin-only models (webhooks) are shown to admins only;
 * dictionaries and branches to everyone (§5.11).
 */
function visibility(model: Model): 'admin' | 'all' | 'branches' {
  if (model.slug === 'user' || model.slug === 'custom-field' || model.readers === 'admin') return 'admin'
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
export function writeLog(ctx: ActionCtx, e: LogEntry): Promise<void> {
  return writeLogs(ctx, [e])
}

/** Rows per INSERT: 8 parameters each, well under SQLite's 32 766. */
const CHUNK = 500

/**
 * Writes log rows in the caller's transaction in two statements per 500 (the rows, then their
 * branches) — a lesson conducted with twenty attendance changes writes 21 rows. Ids follow the order
 * of `entries`: a multi-row INSERT numbers its rows in order on both databases. The webhook outbox
 * rows of the change follow in the same transaction (webhooks/outbox).
 */
export async function writeLogs(ctx: ActionCtx, entries: LogEntry[]): Promise<void> {
  const encode = (m: Record<string, unknown> | null) =>
    m && Object.keys(m).length > 0 ? JSON.stringify(m) : '[]'
  for (let at = 0; at < entries.length; at += CHUNK) {
    const chunk = entries.slice(at, at + CHUNK)
    const visible = chunk.map((e) => visibility(e.model))
    const values = chunk.map((e, i) => ({
      entity: e.entity ?? e.model.logName,
      entity_id: e.entityId,
      user_id: ctx.user.id,
      event: e.event,
      fields_old: encode(e.old),
      fields_new: encode(e.new),
      date_time: ctx.now,
      visibility: visible[i]!,
    }))
    const { rows } = await ctx.trx.executeQuery<{ id: unknown }>(
      insertShape(ctx.trx, ctx.dialect, 'log', values, ['id']),
    )
    const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b)
    const links = chunk.flatMap((e, i) =>
      visible[i] === 'branches'
        ? [...new Set(e.branches)].map((b) => ({ log_id: ids[i]!, branch_id: b }))
        : [],
    )
    for (let l = 0; l < links.length; l += CHUNK * 4)
      await ctx.trx.executeQuery(
        insertShape(ctx.trx, ctx.dialect, 'log_branches', links.slice(l, l + CHUNK * 4)),
      )
    await enqueueDeliveries(
      ctx,
      chunk.map((e, i) => ({
        logId: ids[i]!,
        entity: e.entity ?? e.model.logName,
        entityId: e.entityId,
        event: e.event,
        branches: e.branches,
      })),
    )
  }
}

/** What the log shows for a write-only input (a password) a write set: that it changed, never the value. */
export const HIDDEN = '[hidden]'

/** The log attributes of the secrets a write set (see `Draft.secrets`). */
export function hiddenAttributes(secrets: Iterable<string>): Record<string, unknown> {
  return Object.fromEntries([...secrets].map((key) => [key, HIDDEN]))
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
