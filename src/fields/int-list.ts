import { parseInt32 } from '../wire/numbers.js'
import { enumSchema, enumValues, type Values } from './choice.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

export interface IntListOptions extends FieldOptions {
  /** Target model: every element must name a visible record (§2.6). */
  ref?: string
  /** Allowed values (`enum{1..7}[]`), with their meanings when given as a map. */
  values?: Values
  /** Kept in a link table so it can be filtered (`contains`) and guarded on delete (§6.9). */
  linked?: boolean
}

const MAX_ITEMS = 10_000

/**
 * `int[]` / `ref(Model)[]` (§5, §5.8): a single value becomes a one-element list, `null` → `[]`;
 * output has no duplicates and is sorted ascending.
 */
export function intList(opts: IntListOptions = {}): FieldKind {
  const allowed = opts.values === undefined ? undefined : enumValues(opts.values).list
  const parseOne = (v: unknown): { ok: true; value: number } | { ok: false } => {
    const r = parseInt32(v)
    return r.ok && (allowed === undefined || allowed.includes(r.value)) ? r : { ok: false }
  }
  return makeKind(
    {
      type: opts.ref ? `ref(${opts.ref})[]` : allowed ? `enum{${allowed.join(',')}}[]` : 'int[]',
      ref: opts.ref,
      linked: opts.linked ?? opts.ref !== undefined,
      parse(input, label) {
        if (input === null) return { ok: true, value: [] }
        const list = Array.isArray(input) ? input : typeof input === 'object' ? null : [input]
        if (list === null) return { ok: false, message: messages.list(label) }
        // Every id becomes a query parameter (reference check, link rows): SQLite takes 32 766 at most.
        if (list.length > MAX_ITEMS) return { ok: false, message: messages.invalid(label) }
        const out = new Set<number>()
        for (const item of list) {
          const r = parseOne(item)
          if (!r.ok) {
            const bad = parseInt32(item).ok ? messages.invalid(label) : messages.integer(label)
            return { ok: false, message: bad }
          }
          out.add(r.value)
        }
        return { ok: true, value: [...out].sort((a, b) => a - b) }
      },
      filterValue: parseOne,
      toDb: (v) => JSON.stringify(v),
      fromDb: (raw) => (typeof raw === 'string' ? (JSON.parse(raw) as number[]) : []),
      format: (v) => v,
      jsonSchema: () => ({
        type: 'array',
        items: opts.values
          ? enumSchema(opts.values)
          : { type: 'integer', ...(opts.ref ? { minimum: 1 } : {}) },
      }),
    },
    opts,
    [],
  )
}
