import { mayRun } from '../auth/roles.js'
import type { Db } from '../db/connect.js'
import { isRetryable, translateDbError } from '../db/sql-errors.js'
import { createAction, deleteAction, restoreAction, updateAction } from '../engine/actions.js'
import { indexAction } from '../engine/index-action.js'
import type { ActionCtx, Model, Registry, RequestInput, User } from '../engine/model.js'
import { AppError, fail } from '../errors.js'
import { nowParts } from '../wire/dates.js'
import { allowedBranches, pathBranch } from './context.js'
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
}

/** Steps 5, 6 and 8 of §1.11 for an authenticated user; returns the path branch and allowed branches. */
export async function authorize(env: CallEnv, route: Extract<Route, { kind: 'action' }>, user: User) {
  if (!user.isV2api) throw fail.access()
  const allowed = await allowedBranches(env.db.kysely, user)
  const global = route.model.scope === 'global'
  const branch = global ? (allowed[0] ?? 0) : await pathBranch(env.db.kysely, allowed, route.branch)
  return { branch, allowed }
}

export function checkRole(route: Extract<Route, { kind: 'action' }>, user: User): void {
  if (!mayRun(user.role, route.model, route.action, route.isRead)) throw fail.access()
}

/** Runs one action in one transaction (§6.10): the change, its consequences and its log rows. */
export async function runAction(
  env: CallEnv,
  route: Extract<Route, { kind: 'action' }>,
  user: User,
  access: { branch: number; allowed: number[] },
  input: RequestInput,
): Promise<unknown> {
  const { date, dateTime } = nowParts(env.tz)
  const run = route.model.extra?.[route.action]?.run ?? bind(route.model, route.action)
  const attempt = () =>
    env.db.kysely.transaction().execute(async (trx) => {
      const ctx: ActionCtx = {
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
      }
      return run(ctx, input)
    })
  for (let tries = 1; ; tries++) {
    try {
      return await attempt()
    } catch (err) {
      if (isRetryable(err) && tries < 3) continue
      throw translateDbError(err) ?? err
    }
  }
}

function bind(model: Model, action: string) {
  const fn = STANDARD[action]
  if (!fn) throw new AppError({ kind: 'route' })
  return (ctx: ActionCtx, input: RequestInput) => fn(model, ctx, input)
}
