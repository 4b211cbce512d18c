import { type AliasedRawBuilder, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely'
import { remembered } from '../db/memo.js'
import { fail } from '../errors.js'
import { selectFiltered, shapeOf } from './index-action.js'
import type { ActionCtx, ExtraDoc, Grouping, Model, RequestInput } from './model.js'
import { NAMES_PARAM_DOC, NAMES_REPLY_DOC, wantsNames, withGroupNames } from './names.js'

const given = (v: unknown) => v !== undefined && v !== null && v !== ''

type Filtered = SelectQueryBuilder<Record<string, Record<string, unknown>>, string, object>

/**
 * `group_by` [ext]: body over query, like the filters; one of the model's `groupable` values. Missing
 * is a 400 only where the action needs it (`count`); pay/total without it answers its totals alone.
 */
export function readGroupBy(model: Model, input: RequestInput, required: boolean): [string, Grouping] | null {
  const raw = given(input.body.group_by) ? input.body.group_by : input.query.group_by
  if (!given(raw)) {
    if (required) throw fail.missing('group_by')
    return null
  }
  const grouping = typeof raw === 'string' && model.groupable.get(raw)
  if (!grouping) throw fail.badParam('group_by')
  return [raw as string, grouping]
}

/**
 * The selected rows grouped by a column, or through an id list's link table (a row then counts once
 * per id, and once in the null group when its list is empty), with `columns` computed per group. Ordered
 * by value, null last; values as numbers.
 */
export async function groupRows<T extends Record<string, unknown>>(
  model: Model,
  ctx: ActionCtx,
  filtered: Filtered,
  grouping: Grouping,
  columns: (col: (c: string) => RawBuilder<unknown>) => Array<AliasedRawBuilder<unknown, string>>,
  memoKey: string,
): Promise<Array<T & { value: number | null }>> {
  const col = (c: string) => sql.ref(`${model.table}.${c}`)
  let query: Filtered
  let value: RawBuilder<unknown>
  if ('column' in grouping) {
    value = col(grouping.column)
    query = filtered
  } else {
    // The selected ids as a derived table, joined to the list: no filter sees the link table's columns.
    value = sql.ref('g.value')
    query = ctx.trx
      .selectFrom(filtered.select(`${model.table}.id as id`).as('f'))
      .leftJoin(`${grouping.link} as g`, 'g.record_id', 'f.id') as unknown as Filtered
    // Only `count(*)` makes sense per group here: the model's columns are not in this query.
  }
  const compiled = query
    .select(sql<number | null>`${value}`.as('value'))
    .select(columns(col))
    .groupBy(value)
    .orderBy(sql`CASE WHEN ${value} IS NULL THEN 1 ELSE 0 END`)
    .orderBy(value)
    .compile()
  const rows = await remembered(ctx.reading, `${memoKey}:${shapeOf(compiled)}`, async () => {
    const r = await ctx.trx.executeQuery<T & { value: unknown }>(compiled)
    return r.rows
  })
  return rows.map((r) => ({ ...r, value: r.value === null ? null : Number(r.value) }))
}

/** The total an index gives with the same selection (shared with index's memo entry). */
async function totalOf(ctx: ActionCtx, filtered: Filtered): Promise<number> {
  const counting = filtered.select(sql<number>`count(*)`.as('n')).compile()
  return remembered(ctx.reading, `total:${shapeOf(counting)}`, async () => {
    const r = await ctx.trx.executeQuery<{ n: number }>(counting)
    return Number(r.rows[0]?.n ?? 0)
  })
}

/**
 * `count` [ext]: the records `index` selects with the same parameters, counted per value of `group_by`
 * in SQL, with index's `total`. Paging keys and `sort` are accepted and ignored; with `names` [ext] the
 * reply names the grouped values.
 */
export async function groupedCount(model: Model, ctx: ActionCtx, input: RequestInput, action = 'index') {
  const [key, grouping] = readGroupBy(model, input, true)!
  const named = wantsNames(input)
  const { filtered } = await selectFiltered(model, ctx, input, action, ['group_by'])
  const total = await totalOf(ctx, filtered)
  const groups = await groupRows<{ count: number }>(
    model,
    ctx,
    filtered,
    grouping,
    () => [sql<number>`count(*)`.as('count')],
    'groups',
  )
  const out = { total, groups: groups.map((g) => ({ value: g.value, count: Number(g.count) })) }
  return withGroupNames(out, named, model, ctx, key, grouping)
}

/** The `group_by` parameter in the OpenAPI document: one of the model's `groupable` values. */
export function groupByDoc(model: Model, description: string): Record<string, unknown> {
  const keys = [...model.groupable.keys()]
  return { type: 'string', enum: keys, examples: [keys[0]], description }
}

/** The OpenAPI description of `count` on a model; `through` explains its link-table groupings. */
export function groupedCountDoc(through = ''): ExtraDoc {
  return {
    description:
      `How many records \`index\` selects with the same filters, default filters and branch, per value ` +
      `of \`group_by\`, counted in SQL. Paging keys and \`sort\` are accepted and ignored.${through ? ` ${through}` : ''}`,
    takesFilters: true,
    params: (model) => ({
      group_by: groupByDoc(
        model,
        'The field to group by; missing → 400 naming `group_by`, another value → 400 on `group_by`.',
      ),
      names: {
        ...NAMES_PARAM_DOC,
        description:
          '[extension] `1`: the reply also has `names`, `{group_by: {value: name}}`, when the grouped field ' +
          'references a model the user may read.',
      },
    }),
    required: ['group_by'],
    reply: {
      description: 'The total and the count per value.',
      schema: {
        type: 'object',
        properties: {
          total: { type: 'integer', description: '`total` of index with the same parameters.' },
          groups: {
            type: 'array',
            description: 'One per value present, by value ascending, the null group (no value) last.',
            items: {
              type: 'object',
              properties: {
                value: { type: ['integer', 'null'], examples: [3], description: 'The value; null: none.' },
                count: { type: 'integer', examples: [12], description: 'Records with this value.' },
              },
              required: ['value', 'count'],
            },
          },
          names: {
            ...NAMES_REPLY_DOC,
            description: 'Only with `names=1`: the name of each grouped value, under the `group_by` key.',
          },
        },
        required: ['total', 'groups'],
      },
    },
  }
}
