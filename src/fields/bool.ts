import { parseBool } from '../wire/numbers.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

/** `bool` (§5.2): `0`/`1` out; true/false/1/0/"1"/"0"/"true"/"false" in. */
export function bool(opts: FieldOptions = {}): FieldKind {
  return makeKind(
    {
      type: 'bool',
      parse(input, label) {
        const r = parseBool(input)
        return r.ok ? r : { ok: false, message: messages.bool(label) }
      },
      filterValue: (input) => parseBool(input),
      toDb: (v) => v,
      fromDb: (raw) => (raw === null || raw === undefined ? null : Number(raw)),
      format: (v) => v,
      jsonSchema: () => ({ type: 'integer', enum: [0, 1] }),
    },
    opts,
    0,
  )
}
