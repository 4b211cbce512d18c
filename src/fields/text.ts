import { pluralRu } from '../wire/numbers.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

/** `string(n)`: trimmed, ≤ max characters; numbers are accepted and turned into strings (§5.7). */
export function text(max: number, opts: FieldOptions = {}): FieldKind {
  return makeKind(
    {
      type: `string(${max})`,
      emptyStringIsBlank: false,
      parse(input, label) {
        if (typeof input === 'number' && Number.isFinite(input)) input = String(input)
        if (typeof input !== 'string')
          return { ok: false, message: `Значение «${label}» должно быть строкой.` }
        const v = input.trim()
        // PostgreSQL cannot store U+0000 in text; refused on both databases alike.
        if (v.includes('\u0000')) return { ok: false, message: messages.invalid(label) }
        if ([...v].length > max) {
          const unit = pluralRu(max, ['символ', 'символа', 'символов'])
          return { ok: false, message: `Значение «${label}» должно содержать максимум ${max} ${unit}.` }
        }
        return { ok: true, value: v }
      },
      toDb: (v) => v,
      fromDb: (raw) => (raw ?? '') as string,
      format: (v) => v,
      jsonSchema: () => ({ type: 'string', maxLength: max }),
    },
    opts,
    '',
  )
}
