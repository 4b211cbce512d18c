import { type Reading, remembered } from '../db/memo.js'
import type { AnyDb, User } from '../engine/model.js'
import type { Role } from './roles.js'
import { hashToken, newToken } from './secrets.js'

/** Issues a token valid for `ttl` seconds from now, not extended by use (§2.2). */
export async function issueToken(db: AnyDb, userId: number, ttl: number): Promise<string> {
  const token = newToken()
  // Expiry in milliseconds: a token lives its whole TTL whenever in a second it was issued.
  const now = Date.now()
  await db.deleteFrom('tokens').where('expires_at', '<', now).where('user_id', '=', userId).execute()
  await db
    .insertInto('tokens')
    .values({ token_hash: hashToken(token), user_id: userId, expires_at: now + ttl * 1000 })
    .execute()
  return token
}

export function rowToUser(row: Record<string, unknown>): User {
  return {
    id: Number(row.id),
    name: row.name as string,
    email: row.email as string,
    role: row.role as Role,
    isV2api: Number(row.is_v2api) === 1,
    branchIds: JSON.parse(row.branch_ids as string) as number[],
    isActive: Number(row.is_active) === 1,
  }
}

/** Whether a header value can be a token at all (64 hex digits); anything else is refused unread. */
export function isTokenShaped(token: string | undefined): token is string {
  return token !== undefined && /^[0-9a-f]{64}$/i.test(token)
}

/** The user of a valid token, or null for a missing, unknown, expired or revoked one (§2.3). */
export async function authenticate(
  db: AnyDb,
  token: string | undefined,
  reading?: Reading | null,
): Promise<User | null> {
  if (!isTokenShaped(token)) return null
  const hash = hashToken(token.toLowerCase())
  // Kept with its expiry: a token outlives no second of its TTL by being remembered.
  const found = await remembered(reading, `token:${hash}`, async () => {
    const row = await db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .selectAll('users')
      .select('tokens.expires_at')
      .where('tokens.token_hash', '=', hash)
      .executeTakeFirst()
    return row ? { user: rowToUser(row), expiresAt: Number(row.expires_at) } : null
  })
  if (!found || found.expiresAt <= Date.now() || !found.user.isActive) return null
  return found.user
}

export async function revokeTokens(db: AnyDb, userId: number): Promise<number> {
  const r = await db.deleteFrom('tokens').where('user_id', '=', userId).executeTakeFirst()
  return Number(r.numDeletedRows)
}
