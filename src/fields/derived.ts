import type { FieldKind } from './kind.js'

/**
 * A read-only value computed by the model's `derive` hook (balances, counters, next lesson …):
 * it has no column, is never parsed and never logged (§5.11). It borrows the output format of `like`.
 */
export function derived(like: FieldKind, description?: string): FieldKind {
  return {
    ...like,
    derived: true,
    readOnly: true,
    required: false,
    column: undefined,
    linked: false,
    description,
  }
}

/** A stored field the server sets itself (created-at stamps, archive dates); input is ignored. */
export function readOnly(kind: FieldKind): FieldKind {
  return { ...kind, readOnly: true, required: false }
}
