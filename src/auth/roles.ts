import type { Model } from '../engine/model.js'

export const ROLES = ['admin', 'manager', 'teacher', 'readonly'] as const
export type Role = (typeof ROLES)[number]

/** Global models every role may read (§2.4, §7.1, §7.28, §7.29); users are admin-only everywhere. */
const MANAGER_GLOBAL_READS = new Set(['branch', 'pay-type', 'custom-field'])

/**
 * §2.4, step 8 of §1.11. Teachers' `lesson/update` is allowed here and narrowed to its permitted keys
 * by the lesson rules, which can compare with the stored values.
 */
export function mayRun(role: Role, model: Model, action: string, isRead: boolean): boolean {
  if (role === 'admin') return true
  const global = model.scope === 'global'
  if (model.readers === 'admin') return false
  if (isRead) return !global || MANAGER_GLOBAL_READS.has(model.slug)
  if (role === 'manager') return !global && model.writers !== 'admin'
  return role === 'teacher' && model.slug === 'lesson' && action === 'update'
}
