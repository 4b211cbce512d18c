import crypto from 'node:crypto'
import { shapes } from '../db/shapes.js'
import type { ActionCtx, AnyDb } from '../engine/model.js'

/** The event names of the payload (Alfa CRM's), by log event code (§5.11). */
export const EVENT_NAMES: Record<number, string> = { 1: 'create', 2: 'update', 3: 'delete', 4: 'restore' }

/** Entities never sent: an endpoint's own changes (its secret is hidden anyway). */
export const UNSENT_ENTITIES = new Set(['Webhook'])

/** An active endpoint as the outbox matches it; null sets mean "all". */
interface Active {
  id: number
  events: Set<string> | null
  entities: Set<string> | null
  branches: number[]
}

/** What the outbox needs of a log row just written. */
export interface Logged {
  logId: number
  entity: string
  entityId: number
  event: number
  branches: number[]
}

/**
 * Active endpoints by the token of `webhook_state` they were read under. The token is random and
 * replaced by every change of an endpoint (`touchWebhooks`), so an entry is exact for as long as the
 * token stays, in any process and for any database this process serves (tests run several); a few
 * tokens are kept, the oldest dropped first.
 */
const cache = new Map<string, Active[]>()
const CACHE_KEYS = 8

/** Marks the endpoints as changed, in the caller's transaction: every process reloads them. */
export async function touchWebhooks(trx: AnyDb): Promise<void> {
  await trx.updateTable('webhook_state').set({ version: crypto.randomUUID() }).execute()
}

const asSet = (json: string): Set<string> | null => {
  const list = JSON.parse(json) as string[]
  return list.length > 0 ? new Set(list) : null
}

/** The active endpoints as this transaction sees them: one indexed read of the token when cached. */
async function activeWebhooks(trx: AnyDb): Promise<Active[]> {
  // No parameters and the same text on both databases: one shape for both.
  const read = shapes.compiled('webhook_state', [], () =>
    trx.selectFrom('webhook_state').select('version').compile(),
  )
  const state = (await trx.executeQuery<{ version: unknown }>(read)).rows[0]
  const version = String(state?.version ?? '')
  const kept = cache.get(version)
  if (kept) return kept
  const rows = await trx
    .selectFrom('webhooks')
    .select(['id', 'events', 'entities', 'branch_ids'])
    .where('is_active', '=', 1)
    .orderBy('id')
    .execute()
  const list = rows.map((r) => ({
    id: Number(r.id),
    events: asSet(r.events as string),
    entities: asSet(r.entities as string),
    branches: JSON.parse(r.branch_ids as string) as number[],
  }))
  if (cache.size >= CACHE_KEYS) cache.delete(cache.keys().next().value!)
  cache.set(version, list)
  return list
}

/**
 * The branch the payload names (Alfa CRM sends one): the request's branch when the record is in it,
 * else the record's first branch the endpoint listens to; the request's branch for branch-less records.
 */
function payloadBranch(hook: Active, row: Logged, pathBranch: number): number | null {
  if (row.branches.length === 0) return pathBranch || null
  const wanted =
    hook.branches.length > 0 ? row.branches.filter((b) => hook.branches.includes(b)) : row.branches
  if (wanted.length === 0) return null
  return wanted.includes(pathBranch) ? pathBranch : wanted[0]!
}

/** Rows per INSERT: 15 parameters each. */
const CHUNK = 500

/**
 * The outbox: one pending delivery per (active endpoint, log row) it listens to, written in the
 * transaction of the change (called by log/write), so a rolled-back change sends nothing and a
 * committed one stays until delivered. Records in no branch (global models) match every endpoint.
 */
export async function enqueueDeliveries(
  ctx: Pick<ActionCtx, 'trx' | 'pathBranch' | 'now'>,
  logged: Logged[],
): Promise<void> {
  const hooks = await activeWebhooks(ctx.trx)
  if (hooks.length === 0) return
  const now = Date.now()
  const rows: Record<string, unknown>[] = []
  for (const row of logged) {
    const event = EVENT_NAMES[row.event] ?? 'update'
    if (UNSENT_ENTITIES.has(row.entity)) continue
    for (const hook of hooks) {
      if (hook.events && !hook.events.has(event)) continue
      if (hook.entities && !hook.entities.has(row.entity)) continue
      const branch = payloadBranch(hook, row, ctx.pathBranch)
      if (branch === null && row.branches.length > 0) continue
      rows.push({
        webhook_id: hook.id,
        log_id: row.logId,
        branch_id: branch,
        entity: row.entity,
        entity_id: row.entityId,
        event,
        status: 'pending',
        attempts: 0,
        last_error: '',
        created_at: ctx.now,
        lease_owner: '',
        due_ms: now,
        lease_ms: 0,
        first_ms: 0,
      })
    }
  }
  for (let at = 0; at < rows.length; at += CHUNK)
    await ctx.trx
      .insertInto('webhook_deliveries')
      .values(rows.slice(at, at + CHUNK))
      .execute()
}
