import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely'
import type { Role } from '../auth/roles.js'
import type { Reading } from '../db/memo.js'
import type { FieldErrors } from '../errors.js'
import type { FieldContext, FieldKind } from '../fields/kind.js'
import { stampRange } from './filters.js'
import type { Tally } from './tally.js'

// biome-ignore lint/suspicious/noExplicitAny: the engine addresses tables by name from declarations
export type AnyDb = Kysely<any>
// biome-ignore lint/suspicious/noExplicitAny: see AnyDb
export type Eb = ExpressionBuilder<any, any>
export type Condition = Expression<SqlBool>

/** A record in its internal form: field name → internal value (dates as strings, money in kopecks). */
export type Rec = Record<string, unknown> & { id: number }

export interface User {
  id: number
  name: string
  email: string
  role: Role
  isV2api: boolean
  branchIds: number[]
  isActive: boolean
  /** The teacher a user of role `teacher` is [ext]: it then reads and conducts only that teacher's lessons. */
  teacherId: number | null
}

/** Everything an action, a hook or a filter may use: the transaction, who calls, where and when. */
export interface ActionCtx extends FieldContext {
  trx: AnyDb
  dialect: 'sqlite' | 'postgres'
  user: User
  /** Branches the user may use (§2.5). */
  allowedBranches: number[]
  strict: boolean
  maxPageSize: number
  models: Registry
  /** Set in read-only actions: the memo and the data version read when the request began. */
  reading?: Reading | null
}

export type Action = 'index' | 'create' | 'update' | 'delete' | 'restore' | (string & {})

/** Membership of a record in branches (§2.5). */
export type Scope =
  | 'global'
  | 'tenant'
  | 'branch'
  | 'branches'
  | {
      /** Records visible through path branch `b`. */
      visible(eb: Eb, branchId: number): Condition
      /** The branches a record belongs to, for the log (§5.11) and reference checks. */
      branchesOf(rec: Rec, ctx: ActionCtx): Promise<number[]>
    }

/** What the OpenAPI document says of a filter or a default filter: its operand, meaning and default. */
export interface FilterDoc {
  schema?: Record<string, unknown>
  description: string
  default?: unknown
}

export type FilterFn = ((value: unknown, eb: Eb, ctx: ActionCtx, model: Model) => Condition) & {
  doc?: (model: Model) => FilterDoc
  /**
   * A filter on a column the model's `tally` counts by (engine/tally): the column values the filter
   * value admits, null for all. Called only with a value the filter itself accepted.
   */
  cell?: (value: unknown, model: Model) => readonly number[] | null
}

/** A write in progress: what the client sent (parsed), what is stored, and the errors found so far. */
export interface Draft {
  action: 'create' | 'update'
  body: Record<string, unknown>
  /** Values parsed from the body (only keys present) merged over the stored record on update. */
  values: Record<string, unknown>
  /** Keys set by this request (parsed input, defaults on create, hook changes). */
  changed: Set<string>
  old: Rec | null
  errors: FieldErrors
  /** Hidden columns a hook sets (a user's api key hash). */
  row: Record<string, unknown>
  /** Write-only input keys a hook stored (a user's password): logged as changed, never with their value. */
  secrets: Set<string>
  addError(key: string, message: string): void
  set(key: string, value: unknown): void
}

export interface Hooks {
  /** Cross-field rules and values the server sets (after field parsing, before saving). */
  prepare?(draft: Draft, ctx: ActionCtx): void | Promise<void>
  /** Consequences written in the same transaction (sync, generation …), after the row is saved. */
  afterSave?(rec: Rec, draft: Draft, ctx: ActionCtx): void | Promise<void>
  /** Rules checked before a hard delete beyond the reference table (e.g. the last branch). */
  beforeDelete?(rec: Rec, ctx: ActionCtx): Promise<string | null> | string | null
  afterDelete?(rec: Rec, ctx: ActionCtx): void | Promise<void>
  /** Fills derived fields of a page of records in place, in one batch. */
  derive?(recs: Rec[], ctx: ActionCtx): void | Promise<void>
  /** Extra keys for the wire form (e.g. a user's api key once after create), placed by field order. */
  present?(rec: Rec, out: Record<string, unknown>, ctx: ActionCtx): void
}

export interface ScopingParam {
  name: string
  /** Field the parameter fills on create and must match on update/delete. */
  field: string
  /** The value the request examples use (a record they create first). */
  example: unknown
}

export interface Scoping {
  params: ScopingParam[]
  /** Names missing for this action, in the order of the 400 message; default: all, for index/create. */
  missing?(action: Action, present: Set<string>): string[]
}

export type Extra = (ctx: ActionCtx, input: RequestInput) => Promise<unknown>

/** What the OpenAPI document says of an extra action; without it, a view answering like its model's index. */
export interface ExtraDoc {
  /** One or two English sentences. */
  description: string
  /** The request takes the model's index filters (its `Filter` schema). */
  takesFilters?: boolean
  /** Keys of the action itself beside the filters (JSON Schemas), and those of them that are required. */
  params?: (model: Model) => Record<string, Record<string, unknown>>
  required?: string[]
  /** The reply: its JSON Schema and a few words on it. */
  reply: { schema: Record<string, unknown>; description: string }
}

export interface RequestInput {
  query: Record<string, unknown>
  body: Record<string, unknown>
}

/** A request body the server accepts, shown in the OpenAPI document and sent by its round-trip test. */
export type Example = Record<string, unknown>

export interface ModelDef {
  slug: string
  table: string
  logName: string
  /** One or two English sentences: the OpenAPI tag of the model. */
  description: string
  scope: Scope
  fields: Record<string, FieldKind>
  /**
   * Request examples for create and update (update targets id 1). On a fresh database they succeed
   * when sent in the order of their references: ids name the records earlier examples create.
   */
  examples?: { create?: Example; update?: Example }
  filters?: Record<string, FilterFn>
  /** Filters applied when their key is absent or empty (§4.7); they receive all the index parameters. */
  defaultFilters?: Record<string, FilterFn>
  order: Array<[column: string, dir: 'asc' | 'desc']>
  /**
   * Fields an index may be sorted by with `sort` [ext]: a stored field (ordered by its column), or a
   * field paired with the column that orders it (customer `balance`, derived, by `balance_base`).
   */
  sortable?: Array<string | [field: string, column: string]>
  /**
   * Values `count` [ext] (and pay/total) may group by, `group_by`: a field with a column, or a key paired
   * with the id-list field it groups through (lesson `teacher_id` by the link table of `teacher_ids`).
   */
  groupable?: Array<string | [key: string, field: string]>
  actions?: Action[]
  /** customer, group, teacher: delete archives, restore undoes it (§6.9). */
  archive?: { openEDate: string | null }
  customFields?: boolean
  /**
   * Delete refused while referenced (§6.9), in message order: by the records of a model whose field
   * names this one, or, for a conditional reference, while the check finds one.
   */
  refusedBy?: Array<
    [slug: string, field: string] | [slug: string, check: (rec: Rec, ctx: ActionCtx) => Promise<boolean>]
  >
  hooks?: Hooks
  scoping?: Scoping
  /** Actions beyond the standard ones (cgi/customer, calendar views); `read` marks them as reads. */
  extra?: Record<string, { read: boolean; run: Extra; doc?: ExtraDoc }>
  /** Who may write: `admin` for users, custom fields and branches (§2.4). */
  writers?: 'admin'
  readers?: 'admin'
  /** Paths that address this model under another's segment (teacher/working-hour). */
  parent?: string
  /** Text fields with a trigram index for substring search (migration 004: `{table}_search` on SQLite). */
  trigram?: string[]
  /**
   * Scope `branches`: a column kept by triggers (migration 018) holding the record's branch when it has
   * exactly one, null otherwise; `visibleIn` tests it before the link table.
   */
  soleBranch?: string
  /** Records counted per branch and per value of a few filtered columns, kept by triggers (engine/tally). */
  tally?: Tally
  /** Rows a user may see beyond branch scoping (non-admins see only their own branches, §7.1). */
  restrict?(eb: Eb, ctx: ActionCtx): Condition
  /**
   * Rows an index (and the reads sharing its selection) lists to this user, null for all; unlike
   * `restrict`, writes still find the others, for the model's hooks to refuse (lesson: a linked teacher).
   */
  restrictReads?(eb: Eb, ctx: ActionCtx): Condition | null
  /** Server-set stamps: `created` names a read-only datetime field or a hidden column, `updated` a hidden column. */
  stamps?: { created?: string; updated?: string }
  /** Extra keys accepted in strict mode besides fields and filters. */
  inputKeys?: string[]
  /**
   * [ext] Find-or-create (issue 16): `create?dedupe=<name>` returns the record `find` matches among those
   * visible in the path branch instead of creating another; `find` gets the validated values.
   */
  dedupe?: Record<
    string,
    { description: string; find(values: Record<string, unknown>, ctx: ActionCtx): Promise<number | null> }
  >
}

/** A `group_by` value resolved: the column it groups by, or the link table of the id list it groups through. */
export type Grouping = { column: string } | { link: string }

export interface Model
  extends Omit<ModelDef, 'filters' | 'defaultFilters' | 'actions' | 'refusedBy' | 'sortable' | 'groupable'>,
    Required<Pick<ModelDef, 'filters' | 'defaultFilters' | 'actions' | 'refusedBy'>> {
  /** Fields in wire order with their resolved column names. */
  columns: Array<[name: string, kind: FieldKind & { column: string }]>
  /** Fields kept in link tables. */
  links: string[]
  fieldNames: string[]
  /** `sortable` resolved: field → the column that orders it; empty when the model takes no `sort`. */
  sortable: ReadonlyMap<string, string>
  /** `groupable` resolved: `group_by` value → how to group; empty when the model takes none. */
  groupable: ReadonlyMap<string, Grouping>
}

export type Registry = ReadonlyMap<string, Model>

/** The hidden column, and the filter name, of when a record last changed. */
export const UPDATED = 'updated_at'

export function defineModel(def: ModelDef): Model {
  const fields: Record<string, FieldKind> = {}
  for (const [name, kind] of Object.entries(def.fields)) {
    fields[name] = kind.derived ? kind : { ...kind, column: kind.column ?? name }
  }
  const columns = Object.entries(fields).filter(([, k]) => !k.derived) as Model['columns']
  const actions = def.actions ?? ['index', 'create', 'update', 'delete', ...(def.archive ? ['restore'] : [])]
  // Every model that changes keeps when each record last changed (`updated_at`, a hidden column set by
  // the generic writes) and filters on it: incremental sync (issue 16, migration 012).
  const changes = actions.some((a) => a === 'create' || a === 'update' || a === 'delete')
  const stamps = changes ? { ...def.stamps, updated: def.stamps?.updated ?? UPDATED } : def.stamps
  const filters = { ...def.filters }
  if (stamps?.updated && !Object.hasOwn(filters, `${UPDATED}_from`))
    Object.assign(filters, stampRange(stamps.updated, UPDATED))
  return {
    ...def,
    ...(stamps ? { stamps } : {}),
    fields,
    filters,
    defaultFilters: def.defaultFilters ?? {},
    actions,
    refusedBy: def.refusedBy ?? [],
    columns,
    links: Object.entries(fields)
      .filter(([, k]) => k.linked)
      .map(([n]) => n),
    fieldNames: Object.keys(fields),
    sortable: sortColumns(def, fields),
    groupable: groupings(def, fields),
  }
}

function groupings(def: ModelDef, fields: Record<string, FieldKind>): Map<string, Grouping> {
  const out = new Map<string, Grouping>()
  for (const entry of def.groupable ?? []) {
    const [key, field] = typeof entry === 'string' ? [entry, entry] : entry
    const kind = fields[field]
    // Integer values only: a group's `value` is a number or null on the wire.
    if (!kind || kind.derived || !/^(int\??|ref\(.+\)|enum\{[\d,]+\})(\[\])?$/.test(kind.type))
      throw new Error(`${def.slug}: cannot group by ${field}`)
    out.set(key, kind.linked ? { link: linkTable(def, field) } : { column: kind.column ?? field })
  }
  return out
}

function sortColumns(def: ModelDef, fields: Record<string, FieldKind>): Map<string, string> {
  const out = new Map<string, string>()
  for (const entry of def.sortable ?? []) {
    const [field, column] = typeof entry === 'string' ? [entry, fields[entry]?.column] : entry
    const kind = fields[field]
    if (!kind || !column || kind.linked) throw new Error(`${def.slug}: cannot sort by ${field}`)
    out.set(field, column)
  }
  return out
}

export function linkTable(model: Pick<Model, 'table'>, field: string): string {
  return `${model.table}_${field}`
}
