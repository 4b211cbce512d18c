import { mayRun } from '../auth/roles.js'
import { fail } from '../errors.js'
import { bool } from '../fields/index.js'
import { inList } from './filters.js'
import type { ActionCtx, Grouping, Model, RequestInput } from './model.js'
import { linkTable } from './model.js'
import { visibleIn } from './repository.js'

/** The request key of the extension; never a filter. */
export const NAMES_KEY = 'names'

/** `{ field: { id: name } }`: the names of the records a reply's reference fields point at. */
export type Names = Record<string, Record<string, string>>

/**
 * `names` [ext]: body over query, `1` to have the reply name what its references point at, `0` or absent
 * not to; anything else is a 400 on `names`.
 */
export function wantsNames(input: RequestInput): boolean {
  const given = (v: unknown) => v !== undefined && v !== null && v !== ''
  const raw = given(input.body[NAMES_KEY]) ? input.body[NAMES_KEY] : input.query[NAMES_KEY]
  if (!given(raw)) return false
  const r = bool().filterValue(raw)
  if (!r.ok) throw fail.badParam(NAMES_KEY)
  return r.value === 1
}

/**
 * The names of the records that reference fields of `model` point at, per field: the `name` of each id
 * found in the referenced model, read as its index would read it for this user in the path branch
 * (the role may read that model, the record is visible in the branch, the model's restrictions apply;
 * archived records are named too). A field whose model the user may not read, or which has no `name`,
 * is left out; an id not found is left out of its field. One query per field.
 */
export async function namesOf(
  model: Model,
  ctx: ActionCtx,
  wanted: Map<string, Set<number>>,
): Promise<Names> {
  const out: Names = {}
  for (const [field, idSet] of wanted) {
    const kind = model.fields[field]
    const target = kind?.ref ? ctx.models.get(kind.ref) : undefined
    if (!target?.fields.name || target.fields.name.derived) continue
    if (!target.actions.includes('index') || !mayRun(ctx.user.role, target, 'index', true)) continue
    const ids = [...idSet].filter((id) => Number.isSafeInteger(id))
    const found: Record<string, string> = {}
    if (ids.length > 0) {
      const column = target.fields.name.column ?? 'name'
      const rows = await ctx.trx
        .selectFrom(target.table)
        .select([`${target.table}.id as id`, `${target.table}.${column} as name`])
        .where((eb) => {
          const reads = target.restrictReads?.(eb, ctx)
          return eb.and([
            inList(eb, ctx.dialect, `${target.table}.id`, ids),
            visibleIn(target, eb, ctx.pathBranch),
            ...(target.restrict ? [target.restrict(eb, ctx)] : []),
            ...(reads ? [reads] : []),
          ])
        })
        .orderBy(`${target.table}.id`)
        .execute()
      for (const r of rows) found[String(r.id)] = String(r.name ?? '')
    }
    out[field] = found
  }
  return out
}

/** The ids each reference field of `model` holds in `recs` (single references and id lists alike). */
export function referencedIds(model: Model, recs: Array<Record<string, unknown>>): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>()
  for (const [field, kind] of Object.entries(model.fields)) {
    if (!kind.ref) continue
    const ids = new Set<number>()
    for (const r of recs) {
      const v = r[field]
      for (const id of Array.isArray(v) ? v : [v]) if (typeof id === 'number') ids.add(id)
    }
    out.set(field, ids)
  }
  return out
}

/** The field a `group_by` groups by: the column's field, or the id list behind a link table. */
export function groupedField(model: Model, grouping: Grouping): string | null {
  for (const [field, kind] of Object.entries(model.fields)) {
    if ('column' in grouping ? kind.column === grouping.column : linkTable(model, field) === grouping.link)
      return field
  }
  return null
}

/**
 * The names of grouped values for `count` and `pay/total` with `names`: `{ group_by: { id: name } }`, or
 * `{}` when the grouped field references no model the user may read by name.
 */
export async function groupNames(
  model: Model,
  ctx: ActionCtx,
  key: string,
  grouping: Grouping,
  values: Array<number | null>,
): Promise<Names> {
  const field = groupedField(model, grouping)
  if (!field) return {}
  const ids = new Set(values.filter((v): v is number => v !== null))
  const names = await namesOf(model, ctx, new Map([[field, ids]]))
  return field in names ? { [key]: names[field]! } : {}
}

/** `out` (a `count` or `pay/total` reply) with the names of its groups when `named` (the request asked). */
export async function withGroupNames<T extends { groups: Array<{ value: number | null }> }>(
  out: T,
  named: boolean,
  model: Model,
  ctx: ActionCtx,
  key: string,
  grouping: Grouping,
): Promise<T | (T & { names: Names })> {
  if (!named) return out
  const values = out.groups.map((g) => g.value)
  return { ...out, names: await groupNames(model, ctx, key, grouping, values) }
}

/** What the OpenAPI document says of the request key. */
export const NAMES_PARAM_DOC = {
  type: 'integer',
  enum: [0, 1],
  default: 0,
  description:
    '[extension] `1`: the reply also has `names`, the `name` of each record its reference fields point ' +
    'at, per field (`{"teacher_ids": {"3": "Иванова А. П."}}`); only models the user may read, records ' +
    'visible in the branch.',
}

/** What the OpenAPI document says of the reply key. */
export const NAMES_REPLY_DOC = {
  type: 'object',
  description:
    'Only with `names=1`: per reference field, the names of the records it points at by id. A field ' +
    'whose model the user may not read is absent; an id not found is absent from its field.',
  additionalProperties: { type: 'object', additionalProperties: { type: 'string' } },
  examples: [{ subject_id: { '1': 'Английский' }, teacher_ids: { '3': 'Иванова А. П.' } }],
}
