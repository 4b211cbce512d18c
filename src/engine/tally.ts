import { CompiledQuery } from 'kysely'
import type { Db } from '../db/connect.js'
import { remembered } from '../db/memo.js'
import type { ActionCtx, Model } from './model.js'

/**
 * Kept counts (issue 15, migration 014): a model declaring `tally` has its records counted per branch
 * and per value of a few columns (`dims`) in a table of signed deltas that triggers write in the
 * transaction of every change. An index whose filter is nothing but those columns (and the branch) is
 * then counted by summing a handful of rows instead of scanning the branch, and the cells' change
 * stamp tells when kept page starts still hold.
 */
export interface Tally {
  /** The delta table: `branch_id`, one column per dim, `n` (±1) and `changes` (1 per delta). */
  table: string
  /** Filter keys that are also the tally's columns; each filter has a `cell` reading. */
  dims: string[]
  /**
   * Counts by the dims and one more filtered field (migration 016): a table with the dims' columns,
   * `dim` (the field's name) and `value`, so a list filtered by the dims and any one of `keys` is
   * counted from that field's cells.
   */
  by?: { table: string; keys: readonly string[] }
}

/** Values a tallied filter admits, per dim: a list, or null for any value. */
export type Cells = Record<string, readonly number[] | null>

/** The tally cells an index request selects, or null when its filter is more than the tally's dims. */
export interface TallyQuery {
  table: string
  branch: number
  /** The table's cell columns read (`value` last when `by` is set). */
  dims: string[]
  /** The field of a `by` table whose cells are read; null for the dims' own table. */
  by: string | null
  cells: Cells
  /** The same selection of any request: keeps page starts shared by the requests that select alike. */
  key: string
}

/** Filters a selection applies, by key, with their values (engine/index-action `selectFiltered`). */
export type Applied = Array<[key: string, value: unknown]>

/**
 * The cells of the selection when every filter it applies is a dim of the model's tally (sent, or a
 * default filter of a dim that was not sent) and nothing else narrows the rows (`applied` is null when
 * a custom field, a scoping parameter, a restriction or `after_id` does); a restriction by user
 * (`restrictReads`) rules the tally out too.
 */
export function tallyQuery(model: Model, ctx: ActionCtx, applied: Applied | null): TallyQuery | null {
  const tally = model.tally
  if (!tally || !applied || model.scope !== 'branches' || model.restrictReads) return null
  const cells: Cells = {}
  let by: string | null = null
  for (const [key, value] of applied) {
    const cell = model.filters[key]?.cell
    if (!cell || value === undefined) return null
    if (tally.dims.includes(key)) cells[key] = cell(value, model)
    else if (by === null && tally.by?.keys.includes(key)) {
      by = key
      cells.value = cell(value, model)
    } else return null
  }
  const table = by === null ? tally.table : tally.by!.table
  const dims = by === null ? tally.dims : [...tally.dims, 'value']
  const key = `${table}:${ctx.pathBranch}:${by ?? ''}:${JSON.stringify(dims.map((d) => cells[d] ?? null))}`
  return { table, branch: ctx.pathBranch, dims, by, cells, key }
}

/** The selection's count and its change stamp, as of the request's snapshot. */
export interface Counted {
  total: number
  /** Grows with every change of who is in the selection; kept page starts hold while it stays. */
  stamp: number
}

/** The sum of the selected cells: the branch's few tally rows, kept in the memo under the data version. */
export async function readTally(ctx: ActionCtx, q: TallyQuery): Promise<Counted> {
  const rows = await remembered(ctx.reading, `tally:${q.table}:${q.branch}:${q.by ?? ''}`, async () => {
    const text = statementOf(q, ctx.dialect)
    const params = q.by === null ? [q.branch] : [q.branch, q.by]
    const r = await ctx.trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, params))
    return r.rows
  })
  let total = 0
  let stamp = 0
  for (const row of rows) {
    const admitted = (d: string) => {
      const cell = q.cells[d]
      return cell == null || (row[d] !== null && cell.includes(Number(row[d])))
    }
    if (q.dims.every(admitted)) {
      total += Number(row.n)
      stamp += Number(row.c)
    }
  }
  return { total, stamp }
}

const statements = new Map<string, string>()

/**
 * A branch's cells (of one field, for a `by` table) with their sums. Identifiers come from model
 * declarations, never from requests; the field's name is a parameter.
 */
function statementOf(q: TallyQuery, dialect: 'sqlite' | 'postgres'): string {
  // A table's cells and whether it is read by field follow from the table (Tally).
  const key = `${q.table}:${dialect}`
  let text = statements.get(key)
  if (!text) {
    const dims = q.dims.map((d) => `"${d}"`).join(', ')
    const p = (i: number) => (dialect === 'postgres' ? `$${i}` : '?')
    const where = q.by === null ? `branch_id = ${p(1)}` : `branch_id = ${p(1)} AND dim = ${p(2)}`
    text = `SELECT ${dims}, sum(n) AS n, sum(changes) AS c FROM "${q.table}" WHERE ${where} GROUP BY ${dims}`
    statements.set(key, text)
  }
  return text
}

/** A model's delta tables with the columns that make their cells (besides `branch_id`). */
function tallyTables(t: Tally): Array<{ table: string; cells: string[] }> {
  const own = { table: t.table, cells: t.dims }
  return t.by ? [own, { table: t.by.table, cells: [...t.dims, 'dim', 'value'] }] : [own]
}

/** How often each server process folds new deltas (a count reads every delta since the last fold). */
export const TALLY_FOLD_EVERY_MS = 5000

/**
 * Folds each tally's deltas into one row per cell, keeping both sums, so a count reads a few rows
 * however many changes there were. Safe beside writers and other processes: PostgreSQL deletes and sums
 * in one statement (one snapshot: a delta committed meanwhile is neither deleted nor summed); SQLite has
 * one writer. Nothing to do when no delta arrived since the last fold (`compacted`).
 */
export async function compactTallies(
  db: Db,
  models: Iterable<Model>,
  compacted: Map<string, number>,
): Promise<number> {
  let folded = 0
  for (const t of [...models].flatMap((m) => (m.tally ? tallyTables(m.tally) : []))) {
    const dims = t.cells.map((d) => `"${d}"`).join(', ')
    const edge = await db.kysely
      .selectFrom(t.table)
      .select((eb) => [eb.fn.max('id').as('max'), eb.fn.countAll().as('rows')])
      .executeTakeFirst()
    const max = Number(edge?.max ?? 0)
    if (max === 0 || compacted.get(t.table) === max) continue
    const all = `branch_id, ${dims}`
    await db.kysely.transaction().execute(async (trx) => {
      if (db.dialect === 'postgres') {
        await trx.executeQuery(
          CompiledQuery.raw(
            `WITH gone AS (DELETE FROM "${t.table}" WHERE id <= $1 RETURNING ${all}, n, changes)
             INSERT INTO "${t.table}" (${all}, n, changes)
             SELECT ${all}, sum(n), sum(changes) FROM gone GROUP BY ${all}`,
            [max],
          ),
        )
      } else {
        await trx.executeQuery(
          CompiledQuery.raw(
            `INSERT INTO "${t.table}" (${all}, n, changes)
             SELECT ${all}, sum(n), sum(changes) FROM "${t.table}" WHERE id <= ? GROUP BY ${all}`,
            [max],
          ),
        )
        await trx.executeQuery(CompiledQuery.raw(`DELETE FROM "${t.table}" WHERE id <= ?`, [max]))
      }
    })
    const after = await db.kysely
      .selectFrom(t.table)
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst()
    compacted.set(t.table, Number(after?.max ?? 0))
    folded += Number(edge?.rows ?? 0)
  }
  return folded
}
