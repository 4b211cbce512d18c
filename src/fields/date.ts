import { formatDate, parseDate } from '../wire/dates.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

/** `date:dmy` / `date:iso` (§5.4): both styles in, one fixed style out per field. */
export function date(style: 'dmy' | 'iso', opts: FieldOptions = {}): FieldKind {
  return makeKind(
    {
      type: `date:${style}`,
      parse(input, label) {
        const r = parseDate(input)
        return r.ok ? r : { ok: false, message: messages.format(label) }
      },
      filterValue: (input) => parseDate(input),
      toDb: (v) => v,
      fromDb: (raw) => (raw ?? null) as string | null,
      format: (v) => formatDate(v as string | null, style),
      jsonSchema: () => ({
        type: opts.nullable ? ['string', 'null'] : 'string',
        pattern: style === 'dmy' ? '^\\d{2}\\.\\d{2}\\.\\d{4}$' : '^\\d{4}-\\d{2}-\\d{2}$',
        examples: [style === 'dmy' ? '15.09.2025' : '2025-09-15'],
      }),
    },
    opts,
    null,
  )
}
