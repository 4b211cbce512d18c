import { sql } from 'kysely'
import { fail } from '../errors.js'
import type { FieldKind } from '../fields/kind.js'
import { addYears, parseDateTime } from '../wire/dates.js'
import { parseInt32 } from '../wire/numbers.js'
import { type Condition, type Eb, type FilterDoc, type FilterFn, linkTable, type Model } from './model.js'

/**
 * Filter kinds of §4.5. Each factory names a field; the value is converted by that field's kind, and a
 * value that cannot be converted is a 400 naming the filter key (§4.6).
 */
function kindOf(model: Model, field: string): FieldKind & { column?: string } {
  const k = model.fields[field]
  if (!k) throw new Error(`${model.slug}: filter on unknown field ${field}`)
  return k
}

function values<T>(
  raw: unknown,
  key: string,
  convert: (v: unknown) => { ok: true; value: T } | { ok: false },
): T[] {
  const list = Array.isArray(raw) ? raw : [raw]
  if (list.length === 0 || list.length > 10_000) throw fail.badParam(key)
  return list.map((item) => {
    const r = convert(item)
    if (!r.ok) throw fail.badParam(key)
    return r.value
  })
}

const col = (model: Model, field: string) => `${model.table}.${kindOf(model, field).column ?? field}`

// SQLite refuses a LIKE pattern longer than this (SQLITE_MAX_LIKE_PATTERN_LENGTH) with an error.
const MAX_PATTERN_BYTES = 50_000

/** A filter value too long to become a LIKE pattern; the index action names its key in a 400 (§4.6). */
export class PatternTooLong extends Error {}

/** Escapes LIKE metacharacters so `%`, `_` and `\` match themselves. */
export function likePattern(s: string): string {
  const pattern = `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  if (Buffer.byteLength(pattern) > MAX_PATTERN_BYTES) throw new PatternTooLong()
  return pattern
}

function like(expr: string, needle: string): Condition {
  return sql<boolean>`${sql.ref(expr)} LIKE ${likePattern(needle)} ESCAPE '\\'`
}

/**
 * `column IN (values)` as one statement shape whatever the list's length. Written out, a list of L
 * values is L placeholders: a new SQL text, and a new prepared statement, for every length a client
 * sends. SQLite reads the list from one JSON parameter, PostgreSQL from one array parameter.
 */
export function inList(eb: Eb, dialect: 'sqlite' | 'postgres', column: string, list: unknown[]): Condition {
  if (list.length === 1) return eb(column, '=', list[0])
  return dialect === 'sqlite'
    ? sql<boolean>`${sql.ref(column)} IN (SELECT j.value FROM json_each(${JSON.stringify(list)}) AS j)`
    : sql<boolean>`${sql.ref(column)} = ANY(${list})`
}

/** `expr LIKE` any of the patterns, one statement shape whatever their number (see inList). */
export function likeAny(eb: Eb, dialect: 'sqlite' | 'postgres', expr: string, patterns: string[]): Condition {
  if (patterns.length === 1) return sql<boolean>`${sql.ref(expr)} LIKE ${patterns[0]} ESCAPE '\\'`
  return dialect === 'sqlite'
    ? eb.exists(
        eb
          .selectFrom(sql<{ value: string }>`json_each(${JSON.stringify(patterns)})`.as('p'))
          .select(sql`1`.as('one'))
          .where(sql<boolean>`${sql.ref(expr)} LIKE p.value ESCAPE '\\'`),
      )
    : sql<boolean>`${sql.ref(expr)} LIKE ANY(${patterns})`
}

/**
 * Records whose `column` is among `select` of the `table` rows whose `match` is any id sent: lessons of a
 * customer (through its detail rows), lessons at a location (through their rooms).
 */
export function idsThrough(
  column: string,
  table: string,
  select: string,
  match: string,
  key: string,
): FilterFn {
  return (raw, eb, ctx) => {
    const ids = values(raw, key, parseInt32)
    const rows = eb
      .selectFrom(table)
      .select(select)
      .where((w) => inList(w, ctx.dialect, match, ids))
    return eb(column, 'in', rows)
  }
}

/** Attaches what the OpenAPI document says of a filter; `fn` itself is left as it is (it may be shared). */
export function describe(doc: FilterDoc | ((model: Model) => FilterDoc), fn: FilterFn): FilterFn {
  const wrapped: FilterFn = (raw, eb, ctx, model) => fn(raw, eb, ctx, model)
  wrapped.doc = typeof doc === 'function' ? doc : () => doc
  return wrapped
}

/** A default filter (§4.7) that acts as if its key had been sent with `value`. */
export const asIf = (value: unknown, fn: FilterFn): FilterFn =>
  describe({ default: value, description: `Absent or empty, it acts as \`${value}\`.` }, fn)

type Json = Record<string, unknown>

/** A field's schema as a filter operand: never null. */
function operand(kind: FieldKind): Json {
  const schema = { ...kind.jsonSchema() }
  if (Array.isArray(schema.type)) schema.type = schema.type.find((t) => t !== 'null')
  if (Array.isArray(schema.enum)) schema.enum = schema.enum.filter((v) => v !== null)
  return schema
}

/** One value, or a non-empty list of values of which any matches (§4.5). */
export const oneOrMany = (one: Json): Json => ({ oneOf: [one, { type: 'array', items: one, minItems: 1 }] })

const ID = { type: 'integer', minimum: 1, examples: [1] }
/** A date in either style (§5.4) or, on datetime fields, a datetime; a date alone covers its day. */
const DAY = { type: 'string', examples: ['2025-09-15'] }

export function idFilter(key = 'id'): FilterFn {
  const fn: FilterFn = (raw, eb, ctx, model) =>
    inList(eb, ctx.dialect, `${model.table}.id`, values(raw, key, parseInt32))
  return describe({ schema: oneOrMany(ID), description: 'Record id, or a list of ids (any of them).' }, fn)
}

export function exact(field: string, key = field): FilterFn {
  const read = (raw: unknown, model: Model) => {
    const kind = kindOf(model, field)
    return values(raw, key, (v) => kind.filterValue(v)).map((v) => kind.toDb(v))
  }
  const filter = describe(
    (model) => ({
      schema: oneOrMany(operand(kindOf(model, field))),
      description: `Equal to \`${field}\`; a list matches any of its values.`,
    }),
    (raw, eb, ctx, model) => inList(eb, ctx.dialect, col(model, field), read(raw, model)),
  )
  // What a kept count by this field (engine/tally `by`) admits: the same values, as numbers.
  filter.cell = (raw, model) => read(raw, model).map(Number)
  return filter
}

export const flag = exact

/** A text needle the field could hold (a string or number within its length), else a 400 (§4.6). */
function textNeedle(raw: unknown, kind: FieldKind, key: string): string {
  if ((typeof raw !== 'string' && typeof raw !== 'number') || !kind.filterValue(raw).ok)
    throw fail.badParam(key)
  return String(raw)
}

/** Case-insensitive substring (§4.5); `lower()` is Unicode-aware on both databases (see db/connect). */
export function substring(field: string, key = field): FilterFn {
  const doc = { schema: { type: 'string' }, description: `Case-insensitive substring of \`${field}\`.` }
  return describe(doc, (raw, eb, ctx, model) => {
    const kind = kindOf(model, field)
    const needle = textNeedle(raw, kind, key).trim().toLowerCase()
    if (model.trigram?.includes(field) && ctx.dialect === 'sqlite')
      return trigramMatch(eb, model, field, needle)
    if (kind.type === 'string[]') return like(`${model.table}.${kind.column}_search`, needle)
    return sql<boolean>`lower(${sql.ref(col(model, field))}) LIKE ${likePattern(needle)} ESCAPE '\\'`
  })
}

/**
 * A substring through the SQLite FTS5 trigram table `{table}_search` (migration 004), which holds the
 * lower-cased text (digits for phones) under the field's name; GLOB with the metacharacters quoted
 * matches literally and uses the index. PostgreSQL's pg_trgm indexes serve the plain LIKE instead.
 */
function trigramMatch(eb: Eb, model: Model, field: string, needle: string): Condition {
  const glob = `*${needle.replace(/[*?[]/g, (c) => `[${c}]`)}*`
  const fts = `${model.table}_search`
  const matches = eb
    .selectFrom(fts)
    .select(`${fts}.rowid`)
    .where(sql<boolean>`${sql.ref(`${fts}.${field}`)} GLOB ${glob}`)
  return eb(`${model.table}.id`, 'in', matches)
}

/** Digits of the value as a substring of the digits of any phone; no digits → no filter (§4.5). */
export function phone(field: string, key = field): FilterFn {
  const description = `Digits found within the digits of any \`${field}\`; a value without digits is ignored.`
  return describe({ schema: { type: 'string' }, description }, (raw, eb, ctx, model) => {
    const digits = textNeedle(raw, kindOf(model, field), key).replace(/\D/g, '')
    if (digits === '') return sql<boolean>`1 = 1`
    if (model.trigram?.includes(field) && ctx.dialect === 'sqlite')
      return trigramMatch(eb, model, field, digits)
    return like(`${model.table}.${kindOf(model, field).column}_digits`, digits)
  })
}

/** The list field contains the value, or any of the values (§4.5). */
export function contains(field: string, key = field): FilterFn {
  const doc = (model: Model): FilterDoc => {
    const items = kindOf(model, field).jsonSchema().items as Json
    return {
      schema: oneOrMany(items),
      description: `\`${field}\` contains the value; a list matches any of its values.`,
    }
  }
  return describe(doc, (raw, eb, ctx, model) => {
    const kind = kindOf(model, field)
    const vs = values(raw, key, (v) => kind.filterValue(v))
    return eb(
      `${model.table}.id`,
      'in',
      eb
        .selectFrom(linkTable(model, field))
        .select('record_id')
        .where((w) => inList(w, ctx.dialect, 'value', vs)),
    )
  })
}

/** `{f}_from` / `{f}_to`, inclusive; a date bound on a datetime covers the whole day (§4.5). */
export function range(field: string, ...names: string[]): Record<string, FilterFn> {
  const out: Record<string, FilterFn> = {}
  for (const name of names.length ? names : [field]) {
    out[`${name}_from`] = bound(field, `${name}_from`, '>=')
    out[`${name}_to`] = bound(field, `${name}_to`, '<=')
  }
  return out
}

function bound(field: string, key: string, op: '>=' | '<='): FilterFn {
  const doc = (model: Model): FilterDoc => {
    const kind = kindOf(model, field)
    const dated = kind.type.startsWith('date')
    const edge = op === '>=' ? 'Lower' : 'Upper'
    const day = kind.type === 'datetime' ? '; a date alone covers its whole day' : ''
    return {
      schema: dated ? DAY : operand(kind),
      description: `${edge} bound of \`${field}\`, inclusive${dated ? `, in either date style${day}` : ''}.`,
    }
  }
  return describe(doc, (raw, eb, ctx, model) => {
    const kind = kindOf(model, field)
    if (Array.isArray(raw) || (typeof raw === 'object' && raw !== null)) throw fail.badParam(key)
    if (kind.type === 'datetime') return eb(col(model, field), op, datetimeBound(raw, op, ctx.tz, key))
    const r = kind.filterValue(raw)
    if (!r.ok) throw fail.badParam(key)
    return eb(col(model, field), op, kind.toDb(r.value))
  })
}

export function onDate(field: string, key = field): FilterFn {
  return exact(field, key)
}

/** `removed` / `is_study` (§4.7): 0 and 1 select one value, 2 both ("removed" 1 = active and archived). */
export function triState(field: string, meaning: 'removed' | 'is_study'): FilterFn {
  const values =
    meaning === 'removed'
      ? '`0` active only, `1` active and archived, `2` archived only.'
      : '`0` leads, `1` students, `2` both.'
  const doc = { schema: { type: 'integer', enum: [0, 1, 2] }, description: values }
  const read = (raw: unknown) => {
    const r = parseInt32(typeof raw === 'boolean' ? (raw ? 1 : 0) : raw)
    if (!r.ok || r.value < 0 || r.value > 2) throw fail.badParam(field)
    return r.value
  }
  // The column values each filter value admits (null: any); the condition and the tally read it alike.
  const admits = (v: number): readonly number[] | null =>
    meaning === 'removed' ? (v === 0 ? [0] : v === 2 ? [1] : null) : v === 2 ? null : [v]
  const filter = describe(doc, (raw, eb, _ctx, model) => {
    const values = admits(read(raw))
    return values === null ? sql<boolean>`1 = 1` : eb(col(model, field), '=', values[0]!)
  })
  filter.cell = (raw) => admits(read(raw))
  return filter
}

/** The common `id`/`ids` pair every model has. */
export const ids = (): Record<string, FilterFn> => ({ id: idFilter('id'), ids: idFilter('ids') })

/** A key clients send that selects nothing: accepted, so known in strict mode, and ignored. */
export const ignored = (): FilterFn =>
  describe({ description: 'Accepted and ignored.' }, () => sql<boolean>`1 = 1`)

/** A datetime range bound (§4.5): a bare date covers its whole day; a wrong value is a 400 on `key`. */
export function datetimeBound(raw: unknown, op: '>=' | '<=', tz: string, key: string): string {
  const r = typeof raw === 'object' ? null : parseDateTime(raw, tz)
  if (!r?.ok) throw fail.badParam(key)
  const dateOnly = typeof raw === 'string' && !/\d:\d/.test(raw)
  return dateOnly ? `${r.value.slice(0, 10)} ${op === '>=' ? '00:00:00' : '23:59:59'}` : r.value
}

/** Range on a hidden datetime column (`updated_at`): date bounds cover whole days. */
export function stampRange(column: string, name: string): Record<string, FilterFn> {
  const edge = (key: string, op: '>=' | '<='): FilterFn =>
    describe(
      {
        schema: DAY,
        description: `${op === '>=' ? 'Lower' : 'Upper'} bound of \`${name}\`, inclusive: a datetime, or a date covering its whole day.`,
      },
      (raw, eb, ctx, model) => eb(`${model.table}.${column}`, op, datetimeBound(raw, op, ctx.tz, key)),
    )
  return { [`${name}_from`]: edge(`${name}_from`, '>='), [`${name}_to`]: edge(`${name}_to`, '<=') }
}

/** Full years today from a date of birth (§7.3 `age_from`/`age_to`). */
export function ageRange(field: string): Record<string, FilterFn> {
  const doc = (op: 'from' | 'to'): FilterDoc => ({
    schema: { type: 'integer', minimum: 0, maximum: 200 },
    description: `${op === 'from' ? 'Minimum' : 'Maximum'} age in full years today, from \`${field}\`, inclusive.`,
  })
  const edge = (key: string, op: 'from' | 'to'): FilterFn =>
    describe(doc(op), (raw, eb, ctx, model) => {
      const r = parseInt32(raw)
      if (!r.ok || r.value < 0 || r.value > 200) throw fail.badParam(key)
      const c = `${model.table}.${field}`
      // age ≥ n ⇔ dob ≤ today − n years; age ≤ n ⇔ dob > today − (n + 1) years
      return op === 'from'
        ? eb(c, '<=', addYears(ctx.today, -r.value))
        : eb(c, '>', addYears(ctx.today, -(r.value + 1)))
    })
  return { age_from: edge('age_from', 'from'), age_to: edge('age_to', 'to') }
}
