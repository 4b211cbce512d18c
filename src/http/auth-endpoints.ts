import { type LoginDeps, signIn } from '../auth/login.js'
import { changePassword } from '../auth/passwords.js'
import { revokeToken, type TokenKind } from '../auth/tokens.js'
import type { User } from '../engine/model.js'
import type { AuthEndpoint } from './route.js'
import { clearedCookie, sessionCookie } from './session-cookie.js'

/** A session endpoint's call: who (null for the sign-in), with which token, and the parsed body. */
export interface AuthCall {
  endpoint: AuthEndpoint
  signedIn: { user: User; token: string; kind: TokenKind; fromCookie: boolean } | null
  body: Record<string, unknown>
  ip: string
  /** The request came over HTTPS (directly, or by a trusted proxy's X-Forwarded-Proto). */
  secure: boolean
}

export interface AuthReply {
  body: unknown
  cookie?: string
}

/** The signed-in user as the staff app needs it; never a secret. */
const describe = (u: User) => ({
  id: u.id,
  name: u.name,
  email: u.email,
  role: u.role,
  branch_ids: u.branchIds,
  teacher_id: u.teacherId,
})

/**
 * The staff app's session endpoints: `session` signs in with a password and sets the cookie, `me` says
 * who is signed in, `sign-out` revokes the token it was called with, `password` changes the caller's own
 * password (revoking its other sessions and tokens). All but `session` work with a header token too.
 */
export async function runAuthEndpoint(deps: LoginDeps, call: AuthCall): Promise<AuthReply> {
  const { signedIn, secure } = call
  if (call.endpoint === 'session') {
    const { token, user } = await signIn(deps, call.body, call.ip)
    return {
      body: { user: describe(user), expires_in: deps.tokenTtl },
      cookie: sessionCookie(token, deps.tokenTtl, secure),
    }
  }
  if (!signedIn) throw new Error(`auth/${call.endpoint} needs a signed-in user`)
  if (call.endpoint === 'me') return { body: { user: describe(signedIn.user) } }
  if (call.endpoint === 'sign-out') {
    await revokeToken(deps.db, signedIn.token)
    return { body: { success: true }, cookie: clearedCookie(secure) }
  }
  const token = await changePassword(deps, signedIn.user, signedIn.kind, call.body, call.ip)
  // The caller's own token died with the others: its replacement goes where the old one came from.
  if (signedIn.fromCookie)
    return { body: { success: true }, cookie: sessionCookie(token, deps.tokenTtl, secure) }
  return { body: { success: true, token, expires_in: deps.tokenTtl } }
}
