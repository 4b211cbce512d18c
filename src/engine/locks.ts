import { sql } from 'kysely'
import type { ActionCtx } from './model.js'

/**
 * §6.10: serialises, until they commit, the transactions that check a rule before they write (a
 * membership must not overlap another of the same customer and group), so two concurrent writes cannot
 * both pass the check. A PostgreSQL advisory lock on the key; SQLite runs one writer at a time anyway.
 */
export async function serialiseOn(ctx: ActionCtx, ...key: Array<string | number>): Promise<void> {
  if (ctx.dialect !== 'postgres') return
  await sql`SELECT pg_advisory_xact_lock(hashtext(${key.join(':')}))`.execute(ctx.trx)
}
