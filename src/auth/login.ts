import type { AnyDb, User } from '../engine/model.js'
import { fail } from '../errors.js'
import type { SlidingWindow } from './rate-limit.js'
import { DUMMY_HASH, verifyApiKey, verifyPassword } from './secrets.js'
import { issueVerifiedToken, rowToUser, type TokenKind } from './tokens.js'

export interface LoginDeps {
  db: AnyDb
  tokenTtl: number
  limiter: SlidingWindow
  /** The server time zone: log rows of the session endpoints carry its local time (§0.3). */
  tz: string
}

/** §2.1: `auth/login` with an e-mail and an api key issues a token for the X-ALFACRM-TOKEN header. */
export async function login(deps: LoginDeps, body: Record<string, unknown>, ip: string) {
  const { token } = await verifyAndIssue(deps, body, ip, 'api')
  return { token, expires_in: deps.tokenTtl }
}

/**
 * `auth/session`: the staff app's sign-in with an e-mail and a password; the token goes into the
 * session cookie, never into a reply body. A user without a password cannot sign in this way.
 */
export async function signIn(
  deps: LoginDeps,
  body: Record<string, unknown>,
  ip: string,
): Promise<{ token: string; user: User }> {
  return verifyAndIssue(deps, body, ip, 'session')
}

/** The body key holding the secret each kind of token is issued for. */
const SECRET_KEY = { api: 'api_key', session: 'password' } as const
const VERIFY = { api: verifyApiKey, session: verifyPassword }
const HASH_COLUMN = { api: 'api_key_hash', session: 'password_hash' } as const

/**
 * §2.1: every failure looks the same (403 Not Authorized); attempts are limited per client IP and
 * e-mail, successful ones included (§2.7), api-key logins and password sign-ins together. Credentials
 * come from the body only.
 */
async function verifyAndIssue(deps: LoginDeps, body: Record<string, unknown>, ip: string, kind: TokenKind) {
  const secretKey = SECRET_KEY[kind]
  // No user has an e-mail, key or password longer than 255 characters (§7.30): refused before anything
  // is kept or computed for them (the limiter's keys, a scrypt over a megabyte).
  if (tooLong(body.email) || tooLong(body[secretKey])) throw fail.login()
  // An e-mail with U+0000 names no user (and PostgreSQL refuses it in a query): no e-mail at all.
  const given = typeof body.email === 'string' && !body.email.includes('\u0000') ? body.email : ''
  const email = given.trim().toLowerCase()
  const secret = typeof body[secretKey] === 'string' ? body[secretKey] : ''
  const wait = deps.limiter.hit(`${ip}\u0000${email}`)
  if (wait > 0) throw fail.rate(wait)
  const user = email
    ? await deps.db.selectFrom('users').selectAll().where('email_lc', '=', email).executeTakeFirst()
    : undefined
  const stored = user?.[HASH_COLUMN[kind]] as string | null | undefined
  const valid = await VERIFY[kind](secret, stored ?? DUMMY_HASH)
  if (!user || !stored || !valid || !secret || Number(user.is_active) !== 1) throw fail.login()
  const verified = { id: Number(user.id), kind, secretHash: stored, tokenVersion: Number(user.token_version) }
  // Null: the secret was changed or the user's tokens revoked while it was being verified.
  const token = await issueVerifiedToken(deps.db, verified, deps.tokenTtl)
  if (token === null) throw fail.login()
  return { token, user: rowToUser(user) }
}

const MAX_CREDENTIAL = 255
const tooLong = (v: unknown) => typeof v === 'string' && v.length > MAX_CREDENTIAL
