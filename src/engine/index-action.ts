import { type CompiledQuery, type SelectQueryBuilder, sql } from 'kysely'
import { remembered } from '../db/memo.js'
import { fail } from '../errors.js'
import { customFilter, loadCustomDefs } from './custom-fields.js'
import { PatternTooLong } from './filters.js'
import type { Action, ActionCtx, Condition, Eb, Model, RequestInput } from './model.js'
import { NAMES_KEY, namesOf, referencedIds, wantsNames } from './names.js'
import { PAGING_KEYS, readAfterId, readPaging } from './paging.js'
import { hydrate, present } from './present.js'
import { rowToRec, visibleIn } from './repository.js'
import { readScoping } from './scoping.js'
import { isSortKey, readSort, type SortKey, sortOrder } from './sort.js'

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
 * The rows an index selects (§4): filters from body over query, defaults for absent keys, scoping
 * parameters, the model's restriction and branch visibility, as one query to select or count from.
 * Shared by `index` and the read actions that take the same parameters (pay/total, count); `own` names
 * the keys of such an action, which are no filters (`group_by`).
 */
export async function selectFiltered(
  model: Model,
  ctx: ActionCtx,
  input: RequestInput,
  action: Action,
  own: readonly string[] = [],
) {
  const defs = await remembered(ctx.reading, `defs:${model.slug}`, () => loadCustomDefs(model, ctx))
  const scoping = readScoping(model, action, input)
  const params: Record<string, unknown> = { ...input.query, ...input.body }
  const conditions: Array<(eb: Eb) => Condition> = []
  for (const [key, value] of Object.entries(params)) {
    // Own keys only: a body key `constructor` or `__proto__` must not find Object.prototype's members.
    if (
      PAGING_KEYS.has(key) ||
      key === NAMES_KEY ||
      isSortKey(model, key) ||
      Object.hasOwn(scoping, key) ||
      own.includes(key)
    )
      continue
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
    else if (custom) conditions.push(naming(key, (eb) => customFilter(custom, value, eb, ctx, model)))
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
  const after = readAfterId(input)
  if (after !== null) conditions.push((eb) => eb(`${model.table}.id`, '>', after))
  const filtered: Filtered = ctx.trx.selectFrom(model.table).where((eb) => {
    const reads = model.restrictReads?.(eb, ctx)
    return eb.and([
      visibleIn(model, eb, ctx.pathBranch),
      ...conditions.map((c) => c(eb)),
      ...(reads ? [reads] : []),
    ])
  })
  return { filtered, defs }
}

/** A query's SQL and parameters: the memo key of what it computes. */
export const shapeOf = (c: CompiledQuery) => `${c.sql}\u0000${JSON.stringify(c.parameters)}`

/**
 * `index` (§4): the rows `selectFiltered` selects, a total count and one ordered page (the model's
 * order, or the client's `sort`); then one batch to complete the page, and with `names` [ext] one query
 * per reference field naming what the page points at.
 */
export async function indexAction(
  model: Model,
  ctx: ActionCtx,
  input: RequestInput,
  action: Action = 'index',
) {
  const { page, size } = readPaging(input, ctx.maxPageSize)
  const sort = readSort(model, input)
  const named = wantsNames(input)
  const after = readAfterId(input)
  // A cursor orders by id alone: another order could not continue from an id.
  if (after !== null && sort) throw fail.badParam('sort')
  const { filtered, defs } = await selectFiltered(model, ctx, input, action)
  if (after !== null) return afterIdPage(model, ctx, filtered, defs, { after, page, size, named })
  const counting = filtered.select(sql<number>`count(*)`.as('n')).compile()
  // The count does not depend on the order: every order of one filter shares it.
  const shape = shapeOf(counting)
  const total = await remembered(ctx.reading, `total:${shape}`, async () => {
    const r = await ctx.trx.executeQuery<{ n: number }>(counting)
    return Number(r.rows[0]?.n ?? 0)
  })
  let rows: Record<string, unknown>[] = []
  if (page * size < total && sort) rows = await readSortedPage(model, ctx, filtered, sort, page * size, size)
  else if (page * size < total) rows = await readPage(model, ctx, filtered, shape, page * size, size)
  const recs = rows.map((r) => rowToRec(model, r))
  await hydrate(model, recs, defs, ctx)
  const items = recs.map((r) => present(model, r, defs, ctx))
  if (!named) return { total, count: items.length, page, items }
  const names = await namesOf(model, ctx, referencedIds(model, recs))
  return { total, count: items.length, page, items, names }
}

/**
 * A page of a download by `after_id` [ext]: rows with a greater id, by id, read by the primary key; no
 * `total` (null): counting the rest on every page would make a full download O(n²). `next_after_id` is
 * the last id of the page (the `after_id` sent when it is empty), to send as the next `after_id`; a
 * page shorter than the page size is the end for now (a client tailing the table sends it again later).
 */
async function afterIdPage(
  model: Model,
  ctx: ActionCtx,
  filtered: Filtered,
  defs: Awaited<ReturnType<typeof loadCustomDefs>>,
  { after, page, size, named }: { after: number; page: number; size: number; named: boolean },
) {
  const rows = await filtered
    .selectAll(model.table)
    .orderBy(`${model.table}.id`, 'asc')
    .limit(size)
    .offset(page * size)
    .execute()
  const recs = rows.map((r) => rowToRec(model, r))
  await hydrate(model, recs, defs, ctx)
  const items = recs.map((r) => present(model, r, defs, ctx))
  const next = recs.at(-1)?.id ?? after
  const reply = { total: null, count: items.length, page, items, next_after_id: next }
  if (!named) return reply
  return { ...reply, names: await namesOf(model, ctx, referencedIds(model, recs)) }
}

/** A page in the client's order: by OFFSET, never through the page starts kept for the model's order. */
function readSortedPage(
  model: Model,
  ctx: ActionCtx,
  filtered: Filtered,
  sort: SortKey[],
  offset: number,
  size: number,
): Promise<Record<string, unknown>[]> {
  let q = filtered.selectAll(model.table)
  for (const { expr, dir } of sortOrder(model, sort, ctx))
    q = q.orderBy(expr, (ob) => (dir === 'asc' ? ob.asc() : ob.desc()).nullsLast())
  return q.limit(size).offset(offset).execute()
}

/** Page starts kept per filter. */
const MAX_STARTS = 10_000

type Filtered = SelectQueryBuilder<Record<string, Record<string, unknown>>, string, object>

/**
 * One page in the model's order. Models ordered by id alone seek: where a page begins is kept in the
 * memo (db/memo) with the id just before it, so page N+1 after page N, or page N again, starts at its
 * first row by the primary key instead of stepping over every row before it (OFFSET). The first
 * request for a far page steps over them once, reading one row more to learn where its page starts.
 */
async function readPage(
  model: Model,
  ctx: ActionCtx,
  filtered: Filtered,
  shape: string,
  offset: number,
  size: number,
): Promise<Record<string, unknown>[]> {
  const byId = model.order.length === 1 && model.order[0]![0] === 'id' ? model.order[0]![1] : null
  let q = filtered.selectAll(model.table)
  for (const [column, dir] of model.order) q = q.orderBy(`${model.table}.${column}`, dir)
  if (!byId || !ctx.reading) return q.limit(size).offset(offset).execute()

  const startsKey = `starts:${shape}`
  const starts = await remembered(ctx.reading, startsKey, async () => new Map<number, number>())
  // The nearest known start at or before the page: the id of the row just before that position.
  let from = 0
  let after: number | null = null
  for (const [position, id] of starts) {
    if (position <= offset && position > from) {
      from = position
      after = id
    }
  }
  const gap = offset - from
  const idColumn = `${model.table}.id`
  if (after !== null) q = q.where(idColumn, byId === 'asc' ? '>' : '<', after)
  // Stepping over rows (gap > 0): read the row before the page too, to keep where the page starts.
  const lead = gap > 0 ? 1 : 0
  const rows = await q
    .limit(size + lead)
    .offset(gap - lead)
    .execute()
  if (lead === 1 && rows.length > 0) starts.set(offset, Number(rows[0]!.id))
  const page = lead === 1 ? rows.slice(1) : rows
  if (page.length > 0 && starts.size < MAX_STARTS) starts.set(offset + page.length, Number(page.at(-1)!.id))
  // Kept again with the weight it has grown to (a Map entry of two numbers ≈ 48 bytes).
  ctx.reading.memo.set(ctx.reading.version, startsKey, starts, 256 + starts.size * 48)
  return page
}
