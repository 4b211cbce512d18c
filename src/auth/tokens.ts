import { type Reading, remembered } from '../db/memo.js'
import type { AnyDb, User } from '../engine/model.js'
import type { Role } from './roles.js'
import { hashToken, newToken } from './secrets.js'

/**
 * How a token was issued: `api` by `auth/login` (api key, sent in X-ALFACRM-TOKEN), `session` by
 * `auth/session` (password, held by the browser in a cookie). Both grant the same; only a session token
 * is accepted from the cookie.
 */
export type TokenKind = 'api' | 'session'

/** The user column holding the secret each kind of token is issued for. */
const SECRET_COLUMN = { api: 'api_key_hash', session: 'password_hash' } as const

/** The user columns a login reads before verifying the secret, and checks again when it issues the token. */
export interface Credentials {
  id: number
  kind: TokenKind
  /** The stored hash of the secret verified: the api key's (`api`) or the password's (`session`). */
  secretHash: string
  tokenVersion: number
}

/**
 * Issues a token for the credentials a login verified, valid for `ttl` seconds from now and not
 * extended by use (§2.2). In one transaction it checks they are still the stored ones (no rotation or
 * revocation since they were read) and stamps the token with the version read: a revocation committed
 * at any moment after that read bumps the version, which kills the token (see `authenticate`).
 */
export async function issueVerifiedToken(
  db: AnyDb,
  verified: Credentials,
  ttl: number,
): Promise<string | null> {
  const column = SECRET_COLUMN[verified.kind]
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('users')
      .select([column, 'token_version', 'is_active'])
      .where('id', '=', verified.id)
      .executeTakeFirst()
    const same =
      current?.[column] === verified.secretHash &&
      Number(current.token_version) === verified.tokenVersion &&
      Number(current.is_active) === 1
    return same ? insertToken(trx, verified.id, verified.tokenVersion, ttl, verified.kind) : null
  })
}

/** Issues a token for a user an operator names (demo data, tests), at the user's current version. */
export async function issueToken(
  db: AnyDb,
  userId: number,
  ttl: number,
  kind: TokenKind = 'api',
): Promise<string> {
  const row = await db.selectFrom('users').select('token_version').where('id', '=', userId).executeTakeFirst()
  return insertToken(db, userId, Number(row?.token_version ?? 0), ttl, kind)
}

async function insertToken(
  db: AnyDb,
  userId: number,
  version: number,
  ttl: number,
  kind: TokenKind,
): Promise<string> {
  const token = newToken()
  // Expiry in milliseconds: a token lives its whole TTL whenever in a second it was issued.
  const now = Date.now()
  await db.deleteFrom('tokens').where('expires_at', '<', now).where('user_id', '=', userId).execute()
  await db
    .insertInto('tokens')
    .values({
      token_hash: hashToken(token),
      user_id: userId,
      expires_at: now + ttl * 1000,
      user_version: version,
      kind,
    })
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
    teacherId: row.teacher_id == null ? null : Number(row.teacher_id),
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
  return (await authenticateToken(db, token, reading))?.user ?? null
}

/** `authenticate`, also saying how the token was issued. */
export async function authenticateToken(
  db: AnyDb,
  token: string | undefined,
  reading?: Reading | null,
): Promise<{ user: User; kind: TokenKind } | null> {
  if (!isTokenShaped(token)) return null
  const hash = hashToken(token.toLowerCase())
  // Kept with its expiry: a token outlives no second of its TTL by being remembered.
  const found = await remembered(reading, `token:${hash}`, async () => {
    const row = await db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .selectAll('users')
      .select(['tokens.expires_at', 'tokens.kind'])
      .where('tokens.token_hash', '=', hash)
      // A token issued before the user's last revocation is dead, even if it was written after it.
      .whereRef('tokens.user_version', '=', 'users.token_version')
      .executeTakeFirst()
    if (!row) return null
    const kind: TokenKind = row.kind === 'session' ? 'session' : 'api'
    return { user: rowToUser(row), kind, expiresAt: Number(row.expires_at) }
  })
  if (!found || found.expiresAt <= Date.now() || !found.user.isActive) return null
  return { user: found.user, kind: found.kind }
}

/** Logs one token out (a session's logout); the user's other tokens stay. */
export async function revokeToken(db: AnyDb, token: string): Promise<void> {
  await db.deleteFrom('tokens').where('token_hash', '=', hashToken(token.toLowerCase())).execute()
}

/** Logs the user out everywhere: every token it holds, and any a login in progress is about to issue. */
export async function revokeTokens(db: AnyDb, userId: number): Promise<number> {
  await db
    .updateTable('users')
    .set((eb) => ({ token_version: eb('token_version', '+', 1) }))
    .where('id', '=', userId)
    .execute()
  const r = await db.deleteFrom('tokens').where('user_id', '=', userId).executeTakeFirst()
  return Number(r.numDeletedRows)
}
