import { parseNumber } from '../wire/numbers.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

export interface NumberOptions extends FieldOptions {
  /** Exclusive lower bound (e.g. a discount amount must be > 0). */
  above?: number
}

/** `number`: a JSON number with up to two decimals, stored as hundredths so it stays exact. */
export function number(opts: NumberOptions = {}): FieldKind {
  return makeKind(
    {
      type: opts.nullable ? 'number?' : 'number',
      parse(input, label) {
        const r = parseNumber(input)
        if (!r.ok) return { ok: false, message: messages.number(label) }
        if (opts.above !== undefined && r.value <= opts.above) {
          return { ok: false, message: `Значение «${label}» должно быть больше ${opts.above}.` }
        }
        return r
      },
      filterValue: (input) => parseNumber(input),
      toDb: (v) => (v === null ? null : Math.round((v as number) * 100)),
      fromDb: (raw) => (raw === null || raw === undefined ? null : Number(raw) / 100),
      format: (v) => v,
      jsonSchema: () => ({ type: opts.nullable ? ['number', 'null'] : 'number' }),
    },
    opts,
    0,
  )
}
