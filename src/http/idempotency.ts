import crypto from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../db/connect.js'
import { isRetryable, translateDbError } from '../db/sql-errors.js'
import type { AnyDb, Registry } from '../engine/model.js'
import { AppError, fail, toWire } from '../errors.js'

/**
 * [ext] Idempotent writes (issue 16). A create, update, delete or other write sent with an
 * `Idempotency-Key` header runs once per user and key: its reply (status and body) is kept 24 hours in
 * `idempotency_keys` (migration 012) with a hash of the request, and a retry of the same request gets
 * that reply again without writing (`Idempotent-Replayed: true`); the same key with another request is
 * a 422. The key row is inserted first in the write's own transaction: a concurrent duplicate waits on
 * its primary key (PostgreSQL) or runs after it (SQLite's single writer) and then finds it, so two
 * requests never both write. Nothing is kept in memory; expired rows are purged in the background.
 *
 * Which replies are kept: every reply the action itself gives — success, and the client errors it
 * finds (422 validation, 404, 400 on a parameter), like Stripe's; a retry of a refused request is
 * refused alike until the client sends a new key. Not kept: errors that say "not now" (503 busy or too
 * slow, 429) and internal errors (500): nothing was written, and a retry with the same key runs again.
 * Errors found before the action (401, 403, a body that is not JSON) never reach it and are not kept.
 */

/** Header name as sent; Node lower-cases it. */
export const KEY_HEADER = 'idempotency-key'
export const REPLAYED_HEADER = 'idempotent-replayed'
/** How long a key's reply is kept. */
export const KEY_TTL_MS = 24 * 60 * 60 * 1000
export const MAX_KEY_LENGTH = 255
/** Visible ASCII: a UUID, a ULID, a hash or an order number fit; nothing that a log could mangle. */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/

/** The header's key, null when absent; a malformed one is a 400 naming the header. */
export function readKey(raw: string | string[] | undefined): string | null {
  if (raw === undefined) return null
  if (typeof raw !== 'string' || !KEY_SHAPE.test(raw)) throw fail.badParam('Idempotency-Key')
  return raw
}

/** The request a key was first used with: where, what, by whom, exactly as sent (hashed). */
export function requestHash(parts: Array<string | number | boolean | null>): string {
  const hash = crypto.createHash('sha256')
  for (const part of parts) {
    const text = String(part)
    hash.update(`${text.length}:${text}`)
  }
  return hash.digest('hex')
}

/** A reply to send: made now, or kept from the first request with the key. */
export interface KeptReply {
  status: number
  body: string
  replayed: boolean
}

interface KeyRow {
  request_hash: string
  status: number
  reply: string
}

const iso = (ms: number) => new Date(ms).toISOString()

function replay(row: KeyRow, hash: string): KeptReply {
  if (row.request_hash !== hash) throw new AppError({ kind: 'idempotencyReuse' })
  return { status: row.status, body: row.reply, replayed: true }
}

/** The kept reply of a key, outside any transaction: a retry is answered without taking the writer. */
export async function findKept(
  db: AnyDb,
  userId: number,
  key: string,
  hash: string,
  now: number,
): Promise<KeptReply | null> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'reply'])
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .where('expires_at', '>', iso(now))
    .executeTakeFirst()
  return row ? replay(row as KeyRow, hash) : null
}

/** Client errors an action gives, kept as its reply; anything else is not kept (see above). */
function keptError(err: unknown, models: Registry): AppError | null {
  if (isRetryable(err)) return null
  const e = err instanceof AppError ? err : translateDbError(err, models)
  if (!e) return null
  const kinds = ['invalid', 'notFound', 'missing', 'badParam', 'unknownParam']
  return kinds.includes(e.meaning.kind) ? e : null
}

/** A write's idempotency key as it is claimed: whose, which, the request's hash and when. */
export interface KeyClaim {
  userId: number
  key: string
  hash: string
  now: number
}

/**
 * Runs `write` inside the transaction `trx` under the key: claims the key first (or finds it claimed
 * and committed, and replays), then runs the write in a savepoint, keeping its reply — or its client
 * error, the write's own changes rolled back — in the same transaction.
 */

export async function runKeyed(
  trx: AnyDb,
  models: Registry,
  claim: KeyClaim,
  write: () => Promise<unknown>,
): Promise<KeptReply> {
  const { userId, key, hash, now } = claim
  const fresh = { request_hash: hash, status: 0, reply: '', expires_at: iso(now + KEY_TTL_MS) }
  // One statement claims the key: a new row, or an expired one (not yet purged) taken over; a live
  // key returns no row.
  const claimed = await trx
    .insertInto('idempotency_keys')
    .values({ user_id: userId, key, ...fresh })
    .onConflict((oc) =>
      oc.columns(['user_id', 'key']).doUpdateSet(fresh).where('idempotency_keys.expires_at', '<=', iso(now)),
    )
    .returning('user_id')
    .executeTakeFirst()
  if (!claimed) {
    // Committed by a concurrent duplicate that we waited for (READ COMMITTED sees it now).
    const row = await trx
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'status', 'reply'])
      .where('user_id', '=', userId)
      .where('key', '=', key)
      .executeTakeFirstOrThrow()
    return replay(row as KeyRow, hash)
  }
  let status = 200
  let body: string
  await sql`SAVEPOINT idempotent_write`.execute(trx)
  try {
    // Not released: the transaction's end releases it, one round trip fewer.
    body = JSON.stringify(await write())
  } catch (err) {
    const kept = keptError(err, models)
    if (!kept) throw err
    await sql`ROLLBACK TO SAVEPOINT idempotent_write`.execute(trx)
    const wire = toWire(kept)
    status = wire.status
    body = JSON.stringify(wire.body)
  }
  await trx
    .updateTable('idempotency_keys')
    .set({ status, reply: body })
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .execute()
  return { status, body, replayed: false }
}

/** How often each server process purges expired keys. */
export const PURGE_EVERY_MS = 10 * 60 * 1000

/** Rows deleted per statement: SQLite's writer is held only briefly, whatever the backlog. */
const PURGE_CHUNK = 1000

/** Deletes expired keys, the oldest first, about PURGE_CHUNK a statement; returns how many. */
export async function purgeExpired(db: Db, now = Date.now()): Promise<number> {
  let total = 0
  for (;;) {
    // The expiry of the PURGE_CHUNK-th oldest expired row: delete up to it, then look again.
    const edge = await db.kysely
      .selectFrom('idempotency_keys')
      .select('expires_at')
      .where('expires_at', '<=', iso(now))
      .orderBy('expires_at')
      .offset(PURGE_CHUNK - 1)
      .limit(1)
      .executeTakeFirst()
    const r = await db.kysely
      .deleteFrom('idempotency_keys')
      .where('expires_at', '<=', edge ? (edge.expires_at as string) : iso(now))
      .executeTakeFirst()
    total += Number(r.numDeletedRows)
    if (!edge) return total
  }
}
