import type { Model, Registry } from '../engine/model.js'

/** The staff app's session endpoints under `/v2api/auth/` (see http/auth-endpoints). */
export const AUTH_ENDPOINTS = ['session', 'me', 'sign-out', 'password'] as const
export type AuthEndpoint = (typeof AUTH_ENDPOINTS)[number]

export type Route =
  | { kind: 'login' }
  | { kind: 'auth'; endpoint: AuthEndpoint }
  /** [ext] `/v2api/batch`: several reads in one request (see http/batch). */
  | { kind: 'batch' }
  | { kind: 'action'; branch: number | null; model: Model; action: string; isRead: boolean }

const READ_ACTIONS = new Set(['index'])

/**
 * §1.2: `/v2api/auth/login` (and the session endpoints, and the [ext] `batch`), `/v2api/[{b}/]{slug}[/{action}]` and the teacher sub-resources. Matching is
 * case-sensitive; one trailing slash is ignored; anything else is not a route (404).
 */
export function resolveRoute(path: string, models: Registry): Route | null {
  if (!path.startsWith('/v2api/')) return null
  let rest = path.slice('/v2api/'.length)
  if (rest.endsWith('/')) rest = rest.slice(0, -1)
  const segs = rest.split('/')
  if (segs.some((s) => s === '')) return null
  if (segs.length === 2 && segs[0] === 'auth' && segs[1] === 'login') return { kind: 'login' }
  const endpoint = AUTH_ENDPOINTS.find((e) => segs.length === 2 && segs[0] === 'auth' && segs[1] === e)
  if (endpoint) return { kind: 'auth', endpoint }
  if (segs.length === 1 && segs[0] === 'batch') return { kind: 'batch' }
  let branch: number | null = null
  if (/^\d{1,10}$/.test(segs[0] ?? '')) branch = Number(segs.shift())
  let key = segs.shift()
  if (key === undefined) return null
  if (key === 'teacher' && segs.length > 0 && models.has(`teacher/${segs[0]}`))
    key = `teacher/${segs.shift()}`
  const model = models.get(key)
  if (!model || segs.length > 1) return null
  const action = segs[0] ?? 'index'
  // Own keys only: `constructor` or `toString` must not find Object.prototype's members.
  const extra = model.extra && Object.hasOwn(model.extra, action) ? model.extra[action] : undefined
  if (!extra && !model.actions.includes(action)) return null
  return { kind: 'action', branch, model, action, isRead: extra ? extra.read : READ_ACTIONS.has(action) }
}
