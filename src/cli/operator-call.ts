import type { Db } from '../db/connect.js'
import { Memo } from '../db/memo.js'
import { translateDbError } from '../db/sql-errors.js'
import type { AnyDb, RequestInput, User } from '../engine/model.js'
import { AppError, toWire } from '../errors.js'
import { actionCtx, type CallEnv, runAction, standardAction } from '../http/dispatch.js'
import { models } from '../models/index.js'
import { failure } from './command.js'
import { OPERATOR_USER_ID } from './operator-log.js'

/** The operator at the command line: an administrator of every branch, logged as user 0 (§5.11). */
const OPERATOR: User = {
  id: OPERATOR_USER_ID,
  name: 'operator',
  email: '',
  role: 'admin',
  isV2api: true,
  branchIds: [],
  isActive: true,
  teacherId: null,
}

type WriteAction = 'create' | 'update' | 'delete'

const envOf = (db: Db, tz: string): CallEnv => ({
  db,
  models,
  tz,
  maxPageSize: 50,
  strict: true,
  memo: new Memo(),
  replies: new Memo(),
})

/** Every branch, the path branch being `branch` (default: the first). */
async function operatorAccess(db: Db, branch: number | null = null) {
  const rows = await db.kysely.selectFrom('branches').select('id').orderBy('id').execute()
  const allowed = rows.map((b) => Number(b.id))
  if (branch !== null && !allowed.includes(branch)) throw failure(`there is no branch ${branch}`)
  return { branch: branch ?? allowed[0] ?? 0, allowed }
}

function modelOf(slug: string) {
  const model = models.get(slug)
  if (!model) throw new Error(`no model ${slug}`)
  return model
}

/**
 * The field messages of a refusal the API would answer (422 with `errors`, or another error with its
 * message under `""`); null when `e` is not a refusal (a bug, a lost connection: the caller stops).
 */
export function refusalOf(e: unknown): Record<string, string[]> | null {
  if (!(e instanceof AppError)) return null
  const w = toWire(e)
  const errors = (w.body.errors ?? {}) as Record<string, string[]>
  return Object.keys(errors).length > 0 ? errors : { '': [String(w.body.message)] }
}

/**
 * Runs a model action for an operator command through the same generic path as the API (one
 * transaction, the model's rules and hooks, its log rows), so a command can never do what the API
 * would refuse. A refusal becomes a failure naming each field and its messages.
 */
export async function asOperator(
  db: Db,
  tz: string,
  slug: string,
  action: WriteAction,
  input: RequestInput,
): Promise<Record<string, unknown>> {
  const model = modelOf(slug)
  try {
    return (await runAction(
      envOf(db, tz),
      {
        route: { kind: 'action', branch: null, model, action, isRead: false },
        user: OPERATOR,
        access: await operatorAccess(db),
        input,
        reading: { memo: new Memo(), version: '' },
        sent: { contentType: '', query: '', body: '' },
      },
      new Date(),
    )) as Record<string, unknown>
  } catch (e) {
    const refusal = refusalOf(e)
    if (!refusal) throw e
    const detail = Object.entries(refusal).map(([key, list]) => (key ? `${key}: ` : '') + list.join(' '))
    throw failure(detail.join('; '))
  }
}

/** Actions run one after another in one transaction of the operator's (see `inOperatorTransaction`). */
export interface OperatorTransaction {
  trx: AnyDb
  dialect: Db['dialect']
  /** The path branch the actions run in. */
  branch: number
  /** Runs an action as the API would; a refusal is thrown as an `AppError` (see `refusalOf`). */
  run(slug: string, action: WriteAction, input: RequestInput): Promise<Record<string, unknown>>
}

/**
 * Many actions of the operator's in ONE transaction, each through the API's generic path with its
 * rules, hooks and log rows: committed when `work` returns, rolled back when it throws. Database
 * errors a request would get as a refusal (a unique key) come as that refusal.
 */
export async function inOperatorTransaction<T>(
  db: Db,
  tz: string,
  branch: number | null,
  work: (op: OperatorTransaction) => Promise<T>,
): Promise<T> {
  const env = envOf(db, tz)
  const access = await operatorAccess(db, branch)
  const at = new Date()
  const reading = { memo: new Memo(), version: '' }
  return db.kysely.transaction().execute(async (trx) =>
    work({
      trx,
      dialect: db.dialect,
      branch: access.branch,
      async run(slug, action, input) {
        const model = modelOf(slug)
        const route = { kind: 'action' as const, branch: null, model, action, isRead: false }
        const ctx = actionCtx(env, { route, user: OPERATOR, access, reading }, trx, at)
        try {
          return (await standardAction(model, action)(ctx, input)) as Record<string, unknown>
        } catch (e) {
          throw translateDbError(e, models) ?? e
        }
      },
    }),
  )
}
