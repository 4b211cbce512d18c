import { formatMoney, parseMoney } from '../wire/numbers.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

export interface MoneyOptions extends FieldOptions {
  /** Smallest allowed value in kopecks. */
  minKopecks?: number
}

/** `money` (§5.3): integer kopecks in storage, `"575.00"` on the wire, never a float. */
export function money(opts: MoneyOptions = {}): FieldKind {
  return makeKind(
    {
      type: 'money',
      parse(input, label) {
        const r = parseMoney(input)
        if (!r.ok) return { ok: false, message: messages.number(label) }
        if (opts.minKopecks !== undefined && r.value < opts.minKopecks) {
          return { ok: false, message: messages.min(label, formatMoney(opts.minKopecks)) }
        }
        return r
      },
      filterValue: (input) => parseMoney(input),
      toDb: (v) => v,
      fromDb: (raw) => (raw === null || raw === undefined ? null : Number(raw)),
      format: (v) => (v === null ? null : formatMoney(v as number)),
      // Money goes out as a string with two decimals; a lower bound of 0 or more rules out the sign.
      jsonSchema: () => ({
        type: opts.nullable ? ['string', 'null'] : 'string',
        pattern: (opts.minKopecks ?? -1) >= 0 ? '^\\d+\\.\\d{2}$' : '^-?\\d+\\.\\d{2}$',
        examples: ['575.00'],
      }),
    },
    opts,
    0,
  )
}
