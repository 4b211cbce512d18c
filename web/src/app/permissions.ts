import type { ModelKey, SessionUser } from '../api/client'
import { MODELS } from '../api/models.gen'

interface Info {
  scope: string
  readers: string
  writers: string
}

/** Global models a manager, teacher or readonly user may read; the server's rule (§2.4) mirrored. */
const GLOBAL_READS = new Set(['branch', 'pay-type', 'custom-field'])

/**
 * What the user's role allows, so the app shows only what it can do; the server refuses the rest
 * anyway. Teachers write lessons (attendance) only; readonly users write nothing.
 */
export function mayWrite(user: SessionUser, model: ModelKey): boolean {
  const info: Info = MODELS[model]
  if (user.role === 'admin') return true
  if (info.readers === 'admin') return false
  if (user.role === 'manager') return info.scope !== 'global' && info.writers !== 'admin'
  return user.role === 'teacher' && model === 'lesson'
}

export function mayRead(user: SessionUser, model: ModelKey): boolean {
  const info: Info = MODELS[model]
  if (user.role === 'admin') return true
  if (info.readers === 'admin') return false
  return info.scope !== 'global' || GLOBAL_READS.has(model)
}
