import type { CompiledQuery } from 'kysely'

/** Statement texts kept at most, and the longest text kept (a page of thousands of rows is built each time). */
const MAX_SHAPES = 64
const MAX_SHAPE_CHARS = 200_000

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
  private readonly kept = new Map<string, CompiledQuery | null>()

  compiled(key: string, params: readonly unknown[], build: () => CompiledQuery): CompiledQuery {
    const shape = this.kept.get(key)
    if (shape) return { ...shape, parameters: params }
    const made = build()
    if (shape === null) return made
    const same =
      made.parameters.length === params.length && made.parameters.every((p, i) => Object.is(p, params[i]))
    if (this.kept.size >= MAX_SHAPES) this.kept.delete(this.kept.keys().next().value!)
    // Kept without the operation tree (only the root's kind is read: a select goes to a reader).
    const light = { ...made, query: { kind: made.query.kind } as CompiledQuery['query'] }
    this.kept.set(key, same && made.sql.length <= MAX_SHAPE_CHARS ? light : null)
    return made
  }
}

export const shapes = new Shapes()
