import { sql } from 'kysely'
import { fail } from '../errors.js'
import { customFilter, loadCustomDefs } from './custom-fields.js'
import type { Action, ActionCtx, Condition, Model, RequestInput } from './model.js'
import { PAGING_KEYS, readPaging } from './paging.js'
import { hydrate, present } from './present.js'
import { rowToRec, visibleIn } from './repository.js'
import { readScoping } from './scoping.js'

const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)

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
    if (PAGING_KEYS.has(key) || key in scoping) continue
    const filter = model.filters[key]
    const custom = defs.find((d) => d.key === key)
    if (!filter && !custom) {
      if (ctx.strict && !model.fields[key] && !model.inputKeys?.includes(key)) throw fail.unknownParam(key)
      continue
    }
    if (isEmpty(value)) continue
    if (filter) conditions.push((eb) => filter(value, eb, ctx, model))
    else if (custom) conditions.push((eb) => customFilter(custom, value, eb, model))
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
