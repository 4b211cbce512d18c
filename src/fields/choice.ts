import { parseInt32 } from '../wire/numbers.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

/** Enum values, or a map from each value to its meaning in English (`{ 1: 'natural person' }`). */
export type Values = readonly (number | string)[] | Readonly<Record<number | string, string>>

/** The values in declaration order (digit keys become numbers) and their meanings, if given. */
export function enumValues(values: Values): { list: Array<number | string>; meanings: string[] | null } {
  if (Array.isArray(values)) return { list: [...values], meanings: null }
  const entries = Object.entries(values as Record<string, string>)
  const numeric = entries.every(([k]) => /^\d+$/.test(k))
  const list = entries.map(([k]): number | string => (numeric ? Number(k) : k))
  return { list, meanings: entries.map(([, m]) => m) }
}

/** The meanings as OpenAPI shows them beside `enum`: "`1` natural person, `2` legal entity." */
export function enumSchema(values: Values, nullable = false): Record<string, unknown> {
  const { list, meanings } = enumValues(values)
  const type = list.every((v) => typeof v === 'number') ? 'integer' : 'string'
  const schema = nullable ? { type: [type, 'null'], enum: [...list, null] } : { type, enum: list }
  if (!meanings) return schema
  const text = list.map((v, i) => `\`${v}\` ${meanings[i]}`).join(', ')
  return { ...schema, description: `${text}.` }
}

/**
 * `enum{…}`: integer enums convert as `int`; string enums compare case-insensitively and come out
 * as written in the declaration. Boolean inputs are accepted for 0/1 enums (`is_study: true`).
 */
export function choice(declared: Values, opts: FieldOptions = {}): FieldKind {
  const values = enumValues(declared).list
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
      jsonSchema: () => enumSchema(declared, opts.nullable),
    },
    opts,
    values[0],
  )
}
