import { sql } from 'kysely'
import { insertShape, plain, shapes, updateShape } from '../db/shapes.js'
import type { ActionCtx, Condition, Eb, Model, Rec, Scope } from './model.js'
import { linkTable } from './model.js'
import { arrayRowReader, readColumns, rowReader } from './serialise.js'

/** Records of `model` that belong to branch `b` (§2.5). Global and tenant-wide models: all. */
export function visibleIn(model: Model, eb: Eb, b: number): Condition {
  const scope = model.scope
  if (scope === 'global' || scope === 'tenant') return sql<boolean>`1 = 1`
  if (scope === 'branch') return eb(`${model.table}.branch_id`, '=', b)
  if (scope === 'branches') {
    // Correlated on the link table's key: a page or a single record costs O(rows read), never the
    // whole branch's id list (bench: 229 ms for page 0 at 1M customers with an IN list).
    const link = linkTable(model, 'branch_ids')
    const linked = eb
      .selectFrom(link)
      .select(sql.lit(1).as('one'))
      .whereRef(`${link}.record_id`, '=', `${model.table}.id`)
      .where(`${link}.value`, '=', b)
    if (!model.soleBranch) return eb.exists(linked)
    // A record of one branch says so on its row (and in indexes carrying the column): no lookup. Under
    // an OR, PostgreSQL no longer makes the EXISTS a semi-join and may hash the whole branch's links
    // for it instead (100 000 customers: a page 0.8 → 41 ms); an OFFSET keeps it a lookup per row.
    const sole = `${model.table}.${model.soleBranch}`
    const looked = eb.exists(linked.limit(1).offset(0))
    return eb.or([eb(sole, '=', b), eb.and([eb(sole, 'is', null), looked])])
  }
  return scope.visible(eb, b)
}

/**
 * The scope of a record that belongs to the branches of its parent (§2.5: a membership through its
 * group, a subscription through its customer, a working hour through its teacher): `column` names the
 * parent, whose branches are kept in the link table `parentLinks`.
 */
export function throughParent(table: string, column: string, parentLinks: string): Scope {
  return {
    visible: (eb, b) =>
      eb.exists(
        eb
          .selectFrom(parentLinks)
          .select(sql.lit(1).as('one'))
          .whereRef(`${parentLinks}.record_id`, '=', `${table}.${column}`)
          .where(`${parentLinks}.value`, '=', b),
      ),
    async branchesOf(rec, ctx) {
      const rows = await ctx.trx
        .selectFrom(parentLinks)
        .select('value')
        .where('record_id', '=', rec[column] as number)
        .orderBy('value')
        .execute()
      return rows.map((r) => Number(r.value))
    },
  }
}

/** The branches a record belongs to, for the log and for reference checks (§2.5, §2.6). */
export async function branchesOf(model: Model, rec: Rec, ctx: ActionCtx): Promise<number[]> {
  const scope = model.scope
  if (scope === 'global' || scope === 'tenant') return []
  if (scope === 'branch') return [rec.branch_id as number]
  if (scope === 'branches') return rec.branch_ids as number[]
  return scope.branchesOf(rec, ctx)
}

/**
 * A row's record: `id`, then every stored field from its column (a constructor generated per model).
 * A row read as an array (db/readers `ArrayRows`) holds `selectedColumns`' values in their order.
 */
export function rowToRec(model: Model, row: Row): Rec {
  return Array.isArray(row) ? arrayRowReader(model)(row) : rowReader(model)(row)
}

/** A row as `rowToRec` takes it. */
export type Row = Record<string, unknown> | unknown[]

/** The id of a row as `rowToRec` takes it. */
export const rowId = (row: Row): number => Number(Array.isArray(row) ? row[0] : row.id)

/** The columns `rowToRec` reads, qualified by the model's table: what a read selects. */
export function selectedColumns(model: Model): string[] {
  let kept = selections.get(model)
  if (!kept) {
    kept = readColumns(model).map((c) => `${model.table}.${c}`)
    selections.set(model, kept)
  }
  return kept
}

const selections = new WeakMap<Model, string[]>()

/** Column values of the given fields (and their search shadows). */
export function toRow(
  model: Model,
  values: Record<string, unknown>,
  names: Iterable<string>,
): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (const name of names) {
    const kind = model.fields[name]
    if (!kind || kind.derived || name === 'id' || !(name in values)) continue
    const column = kind.column ?? name
    row[column] = kind.toDb(values[name])
    if (kind.extraColumns) Object.assign(row, kind.extraColumns(values[name], column))
  }
  return row
}

export async function findVisible(
  model: Model,
  id: number,
  ctx: ActionCtx,
  branch: number,
): Promise<Rec | null> {
  const build = ([i, b]: readonly number[]) => {
    let q = ctx.trx
      .selectFrom(model.table)
      .selectAll()
      .where(`${model.table}.id`, '=', i!)
      .where((eb) =>
        model.restrict
          ? eb.and([visibleIn(model, eb, b!), model.restrict(eb, ctx)])
          : visibleIn(model, eb, b!),
      )
    // §6.10: a record being changed is locked for the rest of the transaction (SQLite serialises writers).
    if (ctx.dialect === 'postgres') q = q.forUpdate()
    return q.compile()
  }
  // A model's restriction reads the caller (ctx), which a kept shape would not see: built each time.
  const query = model.restrict
    ? build([id, branch])
    : shapes.withArgs(`visible:${ctx.dialect}:${model.table}`, [id, branch], build)
  const row = (await ctx.trx.executeQuery<Record<string, unknown>>(query)).rows[0]
  return row ? rowToRec(model, row) : null
}

export async function findById(model: Model, id: number, ctx: ActionCtx): Promise<Rec | null> {
  const q = shapes.compiled(`byId:${ctx.dialect}:${model.table}`, [id], () =>
    ctx.trx.selectFrom(model.table).selectAll().where('id', '=', id).compile(),
  )
  const row = (await ctx.trx.executeQuery<Record<string, unknown>>(q)).rows[0]
  return row ? rowToRec(model, row) : null
}

export async function insertRow(model: Model, row: Record<string, unknown>, ctx: ActionCtx): Promise<number> {
  const q = insertShape(ctx.trx, ctx.dialect, model.table, [row], ['id'])
  const r = (await ctx.trx.executeQuery<{ id: unknown }>(q)).rows[0]
  if (!r) throw new Error(`no id returned by the insert into ${model.table}`)
  return Number(r.id)
}

export async function updateRow(
  model: Model,
  id: number,
  row: Record<string, unknown>,
  ctx: ActionCtx,
): Promise<void> {
  if (Object.keys(row).length === 0) return
  await ctx.trx.executeQuery(updateShape(ctx.trx, ctx.dialect, model.table, id, row))
}

/**
 * Replaces the link-table rows of the given list fields. A record just inserted (`fresh`) has none to
 * replace: ids are never reused (AUTOINCREMENT; PostgreSQL sequences), and a deleted record's links go
 * with it.
 */
export async function writeLinks(
  model: Model,
  id: number,
  values: Record<string, unknown>,
  names: Iterable<string>,
  ctx: ActionCtx,
  fresh = false,
): Promise<void> {
  for (const name of names) {
    if (!model.links.includes(name)) continue
    const table = linkTable(model, name)
    if (!fresh) await ctx.trx.deleteFrom(table).where('record_id', '=', id).execute()
    const list = values[name] as number[]
    if (list.length > 0) {
      const rows = list.map((value) => ({ record_id: id, value }))
      await ctx.trx.executeQuery(insertShape(ctx.trx, ctx.dialect, table, rows))
    }
  }
}

export async function deleteRow(model: Model, id: number, ctx: ActionCtx): Promise<void> {
  for (const name of model.links)
    await ctx.trx.deleteFrom(linkTable(model, name)).where('record_id', '=', id).execute()
  await ctx.trx.deleteFrom(model.table).where('id', '=', id).execute()
}

/** A row's new column values, for `updateEach`. */
export interface RowChange {
  id: number
  set: Record<string, unknown>
}

/**
 * Gives each row its own new values in one UPDATE per set of changed columns (per 1 000 rows): each
 * column takes its row's value through `CASE id WHEN … THEN CAST(… AS type)`. `types` names the SQL
 * type of every column that may change (PostgreSQL types a CASE of parameters as text otherwise).
 * Twenty attendance marks or twenty balances are one statement instead of twenty.
 */
export async function updateEach(
  ctx: ActionCtx,
  table: string,
  changes: RowChange[],
  types: Record<string, string>,
): Promise<void> {
  const byColumns = new Map<string, RowChange[]>()
  for (const c of changes) {
    const key = Object.keys(c.set).sort().join(',')
    byColumns.set(key, [...(byColumns.get(key) ?? []), c])
  }
  for (const [key, all] of byColumns) {
    for (let at = 0; at < all.length; at += 1000) {
      const rows = all.slice(at, at + 1000)
      if (rows.length === 1) {
        await ctx.trx.executeQuery(updateShape(ctx.trx, ctx.dialect, table, rows[0]!.id, rows[0]!.set))
        continue
      }
      const columns = key.split(',')
      const build = () => {
        const set: Record<string, unknown> = {}
        for (const column of columns) {
          const type = sql.raw(types[column] ?? 'text')
          set[column] = sql`CASE id ${sql.join(
            rows.map((r) => sql`WHEN ${r.id} THEN CAST(${r.set[column] ?? null} AS ${type})`),
            sql` `,
          )} END`
        }
        return ctx.trx
          .updateTable(table)
          .set(set)
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .compile()
      }
      // Kept per table, columns with their types and row count, when every value is bound as it is.
      const params = columns.flatMap((c) => rows.flatMap((r) => [r.id, r.set[c] ?? null]))
      params.push(...rows.map((r) => r.id))
      const shape = `each:${ctx.dialect}:${table}:${columns.map((c) => `${c} ${types[c] ?? 'text'}`)}:${rows.length}`
      await ctx.trx.executeQuery(params.every(plain) ? shapes.compiled(shape, params, build) : build())
    }
  }
}
