import type { FastifyRequest } from 'fastify'
import { fail } from '../errors.js'

/**
 * The staff app's session: its token in an HttpOnly cookie (never readable by scripts), SameSite=Strict
 * (never sent on a cross-site request by a browser that honours it), Secure over HTTPS.
 */
export const SESSION_COOKIE = 'parta_session'

/**
 * The header a cookie-authenticated request must carry. A cross-site form cannot send a header, and a
 * cross-site fetch cannot send this one without a CORS preflight, which this server never grants.
 */
export const CSRF_HEADER = 'x-parta-csrf'

/** The token a request presents: X-ALFACRM-TOKEN wins; else the session cookie's. */
export function presentedToken(req: FastifyRequest): { token: string | undefined; fromCookie: boolean } {
  const header = req.headers['x-alfacrm-token']
  const token = Array.isArray(header) ? header[0] : header
  if (token !== undefined) return { token, fromCookie: false }
  const cookie = readCookie(req.headers.cookie, SESSION_COOKIE)
  return cookie === undefined ? { token: undefined, fromCookie: false } : { token: cookie, fromCookie: true }
}

/**
 * CSRF defence for a request a browser may have sent on its own (cookie-authenticated, or a sign-in):
 * the custom header is required, and an `Origin`, when sent, must be this server's own (Host and
 * protocol, as TRUST_PROXY lets the proxy tell them). Else 403 Access Denied.
 */
export function checkCsrf(req: FastifyRequest): void {
  if (req.headers[CSRF_HEADER] !== '1') throw fail.access()
  const origin = req.headers.origin
  if (origin !== undefined && origin.toLowerCase() !== ownOrigin(req)) throw fail.access()
}

const ownOrigin = (req: FastifyRequest) => `${req.protocol}://${req.host ?? ''}`.toLowerCase()

/** `Set-Cookie` for a session token living `maxAge` seconds (its TTL). */
export function sessionCookie(token: string, maxAge: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure ? '; Secure' : ''}`
}

/** `Set-Cookie` that makes the browser forget the session. */
export function clearedCookie(secure: boolean): string {
  return sessionCookie('', 0, secure)
}

/** One cookie's value from a `Cookie` header (RFC 6265 §5.4 form: `a=1; b=2`); the first wins. */
function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=')
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim()
  }
  return undefined
}
