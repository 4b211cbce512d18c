import type { FieldKind } from '../fields/kind.js'
import type { Model, Rec } from './model.js'

/**
 * Per-model constructors of records and of their wire form, generated once from the declaration: an
 * object literal with the model's keys written out, instead of an empty object filled key by key. V8
 * gives a literal its final shape at once (a fast-properties object of a known map), where 35 keyed
 * stores walk 35 map transitions per object; a page of 50 customers is built several times faster, and
 * JSON.stringify of objects sharing one map is faster too. The output is the same: the same keys in the
 * same order with the same values as `rowToRec` and `present` made them key by key.
 */

type ReadRow = (row: Record<string, unknown>) => Rec
type ReadArrayRow = (row: unknown[]) => Rec
type Format = (rec: Rec) => Record<string, unknown>

const readers = new WeakMap<Model, ReadRow>()
const arrayReaders = new WeakMap<Model, ReadArrayRow>()

/** The columns a record is read from, unqualified, in the order a read selects them: `id` first. */
export function readColumns(model: Model): string[] {
  return [...new Set(['id', ...model.columns.map(([, kind]) => kind.column)])]
}

/** `rowToRec` of the model: `id` first, then every stored field from its column, in declaration order. */
export function rowReader(model: Model): ReadRow {
  let read = readers.get(model)
  if (read) return read
  if (model.columns.some(([name]) => name === '__proto__')) return (row) => readKeyByKey(model, row)
  read = generated<ReadRow>(model, (column) => `row[${JSON.stringify(column)}]`)
  readers.set(model, read)
  return read
}

/** The same record from a row of `readColumns`' values in their order (db/readers `ArrayRows`). */
export function arrayRowReader(model: Model): ReadArrayRow {
  let read = arrayReaders.get(model)
  if (read) return read
  const at = new Map(readColumns(model).map((c, i) => [c, i]))
  if (model.columns.some(([name]) => name === '__proto__')) {
    return (row) => readKeyByKey(model, Object.fromEntries([...at].map(([c, i]) => [c, row[i]])))
  }
  read = generated<ReadArrayRow>(model, (column) => `row[${at.get(column)}]`)
  arrayReaders.set(model, read)
  return read
}

/** A record constructor reading each column through `cell` (an expression of `row`). */
function generated<F>(model: Model, cell: (column: string) => string): F {
  // As the key-by-key version: `id` is set first, a stored `id` field then overwrites it in place.
  const entries = new Map<string, string>([['id', `Number(${cell('id')})`]])
  const kinds: FieldKind[] = []
  for (const [name, kind] of model.columns) {
    entries.set(name, `k[${kinds.length}].fromDb(${cell(kind.column)})`)
    kinds.push(kind)
  }
  const body = [...entries].map(([name, expr]) => `${JSON.stringify(name)}: ${expr}`).join(',\n')
  const make = new Function('k', `return function readRow(row) { return {\n${body}\n} }`) as (
    k: FieldKind[],
  ) => F
  return make(kinds)
}

/** The record of a row key by key (a model whose field names cannot be literal keys). */
export function readKeyByKey(model: Model, row: Record<string, unknown>): Rec {
  const rec: Record<string, unknown> = { id: Number(row.id) }
  for (const [name, kind] of model.columns) rec[name] = kind.fromDb(row[kind.column])
  return rec as Rec
}

/** Generated formatters of a model, one per set of fields present on the record (bounded). */
interface Formatters {
  fields: Array<[string, FieldKind]>
  byShape: Map<string, Format>
}

const formatters = new WeakMap<Model, Formatters>()
/** Shapes kept per model: records of one model carry one or two sets of fields in practice. */
const MAX_SHAPES = 32

/**
 * The model's declared fields of `rec` in declaration order, formatted (`present` without custom
 * fields and hooks), or null when the model has more shapes than are kept (the caller builds it key
 * by key then).
 */
export function formatFields(model: Model, rec: Rec): Record<string, unknown> | null {
  let f = formatters.get(model)
  if (!f) {
    f = { fields: Object.entries(model.fields), byShape: new Map() }
    // A literal's `"__proto__":` would set the prototype: such a model is built key by key.
    if (f.fields.some(([name]) => name === '__proto__')) f.byShape = new Map([['', () => ({})]])
    formatters.set(model, f)
  }
  let shape = ''
  for (const [name] of f.fields) shape += name in rec ? '1' : '0'
  let format = f.byShape.get(shape)
  if (!format) {
    if (f.byShape.size >= MAX_SHAPES || f.byShape.has('')) return null
    const kinds: FieldKind[] = []
    const parts: string[] = []
    f.fields.forEach(([name, kind], i) => {
      if (shape[i] !== '1') return
      const key = JSON.stringify(name)
      parts.push(`${key}: k[${kinds.length}].format(rec[${key}])`)
      kinds.push(kind)
    })
    const make = new Function('k', `return function format(rec) { return {\n${parts.join(',\n')}\n} }`) as (
      k: FieldKind[],
    ) => Format
    format = make(kinds)
    f.byShape.set(shape, format)
  }
  return format(rec)
}
