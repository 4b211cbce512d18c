import { parseInt32 } from '../wire/numbers.js'
import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

/**
 * `ref(Model)`: an integer id that must name a record visible per §2.6; the engine checks existence
 * and visibility for every ref field in one batch.
 */
export function ref(target: string, opts: FieldOptions = {}): FieldKind {
  return makeKind(
    {
      type: `ref(${target})`,
      ref: target,
      parse(input, label) {
        const r = parseInt32(input)
        return r.ok ? r : { ok: false, message: messages.integer(label) }
      },
      filterValue: (input) => parseInt32(input),
      toDb: (v) => v,
      fromDb: (raw) => (raw === null || raw === undefined ? null : Number(raw)),
      format: (v) => v,
      jsonSchema: () => ({
        type: opts.nullable || !opts.required ? ['integer', 'null'] : 'integer',
        minimum: 1,
        examples: [1],
      }),
    },
    { nullable: !opts.required && !('default' in opts), ...opts },
    null,
  )
}
