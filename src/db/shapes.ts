import type { CompiledQuery, Kysely } from 'kysely'

/**
 * Statements kept at most, the characters of their texts in all, and the longest text kept (a page
 * of thousands of rows is built each time). A page's figures take two shapes per page length, a
 * write's rows one per table, column list and row count; the oldest shapes make room for new ones, so
 * lists of every length a client sends cost speed, never memory beyond these bounds.
 */
const MAX_SHAPES = 256
const MAX_CHARS = 8_000_000
const MAX_SHAPE_CHARS = 200_000

/** A kept statement (without Kysely's operation tree) and, for `withArgs`, where its numbers go. */
interface Kept {
  query: CompiledQuery
  slots?: Slot[]
}

/**
 * Statements whose text depends only on a few numbers the caller names (a page's size, the dialect),
 * built and compiled by Kysely once and then run with new parameters: a page's figures are the same
 * two statements on every page, and building them (100 subqueries for the upcoming lessons of 50
 * customers) cost more than reading the page.
 *
 * `params` must list the parameters in the order the built statement binds them. That is checked on
 * the first use of each shape (the compiled parameters must equal `params`); a shape whose check fails
 * is never kept, so a mistake there costs speed, not a wrong reply.
 */
export class Shapes {
  private readonly kept = new Map<string, Kept | null>()
  private chars = 0

  compiled(key: string, params: readonly unknown[], build: () => CompiledQuery): CompiledQuery {
    const shape = this.kept.get(`c:${key}`)
    if (shape) return { ...shape.query, parameters: params }
    const made = build()
    if (shape === null) return made
    const same =
      made.parameters.length === params.length && made.parameters.every((p, i) => Object.is(p, params[i]))
    this.keep(`c:${key}`, made, same ? {} : null)
    return made
  }

  /**
   * A statement built from numbers (`args`) by code that does not say where it binds them (a model's
   * branch rule, say): on the first use of `key` it is built twice, with `args` and with stand-ins for
   * them, and the stand-ins' places in the parameters are where each later call binds its own numbers.
   * Kept only if putting `args` in those places gives exactly the statement built with them (same
   * text, same parameters): a number the builder does not bind as it is (a list sent as one JSON text)
   * leaves the shape unkept, built each time. `build` must depend on nothing but `args` and what `key`
   * names: anything else it binds (the caller, the clock) would be kept as it was on the first use.
   */
  withArgs(
    key: string,
    args: readonly number[],
    build: (args: readonly number[]) => CompiledQuery,
  ): CompiledQuery {
    const shape = this.kept.get(`a:${key}`)
    if (shape) return { ...shape.query, parameters: fill(shape.slots!, args) }
    const made = build(args)
    if (shape === null) return made
    const probe = build(args.map((_, i) => STAND_IN - i))
    const slots = probe.parameters.map((p): Slot => {
      const i = typeof p === 'number' ? STAND_IN - p : -1
      return Number.isInteger(i) && i >= 0 && i < args.length ? i : { value: p }
    })
    const params = fill(slots, args)
    const same =
      probe.sql === made.sql &&
      params.length === made.parameters.length &&
      params.every((p, i) => Object.is(p, made.parameters[i]))
    this.keep(`a:${key}`, made, same ? { slots } : null)
    return made
  }

  /** Keeps `made` under `key` (null: never kept), making room by dropping the oldest shapes. */
  private keep(key: string, made: CompiledQuery, how: { slots?: Slot[] } | null) {
    const size = made.sql.length
    const keepIt = how !== null && size <= MAX_SHAPE_CHARS
    while (
      this.kept.size > 0 &&
      (this.kept.size >= MAX_SHAPES || (keepIt && this.chars + size > MAX_CHARS))
    ) {
      const [oldest, shape] = this.kept.entries().next().value!
      this.kept.delete(oldest)
      if (shape) this.chars -= shape.query.sql.length
    }
    if (!keepIt) return void this.kept.set(key, null)
    // Kept without the operation tree (only the root's kind is read: a select goes to a reader).
    const query = { ...made, query: { kind: made.query.kind } as CompiledQuery['query'] }
    this.kept.set(key, { query, slots: how.slots })
    this.chars += size
  }
}

/** A parameter's place: the index of the argument bound there, or a value the shape always binds. */
type Slot = number | { value: unknown }
/** Stand-ins count down from here: numbers no statement binds of its own. */
const STAND_IN = -987_654_321

const fill = (slots: Slot[], args: readonly number[]) =>
  slots.map((s) => (typeof s === 'number' ? args[s] : s.value))

export const shapes = new Shapes()

/** A value bound as it is: anything else (a Kysely expression, an object) may change the statement's text. */
export const plain = (v: unknown): boolean =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'number' ||
  typeof v === 'bigint' ||
  typeof v === 'boolean'

/**
 * An INSERT of `rows` into `table` (RETURNING `returning`), built by Kysely once per dialect, table,
 * column list and row count and then bound to each write's values: building and compiling a write's
 * inserts cost as much as running them (a customer's row of 33 columns: ~80 µs to build). Rows
 * that do not share one column list, or hold a value that is not plain, are built as usual. A column
 * whose value is undefined is left out, as Kysely leaves it out.
 */
export function insertShape(
  // biome-ignore lint/suspicious/noExplicitAny: any database's tables
  db: Kysely<any>,
  dialect: string,
  table: string,
  rows: readonly Record<string, unknown>[],
  returning: readonly string[] = [],
): CompiledQuery {
  const columns = Object.keys(rows[0]!).filter((c) => rows[0]![c] !== undefined)
  const build = () => {
    const q = db.insertInto(table).values(rows as Record<string, unknown>[])
    return (returning.length > 0 ? q.returning(returning as string[]) : q).compile()
  }
  const params: unknown[] = []
  for (const row of rows) if (!bind(row, columns, params)) return build()
  return shapes.compiled(`insert:${dialect}:${table}:${columns}:${rows.length}:${returning}`, params, build)
}

/** An UPDATE of one row of `table` by id, kept like `insertShape` by dialect, table and column list. */
export function updateShape(
  // biome-ignore lint/suspicious/noExplicitAny: any database's tables
  db: Kysely<any>,
  dialect: string,
  table: string,
  id: number,
  row: Record<string, unknown>,
): CompiledQuery {
  const columns = Object.keys(row).filter((c) => row[c] !== undefined)
  const build = () => db.updateTable(table).set(row).where('id', '=', id).compile()
  const params: unknown[] = []
  if (!bind(row, columns, params)) return build()
  params.push(id)
  return shapes.compiled(`update:${dialect}:${table}:${columns}`, params, build)
}

/** Appends the row's values of `columns` to `params`: false if it has other columns or a value not plain. */
function bind(row: Record<string, unknown>, columns: string[], params: unknown[]): boolean {
  let n = 0
  for (const c in row) if (row[c] !== undefined) n++
  if (n !== columns.length) return false
  for (const c of columns) {
    const v = row[c]
    if (!plain(v)) return false
    params.push(v)
  }
  return true
}
