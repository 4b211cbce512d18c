/**
 * The contract every field kind implements: how a value is stored, parsed from the wire, formatted back,
 * described in OpenAPI, and compared in filters. A model declaration is a map of these (STYLE: declare once).
 */
export interface FieldContext {
  /** Today and now in the server time zone (§0.3). */
  today: string
  now: string
  tz: string
  pathBranch: number
  userId: number
}

export type Outcome = { ok: true; value: unknown } | { ok: false; message: string }

export type Default = unknown | ((ctx: FieldContext) => unknown)

export interface FieldOptions {
  label?: string
  required?: boolean
  nullable?: boolean
  readOnly?: boolean
  default?: Default
  /** Written on create only and ignored on update (a membership's customer, a custom field's code). */
  createOnly?: boolean
  /** Column name; defaults to the field name. */
  column?: string
  /** Input keys read when the field's own key is absent (e.g. `b_date_v` for `b_date`). */
  aliases?: string[]
  description?: string
}

export interface FieldKind {
  readonly type: string
  readonly label: string
  readonly required: boolean
  readonly nullable: boolean
  readonly readOnly: boolean
  readonly createOnly: boolean
  /** Derived fields have no column; their values come from the model's `derive` hook. */
  readonly derived: boolean
  readonly column: string | undefined
  readonly aliases: string[]
  readonly description: string | undefined
  readonly default: Default
  /** Set for id lists kept in a link table (`{table}_{field}`) so they can be filtered and referenced. */
  readonly linked: boolean
  /** The target model slug of a reference (scalar or list). */
  readonly ref: string | undefined
  /** A list of objects: the name of its item schema and the item's attributes (fields/object-list). */
  readonly item?: { name: string; fields: Record<string, FieldKind> }
  /** Whether "" counts as blank (every kind but strings). */
  readonly emptyStringIsBlank: boolean
  /** Wire input → internal value. Blank handling (null, "", []) is done by the engine before this. */
  parse(input: unknown, label: string): Outcome
  /** Internal value → column value(s); `extra` columns (search shadows) are merged into the row. */
  toDb(value: unknown): unknown
  extraColumns?(value: unknown, column: string): Record<string, unknown>
  fromDb(raw: unknown): unknown
  format(value: unknown): unknown
  /** Internal value used as a filter operand (400 on failure). */
  filterValue(input: unknown): { ok: true; value: unknown } | { ok: false }
  equals(a: unknown, b: unknown): boolean
  jsonSchema(): Record<string, unknown>
}

export const messages = {
  required: (l: string) => `Необходимо заполнить «${l}».`,
  format: (l: string) => `Неверный формат значения «${l}».`,
  integer: (l: string) => `Значение «${l}» должно быть целым числом.`,
  number: (l: string) => `Значение «${l}» должно быть числом.`,
  bool: (l: string) => `Значение «${l}» должно быть равно «1» или «0».`,
  invalid: (l: string) => `Значение «${l}» неверно.`,
  min: (l: string, min: number | string) => `Значение «${l}» должно быть не меньше ${min}.`,
  max: (l: string, max: number | string) => `Значение «${l}» должно быть не больше ${max}.`,
  list: (l: string) => `Значение «${l}» должно быть списком.`,
  period: () => 'Некорректный период',
  /** §6.9: a delete refused while records of `slug` reference the record (key `id`). */
  referenced: (slug: string) => `Невозможно удалить запись: на неё ссылаются записи «${slug}».`,
  unknown: () => 'Неизвестное поле.',
  encoding: (l: string) => `Значение «${l}» содержит недопустимые символы (одиночный суррогат UTF-16).`,
}

type Spec = Omit<
  FieldKind,
  | 'label'
  | 'required'
  | 'nullable'
  | 'readOnly'
  | 'createOnly'
  | 'column'
  | 'aliases'
  | 'description'
  | 'default'
  | 'derived'
  | 'linked'
  | 'ref'
  | 'emptyStringIsBlank'
  | 'equals'
  | 'filterValue'
> &
  Partial<Pick<FieldKind, 'derived' | 'linked' | 'ref' | 'emptyStringIsBlank' | 'equals' | 'filterValue'>>

/** Builds a kind from its specifics and the common options. */
export function makeKind(spec: Spec, opts: FieldOptions, fallbackDefault: Default): FieldKind {
  const emptyStringIsBlank = spec.emptyStringIsBlank ?? true
  return {
    derived: false,
    linked: false,
    ref: undefined,
    emptyStringIsBlank,
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    filterValue(input) {
      const r = spec.parse(input, '')
      return r.ok ? { ok: true, value: r.value } : { ok: false }
    },
    ...spec,
    label: opts.label ?? '',
    required: opts.required ?? false,
    nullable: opts.nullable ?? false,
    readOnly: opts.readOnly ?? false,
    createOnly: opts.createOnly ?? false,
    column: spec.derived ? undefined : opts.column,
    aliases: opts.aliases ?? [],
    description: opts.description,
    default: opts.default === undefined ? (opts.nullable ? null : fallbackDefault) : opts.default,
  }
}

export function resolveDefault(d: Default, ctx: FieldContext): unknown {
  return typeof d === 'function' ? (d as (c: FieldContext) => unknown)(ctx) : structuredClone(d)
}
