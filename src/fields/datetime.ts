import { parseDateTime } from '../wire/dates.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

/**
 * `datetime` (§5.5): wall-clock `yyyy-mm-dd hh:mm:ss` in `TZ`. The time zone is bound at model
 * registration (config is read once), so parsing needs no context.
 */
export function datetime(opts: FieldOptions = {}): FieldKind {
  const kind = makeKind(
    {
      type: 'datetime',
      parse(input, label) {
        const r = parseDateTime(input, datetimeZone.tz)
        return r.ok ? r : { ok: false, message: messages.format(label) }
      },
      filterValue: (input) => parseDateTime(input, datetimeZone.tz),
      toDb: (v) => v,
      fromDb: (raw) => (raw ?? null) as string | null,
      format: (v) => v,
      jsonSchema: () => ({
        type: ['string', 'null'],
        pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$',
        examples: ['2025-09-15 10:00:00'],
      }),
    },
    opts,
    null,
  )
  return kind
}

/** The server time zone for datetime input with an offset; set once from config at start. */
export const datetimeZone = { tz: 'Europe/Moscow' }
