import { parseInt32 } from '../wire/numbers.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

export interface IntOptions extends FieldOptions {
  min?: number
  max?: number
}

/** `int` / `int?` (§5.1): JSON integers out; integers, whole numbers and digit strings in. */
export function int(opts: IntOptions = {}): FieldKind {
  return makeKind(
    {
      type: opts.nullable ? 'int?' : 'int',
      parse(input, label) {
        const r = parseInt32(input)
        if (!r.ok) return { ok: false, message: messages.integer(label) }
        if (opts.min !== undefined && r.value < opts.min)
          return { ok: false, message: messages.min(label, opts.min) }
        if (opts.max !== undefined && r.value > opts.max)
          return { ok: false, message: messages.max(label, opts.max) }
        return r
      },
      filterValue: (input) => parseInt32(input),
      toDb: (v) => v,
      fromDb: (raw) => (raw === null || raw === undefined ? null : Number(raw)),
      format: (v) => v,
      jsonSchema: () => ({
        type: opts.nullable ? ['integer', 'null'] : 'integer',
        ...(opts.min !== undefined ? { minimum: opts.min } : {}),
        ...(opts.max !== undefined ? { maximum: opts.max } : {}),
      }),
    },
    opts,
    0,
  )
}
