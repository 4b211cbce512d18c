import { type FieldKind, type FieldOptions, makeKind } from './kind.js'

/**
 * A list of objects whose attributes are field kinds (a lesson's `details`). It has no column: the
 * model's `derive` hook fills it and its `prepare` hook reads the input, item by item, with the same
 * kinds, so the item schema of the OpenAPI document is the one validation uses. `name` names the item
 * schema; attributes marked read-only are shown but not written.
 */
export function objectList(
  name: string,
  item: Record<string, FieldKind>,
  opts: FieldOptions = {},
): FieldKind {
  const kind = makeKind(
    {
      type: `${name}[]`,
      derived: true,
      parse: () => ({ ok: false, message: '' }),
      toDb: (v) => v,
      fromDb: (v) => v,
      format: (v) => v ?? [],
      jsonSchema: () => ({ type: 'array', items: { type: 'object' } }),
    },
    opts,
    [],
  )
  return { ...kind, item: { name, fields: item } }
}
