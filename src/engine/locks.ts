import { sql } from 'kysely'
import type { ActionCtx, Model } from './model.js'

/**
 * §6.10 on PostgreSQL, where transactions run side by side under READ COMMITTED. SQLite needs none of
 * this: it runs one write transaction at a time (db/connect), so nothing changes between a check and
 * the write it guards. Every lock here is held until the transaction ends.
 */

/**
 * Serialises the transactions that check a rule no row or key can hold before they write (a membership
 * must not overlap another of the same customer and group; the last active admin; the last branch), so
 * two concurrent writes cannot both pass the check: an advisory lock on the key. Take it before reading
 * what the rule counts: the statements after it see what the previous holder committed.
 */
export async function serialiseOn(ctx: ActionCtx, ...key: Array<string | number>): Promise<void> {
  if (ctx.dialect !== 'postgres') return
  await sql`SELECT pg_advisory_xact_lock(hashtext(${key.join(':')}))`.execute(ctx.trx)
}

/**
 * A read of the `target` rows a write relies on (the record it references, in the branch it is in),
 * locked FOR KEY SHARE: a delete or update of them in progress (it holds them FOR UPDATE, see
 * engine/repository `findVisible`) is waited for, and the rows are read as it left them — a deleted row
 * is not returned; a later delete or update waits until this write commits, then sees what it wrote
 * (§6.9). Only for rows that may be removed: customers, groups and teachers are archived, never
 * removed, and their rows are locked FOR UPDATE by the balance and membership rules (domain/balances,
 * domain/attendance), which a share lock taken earlier by another writer would turn into deadlocks.
 */
export function keepFound<Q extends { forKeyShare(): Q }>(ctx: ActionCtx, target: Model, query: Q): Q {
  return ctx.dialect === 'postgres' && !target.archive ? query.forKeyShare() : query
}
