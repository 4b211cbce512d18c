import crypto from 'node:crypto'
import { mayRun } from '../auth/roles.js'
import type { Db } from '../db/connect.js'
import type { Memo, Reading } from '../db/memo.js'
import { isRetryable, translateDbError } from '../db/sql-errors.js'
import { createAction, deleteAction, restoreAction, updateAction } from '../engine/actions.js'
import { indexAction } from '../engine/index-action.js'
import type { ActionCtx, AnyDb, Model, Registry, RequestInput, User } from '../engine/model.js'
import { AppError, fail } from '../errors.js'
import { nowParts } from '../wire/dates.js'
import { allowedBranches, pathBranch } from './context.js'
import { findKept, type KeptReply, type KeyClaim, requestHash, runKeyed } from './idempotency.js'
import type { Route } from './route.js'

const STANDARD: Record<string, (m: Model, c: ActionCtx, i: RequestInput) => Promise<unknown>> = {
  index: indexAction,
  create: createAction,
  update: updateAction,
  delete: deleteAction,
  restore: restoreAction,
}

export interface CallEnv {
  db: Db
  models: Registry
  tz: string
  maxPageSize: number
  strict: boolean
  /** Values read from the database, kept while its data version stays (db/memo). */
  memo: Memo
  /** Replies of read actions, kept while the data version and the clock's second stay. */
  replies: Memo
}

/** Steps 5, 6 and 8 of §1.11 for an authenticated user; returns the path branch and allowed branches. */
export async function authorize(
  env: CallEnv,
  route: Extract<Route, { kind: 'action' }>,
  user: User,
  reading: Reading,
) {
  if (!user.isV2api) throw fail.access()
  const allowed = await allowedBranches(env.db.kysely, user, reading)
  const global = route.model.scope === 'global'
  const branch = global ? (allowed[0] ?? 0) : await pathBranch(env.db.kysely, allowed, route.branch, reading)
  return { branch, allowed }
}

export function checkRole(route: Extract<Route, { kind: 'action' }>, user: User): void {
  if (!mayRun(user.role, route.model, route.action, route.isRead)) throw fail.access()
}

/** An authorised call of an action: what preBody found out, and the parsed request. */
export interface Call {
  route: Extract<Route, { kind: 'action' }>
  user: User
  access: { branch: number; allowed: number[] }
  input: RequestInput
  /** The data version read when the request began, with the memo kept under it. */
  reading: Reading
  /** The request as the client sent it (what `input` was parsed from). */
  sent: { contentType: string; query: string; body: string }
  /** [ext] The `Idempotency-Key` of a write, null without one (http/idempotency). */
  idempotencyKey?: string | null
  /** The HTTP method, part of what an idempotency key is bound to. */
  method?: string
}

/** A reply: its status, its JSON bytes, and whether it is a kept reply sent again. */
export interface Answer {
  status: number
  bytes: Buffer
  replayed: boolean
}

/**
 * What an action of `call` runs with inside `trx`: who calls, where and when. A caller holding one
 * transaction for many actions (the CSV import) builds it once and runs `standardAction`s with it.
 */
export function actionCtx(
  env: CallEnv,
  call: Pick<Call, 'route' | 'user' | 'access' | 'reading'>,
  trx: AnyDb,
  at: Date,
): ActionCtx {
  const { route, user, access, reading } = call
  const { date, dateTime } = nowParts(env.tz, at)
  return {
    trx,
    dialect: env.db.dialect,
    user,
    allowedBranches: access.allowed,
    pathBranch: access.branch,
    userId: user.id,
    strict: env.strict,
    maxPageSize: env.maxPageSize,
    models: env.models,
    today: date,
    now: dateTime,
    tz: env.tz,
    // Reads may keep what they computed (totals, page starts); a write sees its own changes.
    reading: route.isRead ? reading : null,
  }
}

/**
 * Runs one action in one transaction (§6.10): the change, its consequences and its log rows; with a
 * `claim`, under that idempotency key (http/idempotency).
 */
export async function runAction(env: CallEnv, call: Call, at: Date, claim?: KeyClaim): Promise<unknown> {
  const { route, input } = call
  const extra = route.model.extra
  const run =
    extra && Object.hasOwn(extra, route.action)
      ? extra[route.action]!.run
      : standardAction(route.model, route.action)
  // A read runs in a read-only transaction: SQLite starts it deferred, a write takes the write lock at
  // once (see db/connect), so writers of several processes queue instead of failing (§6.10).
  const transaction = env.db.kysely.transaction()
  const attempt = () =>
    (route.isRead ? transaction.setAccessMode('read only') : transaction).execute(async (trx) => {
      const write = () => run(actionCtx(env, call, trx, at), input)
      return claim ? runKeyed(trx, env.models, claim, write) : write()
    })
  for (let tries = 1; ; tries++) {
    try {
      return await attempt()
    } catch (err) {
      if (isRetryable(err) && tries < 3) continue
      throw translateDbError(err, env.models) ?? err
    }
  }
}

/** The generic create, update, delete, restore or index of `model`, to run with an `ActionCtx`. */
export function standardAction(model: Model, action: string) {
  const fn = Object.hasOwn(STANDARD, action) ? STANDARD[action] : undefined
  if (!fn) throw new AppError({ kind: 'route' })
  return (ctx: ActionCtx, input: RequestInput) => fn(model, ctx, input)
}

/**
 * The reply of an action: a write sent with an `Idempotency-Key` (http/idempotency) is answered from
 * the reply kept for that key when there is one, else run under the key; everything else as below.
 */
export async function answer(env: CallEnv, call: Call): Promise<Answer> {
  const at = new Date()
  const { route, user, idempotencyKey } = call
  if (!route.isRead && idempotencyKey) {
    const claim = { userId: user.id, key: idempotencyKey, hash: keyHash(env, call), now: at.getTime() }
    const kept = await findKept(env.db.kysely, claim.userId, claim.key, claim.hash, claim.now)
    const r = kept ?? ((await runAction(env, call, at, claim)) as KeptReply)
    return { status: r.status, bytes: Buffer.from(r.body), replayed: r.replayed }
  }
  return { status: 200, bytes: await answerBytes(env, call, at), replayed: false }
}

/**
 * The JSON reply of an action. A read's reply is a function of the data, the clock's second (`now`,
 * `today`), the caller (user, path branch) and the request: while the data version and the second are
 * the same, the same request gets the reply already made (a client polling a list, many clients
 * opening the same page), byte for byte what running it again would give. Kept as UTF-8 bytes, so
 * sending it again encodes nothing.
 */
async function answerBytes(env: CallEnv, call: Call, at: Date): Promise<Buffer> {
  const run = async () => Buffer.from(JSON.stringify(await runAction(env, call, at)))
  if (!call.route.isRead) return run()
  const key = replyKey(env, call, at)
  const { version } = call.reading
  const kept = env.replies.get<Buffer>(version, key)
  if (kept !== undefined) return kept
  // The same reply asked for again while it is being made (many clients at once, each second) waits
  // for it: with reads on reader threads a reply takes longer to make than to serve, so without this
  // every request of that window would make it again.
  const shared = `${version}\u0000${key}`
  const making = replying.get(shared)
  if (making) return making
  const made = run().then((bytes) => {
    env.replies.set(version, key, bytes, bytes.length)
    return bytes
  })
  replying.set(shared, made)
  try {
    return await made
  } finally {
    replying.delete(shared)
  }
}

/**
 * What an idempotency key is bound to: the caller, the method, the path's branch, model and action,
 * the strictness asked for, and the request's Content-Type, query and body exactly as sent.
 */
function keyHash(env: CallEnv, { route, user, sent, method }: Call): string {
  return requestHash([
    user.id,
    method ?? '',
    route.branch,
    route.model.slug,
    route.action,
    env.strict,
    sent.contentType,
    sent.query,
    sent.body,
  ])
}

/** Replies being made, by data version and reply key (see `answer`); one per request in flight at most. */
const replying = new Map<string, Promise<Buffer>>()

/**
 * The reply's key: who asks, where, in which second, and the request exactly as sent (its bytes, not
 * their parse: `{"id":1e309}` and `{"id":null}` parse alike but are different requests), hashed, so a
 * 1 MB body is a 64-character key.
 */
function replyKey(env: CallEnv, { route, user, access, sent }: Call, at: Date): string {
  const second = Math.floor(at.getTime() / 1000)
  const hash = crypto.createHash('sha256')
  for (const part of [route.model.slug, route.action, access.branch, user.id, env.strict, second])
    hash.update(`${part}\u0000`)
  for (const part of [sent.contentType, sent.query, sent.body]) hash.update(`${part.length}:${part}`)
  return hash.digest('hex')
}
