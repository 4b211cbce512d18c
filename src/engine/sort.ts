import { type Expression, sql } from 'kysely'
import { fail } from '../errors.js'
import type { ActionCtx, Model, RequestInput } from './model.js'

/** The index parameter that orders the list [ext]; a paging key, never a filter, where a model takes it. */
export const SORT_KEY = 'sort'

/** Keys in one `sort`; `id` breaks the ties of the last. */
export const MAX_SORT_KEYS = 3

export interface SortKey {
  field: string
  dir: 'asc' | 'desc'
}

const given = (v: unknown) =>
  v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)

/** Whether `key` is this model's `sort` (lesson-type has a field of that name and takes no sort). */
export const isSortKey = (model: Model, key: string) => key === SORT_KEY && model.sortable.size > 0

/**
 * `sort` from the body, else the query, like the paging keys: `name`, `-balance`, a comma-separated
 * list or an array of such keys. Absent or empty → null, the model's own order. A key the model does
 * not sort by, a repeated key, more than MAX_SORT_KEYS or any other shape → 400 on `sort`.
 */
export function readSort(model: Model, input: RequestInput): SortKey[] | null {
  if (model.sortable.size === 0) return null
  const raw = given(input.body[SORT_KEY]) ? input.body[SORT_KEY] : input.query[SORT_KEY]
  if (!given(raw)) return null
  const items = typeof raw === 'string' ? raw.split(',') : raw
  if (!Array.isArray(items) || items.length > MAX_SORT_KEYS) throw fail.badParam(SORT_KEY)
  const keys = items.map((item): SortKey => {
    if (typeof item !== 'string') throw fail.badParam(SORT_KEY)
    const text = item.trim()
    const field = text.startsWith('-') ? text.slice(1) : text
    if (!model.sortable.has(field)) throw fail.badParam(SORT_KEY)
    return { field, dir: text.startsWith('-') ? 'desc' : 'asc' }
  })
  if (new Set(keys.map((k) => k.field)).size < keys.length) throw fail.badParam(SORT_KEY)
  return keys
}

export interface OrderTerm {
  expr: Expression<unknown>
  dir: 'asc' | 'desc'
}

/**
 * The ORDER BY of a sort, made total by `id` in the direction of the last key. Both databases order
 * alike: nulls last either way (SQLite would put them first, PostgreSQL last only when ascending), text
 * case-insensitively by code point (PostgreSQL's collation would otherwise differ from SQLite's bytes).
 */
export function sortOrder(model: Model, keys: SortKey[], ctx: Pick<ActionCtx, 'dialect'>): OrderTerm[] {
  const terms = keys.map(({ field, dir }): OrderTerm => {
    const ref = sql.ref(`${model.table}.${model.sortable.get(field)}`)
    const isText = model.fields[field]?.type.startsWith('string(') ?? false
    const collated = ctx.dialect === 'postgres' ? sql`lower(${ref}) COLLATE "C"` : sql`lower(${ref})`
    return { expr: isText ? collated : ref, dir }
  })
  if (!keys.some((k) => k.field === 'id'))
    terms.push({ expr: sql.ref(`${model.table}.id`), dir: keys.at(-1)?.dir ?? 'asc' })
  return terms
}

/** What the OpenAPI document says of `sort` for a model that takes it. */
export function sortDoc(model: Model): Record<string, unknown> {
  const fields = [...model.sortable.keys()]
  const one = { type: 'string', enum: fields.flatMap((f) => [f, `-${f}`]) }
  const key = `-?(${fields.join('|')})`
  return {
    oneOf: [
      { type: 'string', pattern: `^${key}(,${key}){0,${MAX_SORT_KEYS - 1}}$` },
      { type: 'array', items: one, minItems: 1, maxItems: MAX_SORT_KEYS },
    ],
    examples: [`-${fields.at(-1)}`],
    description:
      `Order of the list [extension]: a field, \`-field\` for descending, or up to ${MAX_SORT_KEYS} of them ` +
      `comma-separated or as an array; \`id\` breaks ties in the direction of the last key. Sortable: ` +
      `${fields.map((f) => `\`${f}\``).join(', ')}. Nulls come last either way; text compares ` +
      'case-insensitively. Absent or empty: the default order.',
  }
}
