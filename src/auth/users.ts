import type { AnyDb } from '../engine/model.js'
import type { Role } from './roles.js'
import { hashApiKey, newApiKey } from './secrets.js'
import { revokeTokens } from './tokens.js'

export interface NewUser {
  email: string
  name?: string
  role?: Role
  apiKey?: string
  branchIds?: number[]
}

/**
 * Creates a user outside the API (bootstrap, CLI) and returns its plain api key once. API writes go
 * through the `user` model, which logs them; this path is for operators.
 */
export async function createUser(db: AnyDb, u: NewUser): Promise<{ id: number; apiKey: string }> {
  const apiKey = u.apiKey ?? newApiKey()
  const row = await db
    .insertInto('users')
    .values({
      name: u.name ?? u.email,
      email: u.email,
      email_lc: u.email.toLowerCase(),
      role: u.role ?? 'manager',
      is_v2api: 1,
      branch_ids: JSON.stringify(u.branchIds ?? []),
      is_active: 1,
      api_key_hash: await hashApiKey(apiKey),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const id = Number(row.id)
  for (const b of u.branchIds ?? [])
    await db.insertInto('users_branch_ids').values({ record_id: id, value: b }).execute()
  return { id, apiKey }
}

export async function setApiKey(db: AnyDb, userId: number, apiKey: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ api_key_hash: await hashApiKey(apiKey) })
    .where('id', '=', userId)
    .execute()
  await revokeTokens(db, userId)
}

/** §7.30 bootstrap: on an empty database, branch 1 and an admin from the configured credentials. */
export async function bootstrap(db: AnyDb, email: string | null, apiKey: string | null): Promise<boolean> {
  const anyUser = await db.selectFrom('users').select('id').limit(1).executeTakeFirst()
  const anyBranch = await db.selectFrom('branches').select('id').limit(1).executeTakeFirst()
  if (anyUser || anyBranch || !email || !apiKey) return false
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('branches')
      .values({ name: 'Основной филиал', is_active: 1, subject_ids: '[]', weight: 0 })
      .execute()
    await createUser(trx, { email, apiKey, role: 'admin', name: 'Administrator' })
  })
  return true
}
