import { shapes } from '../db/shapes.js'
import { fail } from '../errors.js'
import { bool, date, int, number, stringList, text } from '../fields/index.js'
import type { FieldKind } from '../fields/kind.js'
import { inList, likeAny, likePattern } from './filters.js'
import type { ActionCtx, Condition, Eb, Model, Rec } from './model.js'

/** A declared custom field (§5.10, §7.29) with the field kind that parses and formats its values. */
export interface CustomDef {
  id: number
  code: string
  key: string
  label: string
  type: string
  kind: FieldKind
}

export const CUSTOM_TYPES = [
  'string',
  'text',
  'int',
  'number',
  'date',
  'bool',
  'select',
  'multiselect',
] as const

/** The same field kinds the models use, so custom values obey §5 exactly like declared fields. */
function kindFor(type: string, label: string, options: string[]): FieldKind {
  const o = { label, nullable: true }
  switch (type) {
    case 'string':
      return text(255, o)
    case 'text':
      return text(10000, o)
    case 'int':
      return int(o)
    case 'number':
      return number(o)
    case 'date':
      return date('dmy', o)
    case 'bool':
      return bool(o)
    case 'select':
      return oneOf(text(255, o), options)
    default:
      return oneOf(stringList({ label }), options)
  }
}

/** Narrows a kind to values that are exactly one of the options (each element, for lists). */
function oneOf(base: FieldKind, options: string[]): FieldKind {
  return {
    ...base,
    parse(input, label) {
      const r = base.parse(input, label)
      if (!r.ok) return r
      const values = Array.isArray(r.value) ? (r.value as string[]) : [r.value as string]
      return values.every((v) => options.includes(v))
        ? r
        : { ok: false, message: `Значение «${label}» неверно.` }
    },
  }
}

export async function loadCustomDefs(model: Model, ctx: ActionCtx): Promise<CustomDef[]> {
  if (!model.customFields) return []
  const q = shapes.compiled(`custom_fields:${ctx.dialect}`, [model.slug], () =>
    ctx.trx
      .selectFrom('custom_fields')
      .selectAll()
      .where('model', '=', model.slug)
      .orderBy('weight')
      .orderBy('id')
      .compile(),
  )
  const { rows } = await ctx.trx.executeQuery<Record<string, unknown>>(q)
  return rows.map((r) => {
    const options = JSON.parse(r.options as string) as string[]
    const label = r.label as string
    return {
      id: r.id as number,
      code: r.code as string,
      key: `custom_${r.code}`,
      label,
      type: r.type as string,
      kind: kindFor(r.type as string, label, options),
    }
  })
}

/** Reads the custom values of a page of records in one query. */
export async function attachCustom(recs: Rec[], defs: CustomDef[], ctx: ActionCtx): Promise<void> {
  if (defs.length === 0 || recs.length === 0) return
  const rows = await ctx.trx
    .selectFrom('custom_values')
    .select(['field_id', 'record_id', 'value'])
    .where(
      'field_id',
      'in',
      defs.map((d) => d.id),
    )
    .where(
      'record_id',
      'in',
      recs.map((r) => r.id),
    )
    .execute()
  const byId = new Map(recs.map((r) => [r.id, r]))
  for (const rec of recs) for (const d of defs) rec[d.key] = d.type === 'multiselect' ? [] : null
  for (const row of rows) {
    const def = defs.find((d) => d.id === row.field_id)
    const rec = byId.get(row.record_id as number)
    if (def && rec) rec[def.key] = JSON.parse(row.value as string)
  }
}

export async function writeCustom(
  recordId: number,
  values: Record<string, unknown>,
  defs: CustomDef[],
  ctx: ActionCtx,
): Promise<void> {
  for (const d of defs) {
    if (!(d.key in values)) continue
    const v = values[d.key]
    await ctx.trx
      .deleteFrom('custom_values')
      .where('field_id', '=', d.id)
      .where('record_id', '=', recordId)
      .execute()
    const empty = v === null || (Array.isArray(v) && v.length === 0)
    if (!empty) {
      await ctx.trx
        .insertInto('custom_values')
        .values({ field_id: d.id, record_id: recordId, value: JSON.stringify(v) })
        .execute()
    }
  }
}

const TEXTUAL = new Set(['string', 'text', 'select', 'multiselect'])

/**
 * `custom_<code>` filter (§4.5): exact, by the field's type; a list matches any element; multiselect
 * matches records containing the value. Text values need not be current options (kept values stay
 * findable, §7.29).
 */
export function customFilter(def: CustomDef, raw: unknown, eb: Eb, ctx: ActionCtx, model: Model): Condition {
  const list = Array.isArray(raw) ? raw : [raw]
  if (list.length === 0 || list.length > 10_000) throw fail.badParam(def.key)
  const jsons = list.map((item) => {
    if (typeof item === 'object' && item !== null) throw fail.badParam(def.key)
    let value: unknown = String(item).trim()
    if (!TEXTUAL.has(def.type)) {
      const r = def.kind.filterValue(item)
      if (!r.ok) throw fail.badParam(def.key)
      value = r.value
    } else if ([...(value as string)].length > (def.type === 'text' ? 10_000 : 255)) {
      // Longer than any stored value (§5.10), and past SQLite's limit on a LIKE pattern.
      throw fail.badParam(def.key)
    }
    return JSON.stringify(value)
  })
  const values = eb.selectFrom('custom_values').select('record_id').where('field_id', '=', def.id)
  const matching =
    def.type === 'multiselect'
      ? values.where((w) =>
          likeAny(
            w,
            ctx.dialect,
            'custom_values.value',
            jsons.map((j) => likePattern(j)),
          ),
        )
      : values.where((w) => inList(w, ctx.dialect, 'custom_values.value', jsons))
  return eb(`${model.table}.id`, 'in', matching)
}
