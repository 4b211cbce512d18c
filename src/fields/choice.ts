import { parseInt32 } from '../wire/numbers.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

/**
 * `enum{…}`: integer enums convert as `int`; string enums compare case-insensitively and come out
 * as written in the declaration. Boolean inputs are accepted for 0/1 enums (`is_study: true`).
 */
export function choice(values: readonly (number | string)[], opts: FieldOptions = {}): FieldKind {
  const numeric = values.every((v) => typeof v === 'number')
  const match = (input: unknown): { ok: true; value: unknown } | { ok: false } => {
    if (numeric) {
      if (typeof input === 'boolean') input = input ? 1 : 0
      if (typeof input === 'string' && /^(true|false)$/i.test(input.trim()))
        input = /^true$/i.test(input.trim()) ? 1 : 0
      const r = parseInt32(input)
      return r.ok && values.includes(r.value) ? r : { ok: false }
    }
    if (typeof input !== 'string') return { ok: false }
    const found = values.find((v) => String(v).toLowerCase() === input.trim().toLowerCase())
    return found === undefined ? { ok: false } : { ok: true, value: found }
  }
  return makeKind(
    {
      type: `enum{${values.join(',')}}`,
      parse(input, label) {
        const r = match(input)
        if (r.ok) return r
        const integerError = numeric && !parseInt32(input).ok && typeof input !== 'boolean'
        return { ok: false, message: integerError ? messages.integer(label) : messages.invalid(label) }
      },
      filterValue: match,
      toDb: (v) => v,
      fromDb: (raw) => (raw === null || raw === undefined ? null : numeric ? Number(raw) : raw),
      format: (v) => v,
      jsonSchema: () => ({ enum: opts.nullable ? [...values, null] : [...values] }),
    },
    opts,
    values[0],
  )
}
