import type { FieldErrors } from '../errors.js'
import { type FieldKind, messages, resolveDefault } from '../fields/kind.js'
import type { CustomDef } from './custom-fields.js'
import type { ActionCtx, Draft, Model, Rec } from './model.js'

export function newDraft(action: 'create' | 'update', body: Record<string, unknown>, old: Rec | null): Draft {
  const errors: FieldErrors = {}
  const draft: Draft = {
    action,
    body,
    values: old ? { ...old } : {},
    changed: new Set(),
    old,
    errors,
    row: {},
    secrets: new Set(),
    addError(key, message) {
      const list = errors[key] ?? []
      errors[key] = list
      if (!list.includes(message)) list.push(message)
    },
    set(key, value) {
      draft.values[key] = value
      draft.changed.add(key)
    },
  }
  return draft
}

const requiredBlank = (v: unknown) =>
  v === null ||
  v === undefined ||
  (typeof v === 'string' && v.trim() === '') ||
  (Array.isArray(v) && v.length === 0)

const optionalBlank = (kind: FieldKind, v: unknown) =>
  v === null || (kind.emptyStringIsBlank && typeof v === 'string' && v.trim() === '')

function inputKey(name: string, kind: FieldKind, body: Record<string, unknown>): string | undefined {
  if (name in body) return name
  return kind.aliases.find((a) => a in body)
}

/**
 * Parses the body into the draft in field-table order (§3.5), applying §5.9: absent keys keep their
 * value (update) or take the default (create); blanks clear nullable fields and fail required ones.
 */
export function parseFields(model: Model, draft: Draft, defs: CustomDef[], ctx: ActionCtx): void {
  const entries: Array<[string, FieldKind]> = [
    ...Object.entries(model.fields),
    ...defs.map((d): [string, FieldKind] => [d.key, { ...d.kind, label: d.label }]),
  ]
  for (const [name, kind] of entries) {
    if (kind.derived || name === 'id') continue
    if (kind.readOnly) {
      // Stored read-only fields start at their default (an active customer's e_date, zero caches).
      if (draft.action === 'create' && !(name in draft.values))
        draft.set(name, resolveDefault(kind.default, ctx))
      continue
    }
    if (kind.createOnly && draft.action === 'update') continue
    const key = inputKey(name, kind, draft.body)
    if (key === undefined) {
      if (draft.action === 'create') {
        if (kind.required) draft.addError(name, messages.required(kind.label))
        else draft.set(name, resolveDefault(kind.default, ctx))
      }
      continue
    }
    const raw = draft.body[key]
    if (kind.required && requiredBlank(raw)) {
      draft.addError(name, messages.required(kind.label))
      continue
    }
    if (optionalBlank(kind, raw)) {
      if (kind.nullable) draft.set(name, null)
      else if (draft.action === 'create') draft.set(name, resolveDefault(kind.default, ctx))
      continue
    }
    const r = kind.parse(raw, kind.label)
    if (r.ok) draft.set(name, r.value)
    else draft.addError(name, r.message)
  }
}

/** Keys of the draft whose value differs from the stored record. */
export function changedKeys(draft: Draft, model: Model, defs: CustomDef[]): string[] {
  const names = [...model.fieldNames, ...defs.map((d) => d.key)]
  return names.filter((n) => {
    if (!draft.changed.has(n)) return false
    if (!draft.old) return true
    const kind = model.fields[n] ?? defs.find((d) => d.key === n)?.kind
    return !(kind?.equals(draft.old[n], draft.values[n]) ?? false)
  })
}
