import type { Db } from '../db/connect.js'
import { Memo } from '../db/memo.js'
import type { RequestInput, User } from '../engine/model.js'
import { AppError, toWire } from '../errors.js'
import { runAction } from '../http/dispatch.js'
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

/**
 * Runs a model action for an operator command through the same generic path as the API (one
 * transaction, the model's rules and hooks, its log rows), so a command can never do what the API
 * would refuse. A refusal becomes a failure naming each field and its messages.
 */
export async function asOperator(
  db: Db,
  tz: string,
  slug: string,
  action: 'create' | 'update' | 'delete',
  input: RequestInput,
): Promise<Record<string, unknown>> {
  const model = models.get(slug)
  if (!model) throw new Error(`no model ${slug}`)
  const branches = await db.kysely.selectFrom('branches').select('id').orderBy('id').execute()
  const allowed = branches.map((b) => Number(b.id))
  try {
    return (await runAction(
      { db, models, tz, maxPageSize: 50, strict: true, memo: new Memo(), replies: new Memo() },
      {
        route: { kind: 'action', branch: null, model, action, isRead: false },
        user: OPERATOR,
        access: { branch: allowed[0] ?? 0, allowed },
        input,
        reading: { memo: new Memo(), version: '' },
        sent: { contentType: '', query: '', body: '' },
      },
      new Date(),
    )) as Record<string, unknown>
  } catch (e) {
    if (!(e instanceof AppError)) throw e
    const w = toWire(e)
    const errors = (w.body.errors ?? {}) as Record<string, string[]>
    const detail = Object.entries(errors).map(([key, list]) => `${key}: ${list.join(' ')}`)
    throw failure(detail.length > 0 ? detail.join('; ') : String(w.body.message))
  }
}
