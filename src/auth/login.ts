import type { AnyDb } from '../engine/model.js'
import { fail } from '../errors.js'
import type { SlidingWindow } from './rate-limit.js'
import { DUMMY_HASH, verifyApiKey } from './secrets.js'
import { issueVerifiedToken } from './tokens.js'

export interface LoginDeps {
  db: AnyDb
  tokenTtl: number
  limiter: SlidingWindow
}

/**
 * §2.1: every failure looks the same (403 Not Authorized); attempts are limited per client IP and
 * e-mail, successful ones included (§2.7). Credentials come from the body only.
 */
export async function login(deps: LoginDeps, body: Record<string, unknown>, ip: string) {
  // No user has an e-mail or key longer than 255 characters (§7.30): refused before anything is kept
  // or computed for them (the limiter's keys, a scrypt over a megabyte).
  if (tooLong(body.email) || tooLong(body.api_key)) throw fail.login()
  // An e-mail with U+0000 names no user (and PostgreSQL refuses it in a query): no e-mail at all.
  const given = typeof body.email === 'string' && !body.email.includes('\u0000') ? body.email : ''
  const email = given.trim().toLowerCase()
  const key = typeof body.api_key === 'string' ? body.api_key : ''
  const wait = deps.limiter.hit(`${ip}\u0000${email}`)
  if (wait > 0) throw fail.rate(wait)
  const user = email
    ? await deps.db.selectFrom('users').selectAll().where('email_lc', '=', email).executeTakeFirst()
    : undefined
  const valid = await verifyApiKey(key, (user?.api_key_hash as string | undefined) ?? DUMMY_HASH)
  if (!user || !valid || !key || Number(user.is_active) !== 1) throw fail.login()
  const verified = {
    id: Number(user.id),
    apiKeyHash: String(user.api_key_hash),
    tokenVersion: Number(user.token_version),
  }
  // Null: the key was rotated or the user's tokens revoked while the key was being verified.
  const token = await issueVerifiedToken(deps.db, verified, deps.tokenTtl)
  if (token === null) throw fail.login()
  return { token, expires_in: deps.tokenTtl }
}

const MAX_CREDENTIAL = 255
const tooLong = (v: unknown) => typeof v === 'string' && v.length > MAX_CREDENTIAL
