import { sql } from 'kysely'
import { fail } from '../errors.js'
import { customFilter, loadCustomDefs } from './custom-fields.js'
import { PatternTooLong } from './filters.js'
import type { Action, ActionCtx, Condition, Eb, Model, RequestInput } from './model.js'
import { PAGING_KEYS, readPaging } from './paging.js'
import { hydrate, present } from './present.js'
import { rowToRec, visibleIn } from './repository.js'
import { readScoping } from './scoping.js'

const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)

// The longest string a field holds (§5.10 `text`): a longer filter value cannot be converted (§4.6).
const MAX_FILTER_CHARS = 10_000

/** A string no column holds: with U+0000 (which PostgreSQL refuses in a query) or longer than any field. */
const isUnstorable = (v: unknown) =>
  typeof v === 'string' &&
  (v.includes('\u0000') || (v.length > MAX_FILTER_CHARS && [...v].length > MAX_FILTER_CHARS))

/** A filter whose value cannot become a pattern is a wrong value of its key (§4.6). */
function naming(key: string, condition: (eb: Eb) => Condition): (eb: Eb) => Condition {
  return (eb) => {
    try {
      return condition(eb)
    } catch (err) {
      throw err instanceof PatternTooLong ? fail.badParam(key) : err
    }
  }
}

/**
 * `index` (§4): filters from body over query, defaults for absent keys, branch visibility, a total
 * count and one ordered page; then one batch to complete the page.
 */
export async function indexAction(
  model: Model,
  ctx: ActionCtx,
  input: RequestInput,
  action: Action = 'index',
) {
  const { page, size } = readPaging(input, ctx.maxPageSize)
  const defs = await loadCustomDefs(model, ctx)
  const scoping = readScoping(model, action, input)
  const params: Record<string, unknown> = { ...input.query, ...input.body }
  const conditions: Array<(eb: Parameters<typeof visibleIn>[1]) => Condition> = []
  for (const [key, value] of Object.entries(params)) {
    // Own keys only: a body key `constructor` or `__proto__` must not find Object.prototype's members.
    if (PAGING_KEYS.has(key) || Object.hasOwn(scoping, key)) continue
    const filter = Object.hasOwn(model.filters, key) ? model.filters[key] : undefined
    const custom = defs.find((d) => d.key === key)
    if (!filter && !custom) {
      const known = Object.hasOwn(model.fields, key) || model.inputKeys?.includes(key)
      if (ctx.strict && !known) throw fail.unknownParam(key)
      continue
    }
    if (isEmpty(value)) continue
    if ((Array.isArray(value) ? value : [value]).some(isUnstorable)) throw fail.badParam(key)
    if (filter) conditions.push(naming(key, (eb) => filter(value, eb, ctx, model)))
    else if (custom) conditions.push(naming(key, (eb) => customFilter(custom, value, eb, model)))
  }
  for (const [key, filter] of Object.entries(model.defaultFilters)) {
    // A default filter gets every parameter, so it can step aside for related keys (cgi date_to).
    if (isEmpty(params[key])) conditions.push((eb) => filter(params, eb, ctx, model))
  }
  for (const [name, value] of Object.entries(scoping)) {
    const column = model.fields[name]?.column ?? name
    conditions.push((eb) => eb(`${model.table}.${column}`, '=', value))
  }
  if (model.restrict) conditions.push((eb) => model.restrict!(eb, ctx))
  const where = (eb: Parameters<typeof visibleIn>[1]) =>
    eb.and([visibleIn(model, eb, ctx.pathBranch), ...conditions.map((c) => c(eb))])

  const countRow = await ctx.trx
    .selectFrom(model.table)
    .select(sql<number>`count(*)`.as('n'))
    .where(where)
    .executeTakeFirstOrThrow()
  const total = Number(countRow.n)
  let rows: Record<string, unknown>[] = []
  if (page * size < total) {
    let q = ctx.trx.selectFrom(model.table).selectAll(model.table).where(where)
    for (const [column, dir] of model.order) q = q.orderBy(`${model.table}.${column}`, dir)
    rows = await q
      .limit(size)
      .offset(page * size)
      .execute()
  }
  const recs = rows.map((r) => rowToRec(model, r))
  await hydrate(model, recs, defs, ctx)
  const items = recs.map((r) => present(model, r, defs, ctx))
  return { total, count: items.length, page, items }
}
