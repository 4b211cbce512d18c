import { type CompiledQuery, type SelectQueryBuilder, sql } from 'kysely'
import { remembered } from '../db/memo.js'
import type { ArrayRows } from '../db/readers.js'
import { fail } from '../errors.js'
import { type CustomDef, customFilter, loadCustomDefs } from './custom-fields.js'
import { PatternTooLong } from './filters.js'
import type { Action, ActionCtx, Condition, Eb, Model, RequestInput } from './model.js'
import { NAMES_KEY, namesOf, referencedIds, wantsNames } from './names.js'
import { PAGING_KEYS, readAfterId, readPaging } from './paging.js'
import { hydrate, present } from './present.js'
import { type Row, rowId, rowToRec, selectedColumns, visibleIn } from './repository.js'
import { readScoping } from './scoping.js'
import { isSortKey, readSort, type SortKey, sortOrder } from './sort.js'
import { type Applied, type Counted, readTally, type TallyQuery, tallyQuery } from './tally.js'

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
  // The model's filters applied, with their values (a default filter's with the value it acts as), or
  // null once anything else narrows the rows: what the kept counts can answer (engine/tally).
  let applied: Applied | null = []
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
    if (filter) {
      applied?.push([key, value])
      conditions.push(naming(key, (eb) => filter(value, eb, ctx, model)))
    } else if (custom) {
      applied = null
      conditions.push(naming(key, (eb) => customFilter(custom, value, eb, ctx, model)))
    }
  }
  for (const [key, filter] of Object.entries(model.defaultFilters)) {
    // A default filter gets every parameter, so it can step aside for related keys (cgi date_to).
    if (!isEmpty(params[key])) continue
    applied?.push([key, filter.doc?.(model).default])
    conditions.push((eb) => filter(params, eb, ctx, model))
  }
  for (const [name, value] of Object.entries(scoping)) {
    const column = model.fields[name]?.column ?? name
    applied = null
    conditions.push((eb) => eb(`${model.table}.${column}`, '=', value))
  }
  if (model.restrict) {
    applied = null
    conditions.push((eb) => model.restrict!(eb, ctx))
  }
  const after = readAfterId(input)
  if (after !== null) {
    applied = null
    conditions.push((eb) => eb(`${model.table}.id`, '>', after))
  }
  const filtered: Filtered = ctx.trx.selectFrom(model.table).where((eb) => {
    const reads = model.restrictReads?.(eb, ctx)
    return eb.and([
      visibleIn(model, eb, ctx.pathBranch),
      ...conditions.map((c) => c(eb)),
      ...(reads ? [reads] : []),
    ])
  })
  return { filtered, defs, applied }
}

/** A query's SQL and parameters: the memo key of what it computes. */
export const shapeOf = (c: CompiledQuery) => `${c.sql}\u0000${JSON.stringify(c.parameters)}`

/**
 * What an index runs for one filter, compiled once: the count (and its text, the memo key of the
 * total) and the page in the model's order from the start or after a kept page start, with the page's
 * bounds as their last parameters. Kept in the memo under the data version, keyed by everything a
 * filter reads (the caller, the path branch, the clock's second, the request's parameters other than
 * paging), so random pages of one list build and compile nothing after the first.
 */
interface Plan {
  counting: CompiledQuery
  shape: string
  /** The page query in the model's order (null: built each time), and from a kept start (models ordered by id). */
  page: CompiledQuery | null
  seek: CompiledQuery | null
  /**
   * SQLite, a filter through a trigram table: the page with the filter's total on each row
   * (`count(*) OVER ()`), so a search not counted yet matches its needle once, not once to count and
   * once for the page.
   */
  counted: CompiledQuery | null
  /** The filter is only the tally's columns (engine/tally): counted from the kept counts. */
  tally: TallyQuery | null
  defs: CustomDef[]
}

/** The column of a page that carries its filter's total (see Plan.counted); no field is named so. */
const TOTAL_COLUMN = '__total_of_filter'

// Placeholders of a page's bounds, recognised in the compiled parameters and replaced on each run.
const AFTER = -987_654_321
const LIMIT = 987_654_322
const OFFSET = 987_654_323

/**
 * The plan's memo key: everything but paging that the statements depend on, as JSON. Null — the plan is
 * then made and not kept — when JSON would not tell the request apart from another (a number out of
 * range parses to Infinity, which JSON writes as null) or cannot be written (a body nested thousands deep).
 */
function planKey(model: Model, ctx: ActionCtx, input: RequestInput, action: Action): string | null {
  const rest = (o: Record<string, unknown>) =>
    Object.entries(o).filter(([k]) => !PAGING_KEYS.has(k) && k !== NAMES_KEY)
  let exotic = false
  try {
    const key = JSON.stringify(
      [
        model.slug,
        action,
        ctx.pathBranch,
        ctx.userId,
        ctx.strict,
        ctx.now,
        rest(input.query),
        rest(input.body),
      ],
      (_k, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) exotic = true
        return v
      },
    )
    return exotic ? null : key
  } catch {
    return null
  }
}

async function planOf(model: Model, ctx: ActionCtx, input: RequestInput, action: Action): Promise<Plan> {
  const make = async (): Promise<Plan> => {
    const { filtered, defs, applied } = await selectFiltered(model, ctx, input, action)
    const counting = filtered.select(sql<number>`count(*)`.as('n')).compile()
    const byId = model.order.length === 1 && model.order[0]![0] === 'id' ? model.order[0]![1] : null
    const searches =
      ctx.dialect === 'sqlite' &&
      (model.trigram?.length ?? 0) > 0 &&
      counting.sql.includes(`"${model.table}_search"`)
    const ordered = orderedPage(model, filtered, searches)
    // Pages select `selectedColumns` alone: a reader may send their rows as arrays (rowToRec takes both).
    const page = arrays(bounded(ordered.limit(LIMIT).offset(OFFSET).compile(), [LIMIT, OFFSET]))
    const seek = byId
      ? arrays(
          bounded(
            ordered
              .where(`${model.table}.id`, byId === 'asc' ? '>' : '<', AFTER)
              .limit(LIMIT)
              .offset(OFFSET)
              .compile(),
            [AFTER, LIMIT, OFFSET],
          ),
        )
      : null
    const counted = searches ? countedPage(model, ctx, filtered) : null
    const tally = tallyQuery(model, ctx, applied)
    return { counting, shape: shapeOf(counting), page, seek, counted, tally, defs }
  }
  const keyed = ctx.reading ? planKey(model, ctx, input, action) : null
  if (!ctx.reading || keyed === null) return make()
  const key = `plan:${keyed}`
  const kept = ctx.reading.memo.get<Plan>(ctx.reading.version, key)
  if (kept) return kept
  const made = await make()
  // Kept without the operation trees they were compiled from (only the root's kind is read, to send a
  // select to a reader), so a kept plan weighs about what its texts and parameters do.
  const plan = {
    ...made,
    counting: light(made.counting),
    page: made.page && light(made.page),
    seek: made.seek && light(made.seek),
    counted: made.counted && light(made.counted),
  }
  const chars = [plan.counting, plan.page, plan.seek, plan.counted].reduce(
    (n, c) => n + (c ? c.sql.length + JSON.stringify(c.parameters).length : 0),
    plan.shape.length,
  )
  ctx.reading.memo.set(ctx.reading.version, key, plan, 1024 + chars * 2)
  return plan
}

/** The compiled page marked as one whose rows may come as arrays (db/readers `ArrayRows`). */
const arrays = (c: CompiledQuery | null): ArrayRows | null => c && { ...c, arrays: true }

/** The compiled query with its operation tree reduced to the root's kind. */
function light(c: CompiledQuery): CompiledQuery {
  return { ...c, query: { kind: c.query.kind } as CompiledQuery['query'] }
}

/** A compiled page whose last parameters are the given placeholders, or null (then it is built each time). */
function bounded(c: CompiledQuery, tail: number[]): CompiledQuery | null {
  const p = c.parameters
  const at = p.length - tail.length
  return at >= 0 && tail.every((v, i) => p[at + i] === v) ? c : null
}

/** The compiled page with its bounds (and the id it starts after) in place of the placeholders. */
function withBounds(c: CompiledQuery, bounds: unknown[]): CompiledQuery {
  const parameters = [...c.parameters.slice(0, c.parameters.length - bounds.length), ...bounds]
  return { ...c, parameters }
}

/**
 * Plan.counted: the page's ids with the filter's total (`count(*) OVER ()`) over the filter's narrow
 * columns, then the page's 50 rows by id. Counting over the full rows made SQLite carry every matching
 * record's 33 columns through the window (a common surname at 100 000 customers: 37 ms against 7).
 */
function countedPage(model: Model, ctx: ActionCtx, filtered: Filtered): CompiledQuery | null {
  const ids = ordering(
    model,
    filtered.select([`${model.table}.id as ${PAGE_ID}`, sql<number>`count(*) OVER ()`.as(TOTAL_COLUMN)]),
    true,
  )
  let q = ctx.trx
    .selectFrom(model.table)
    .innerJoin(ids.limit(LIMIT).offset(OFFSET).as(PAGE), `${PAGE}.${PAGE_ID}`, `${model.table}.id`)
    .select([...selectedColumns(model), `${PAGE}.${TOTAL_COLUMN}`])
  for (const [column, dir] of model.order) q = q.orderBy(`${model.table}.${column}`, dir)
  return bounded(q.compile(), [LIMIT, OFFSET])
}

/** The derived table of Plan.counted and its id column; no table or field is named so. */
const PAGE = '__page_of_filter'
const PAGE_ID = '__page_id'

function orderedPage(model: Model, filtered: Filtered, searches = false) {
  return ordering(model, filtered.select(selectedColumns(model)), searches)
}

/**
 * The model's order. A search (SQLite, through a trigram table) orders by `+column`, which SQLite may
 * not read from an index: it then starts from the few rows the search matches and sorts them, instead
 * of walking the whole table in id order testing each row against the matches (a phone's last four
 * digits at 100 000 customers: 3.8 ms against 1.5 for page and total).
 */
function ordering<Q extends SelectQueryBuilder<Record<string, Record<string, unknown>>, string, object>>(
  model: Model,
  q: Q,
  searches: boolean,
): Q {
  let out = q
  for (const [column, dir] of model.order) {
    const ref = `${model.table}.${column}`
    out = (searches ? out.orderBy(sql`+${sql.ref(ref)}`, dir) : out.orderBy(ref, dir)) as Q
  }
  return out
}

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
  if (after !== null) {
    const { filtered, defs } = await selectFiltered(model, ctx, input, action)
    return afterIdPage(model, ctx, filtered, defs, { after, page, size, named })
  }
  const plan = await planOf(model, ctx, input, action)
  const { defs } = plan
  // The count does not depend on the order: every order of one filter shares it.
  const totalKey = `total:${plan.shape}`
  const tallied = plan.tally ? await readTally(ctx, plan.tally) : null
  let total = tallied?.total ?? ctx.reading?.memo.get<number>(ctx.reading.version, totalKey)
  let rows: Row[] = []
  if (total === undefined && plan.counted && !sort) {
    // A search not counted yet: its page and its total in one pass (an empty page tells no total).
    const counted = (
      await ctx.trx.executeQuery<Record<string, unknown>>(withBounds(plan.counted, [size, page * size]))
    ).rows
    rows = counted
    if (counted.length > 0) {
      total = Number(counted[0]![TOTAL_COLUMN])
      ctx.reading?.memo.set(ctx.reading.version, totalKey, total)
    }
  }
  if (total === undefined) {
    total = await remembered(ctx.reading, totalKey, async () => {
      const r = await ctx.trx.executeQuery<{ n: number }>(plan.counting)
      return Number(r.rows[0]?.n ?? 0)
    })
  }
  if (rows.length === 0 && page * size < total) {
    if (sort || !plan.page) {
      const { filtered } = await selectFiltered(model, ctx, input, action)
      rows = sort
        ? await readSortedPage(model, ctx, filtered, sort, page * size, size)
        : await orderedPage(model, filtered)
            .limit(size)
            .offset(page * size)
            .execute()
    } else rows = await readPage(ctx, plan, tallied, page * size, size)
  }
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
  let q = filtered.select(selectedColumns(model))
  for (const { expr, dir } of sortOrder(model, sort, ctx))
    q = q.orderBy(expr, (ob) => (dir === 'asc' ? ob.asc() : ob.desc()).nullsLast())
  return q.limit(size).offset(offset).execute()
}

/** Page starts kept per filter. */
const MAX_STARTS = 10_000

type Filtered = SelectQueryBuilder<Record<string, Record<string, unknown>>, string, object>

/**
 * One page in the model's order. Models ordered by id alone seek: where a page begins is kept in the memo (db/memo) with the id
 * just before it, so page N+1 after page N, or page N again, starts at its first row by the primary key
 * instead of stepping over every row before it (OFFSET). The first request for a far page steps over
 * them once, reading one row more to learn where its page starts.
 */
async function readPage(
  ctx: ActionCtx,
  plan: Plan,
  tallied: Counted | null,
  offset: number,
  size: number,
): Promise<Row[]> {
  const run = async (c: CompiledQuery) => (await ctx.trx.executeQuery<Row>(c)).rows
  const { reading } = ctx
  if (!reading || !plan.seek) return run(withBounds(plan.page!, [size, offset]))

  // A tallied selection keeps its page starts under its change stamp: a write that moves no record in
  // or out of it (a payment, a rename, a change in another branch) leaves them true, so they outlive
  // the data version. Any other filter keeps them under the data version.
  const startsKey = `starts:${plan.tally && tallied ? plan.tally.key : plan.shape}`
  const starts =
    (tallied
      ? reading.memo.getStamped<Map<number, number>>(startsKey, tallied.stamp)
      : reading.memo.get<Map<number, number>>(reading.version, startsKey)) ?? new Map<number, number>()
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
  // Stepping over rows (gap > 0): read the row before the page too, to keep where the page starts.
  const lead = gap > 0 ? 1 : 0
  const rows = await run(
    after === null
      ? withBounds(plan.page!, [size + lead, gap - lead])
      : withBounds(plan.seek!, [after, size + lead, gap - lead]),
  )
  if (lead === 1 && rows.length > 0) starts.set(offset, rowId(rows[0]!))
  const page = lead === 1 ? rows.slice(1) : rows
  if (page.length > 0 && starts.size < MAX_STARTS) starts.set(offset + page.length, rowId(page.at(-1)!))
  // Kept again with the weight it has grown to (a Map entry of two numbers ≈ 48 bytes).
  const weight = 256 + starts.size * 48
  if (tallied) reading.memo.setStamped(startsKey, tallied.stamp, starts, weight)
  else reading.memo.set(reading.version, startsKey, starts, weight)
  return page
}
