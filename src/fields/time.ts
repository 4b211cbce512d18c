import { formatTime, parseTime } from '../wire/dates.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

/** `time:hm` / `time:hms` (§5.6): stored `HH:MM:SS`. */
export function time(style: 'hm' | 'hms', opts: FieldOptions = {}): FieldKind {
  return makeKind(
    {
      type: `time:${style}`,
      parse(input, label) {
        const r = parseTime(input)
        return r.ok ? r : { ok: false, message: messages.format(label) }
      },
      filterValue: (input) => parseTime(input),
      toDb: (v) => v,
      fromDb: (raw) => (raw ?? null) as string | null,
      format: (v) => (v === null ? null : formatTime(v as string, style)),
      jsonSchema: () => ({
        type: 'string',
        pattern: style === 'hm' ? '^\\d{2}:\\d{2}$' : '^\\d{2}:\\d{2}:\\d{2}$',
        examples: [style === 'hm' ? '10:00' : '10:00:00'],
      }),
    },
    opts,
    null,
  )
}
