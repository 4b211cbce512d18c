import { sql } from 'kysely'
import type { OperatorTransaction } from '../cli/operator-call.js'
import { refusalOf } from '../cli/operator-call.js'
import { type CustomDef, loadCustomDefs } from '../engine/custom-fields.js'
import type { ActionCtx, Model, Registry } from '../engine/model.js'
import { rowToRec } from '../engine/repository.js'
import type { FieldKind } from '../fields/kind.js'
import { PAY_TYPES } from '../models/pay-type.js'
import { LOOKUPS, normHeader, targetOf } from './csv-headers.js'
import { phoneKey, splitPhones } from './phones.js'

/**
 * `import csv`: the rows of a file as records of one model, each written by the API's own create or
 * update (its rules, hooks and log rows), all in one transaction: committed only when no row was
 * refused (or, with `partial`, with the refused rows left out), rolled back on a dry run. Rows are
 * matched against the records already there and the rows before them by phone, e-mail or name.
 */

export type Dedupe = 'phone' | 'email' | 'name' | 'none'

export interface CsvImportOptions {
  /** Header (normalised, see csv-headers) → field, or '' to leave the column out. */
  map: Map<string, string>
  ignoreUnknown: boolean
  dedupe: Dedupe
  onDuplicate: 'skip' | 'update'
  partial: boolean
  dryRun: boolean
  /** Field → value (as a cell would hold it) for rows that have none. */
  set: Record<string, string>
}

export interface LineReport {
  line: number
  outcome: 'created' | 'updated' | 'skipped' | 'refused'
  id?: number
  reason?: string
  /** Refusals by column: `Имя (name)` → messages. */
  errors?: Record<string, string[]>
}

export interface CsvImportResult {
  columns: Array<{ header: string; field: string | null }>
  /** Columns no field was found for (an error unless `ignoreUnknown`). */
  unknown: string[]
  rows: number
  created: number
  updated: number
  skipped: number
  refused: number
  /** Whether anything was committed. */
  written: boolean
  lines: LineReport[]
}

class Rollback extends Error {}

/** An option that cannot be followed (`--set` of a field the model has not). */
export class CsvOptionError extends Error {}

/** Words a school writes for the values of some fields, lower-cased. */
const VALUE_WORDS: Record<string, Record<string, number>> = {
  gender: { м: 1, муж: 1, 'муж.': 1, мужской: 1, ж: 2, жен: 2, 'жен.': 2, женский: 2, 'не указан': 0 },
  is_study: { ученик: 1, клиент: 1, студент: 1, лид: 0 },
  legal_type: {
    физ: 1,
    'физ. лицо': 1,
    'физическое лицо': 1,
    физлицо: 1,
    юр: 2,
    'юр. лицо': 2,
    'юридическое лицо': 2,
    юрлицо: 2,
  },
  pay_type_id: Object.fromEntries(
    Object.entries(PAY_TYPES).map(([id, name]) => [name.toLowerCase(), Number(id)]),
  ),
}
const YES_NO: Record<string, number> = { да: 1, нет: 0, yes: 1, no: 0, '+': 1, '-': 0 }

const normName = (s: string) => s.toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ').trim()

/** A model's records by normalised name (and users by e-mail), read once per import. */
class Names {
  private byTable = new Map<string, Map<string, Array<{ id: number; branch: number | null }>>>()
  constructor(private readonly op: OperatorTransaction) {}

  async find(target: Model, text: string, branch: number | null): Promise<number | string> {
    if (!target.fields.name) return `give the id of the ${target.slug}`
    let index = this.byTable.get(target.table)
    if (!index) {
      index = new Map()
      const columns = ['id', 'name', ...(target.fields.branch_id ? ['branch_id'] : [])]
      if (target.slug === 'user') columns.push('email')
      const rows = await this.op.trx.selectFrom(target.table).select(columns).execute()
      for (const r of rows) {
        const entry = { id: Number(r.id), branch: r.branch_id == null ? null : Number(r.branch_id) }
        for (const key of [r.name, r.email]) {
          if (typeof key !== 'string' || key === '') continue
          const list = index.get(normName(key)) ?? []
          list.push(entry)
          index.set(normName(key), list)
        }
      }
      this.byTable.set(target.table, index)
    }
    let found = index.get(normName(text)) ?? []
    // The same name in several branches (a cash desk «Наличные» in each): the row's branch decides.
    if (found.length > 1 && branch !== null && found.some((f) => f.branch === branch))
      found = found.filter((f) => f.branch === branch)
    if (found.length === 1) return found[0]!.id
    if (found.length === 0) return `no ${target.slug} is named «${text}»`
    return `several ${target.slug} records are named «${text}» (ids ${found.map((f) => f.id).join(', ')}): give the id`
  }

  /** Records made by this import join the index (a group row naming a teacher made earlier in the file). */
  forget(table: string) {
    this.byTable.delete(table)
  }
}

/** Keys of a record for de-duplication: digits of its phones, its e-mails, or its name. */
function keysOf(dedupe: Dedupe, values: Record<string, unknown>): string[] {
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [])
  if (dedupe === 'phone')
    return list(values.phone)
      .map(phoneKey)
      .filter((k) => k.length >= 5)
  if (dedupe === 'email')
    return list(values.email)
      .map((e) => e.trim().toLowerCase())
      .filter((e) => e !== '')
  if (dedupe === 'name')
    return typeof values.name === 'string' && values.name.trim() ? [normName(values.name)] : []
  return []
}

/** Who already has a key: a record of the database, or one this file made (with its line). */
type Owner = { id: number; line: number | null }

async function existingKeys(op: OperatorTransaction, model: Model, dedupe: Dedupe, field: string) {
  const index = new Map<string, Owner[]>()
  if (dedupe === 'none') return index
  const kind = model.fields[field]!
  const rows = await op.trx
    .selectFrom(model.table)
    .select(['id', kind.column ?? field])
    .execute()
  for (const r of rows) {
    const id = Number(r.id)
    for (const key of keysOf(dedupe, { [field]: kind.fromDb(r[kind.column ?? field]) })) {
      const owners = index.get(key) ?? []
      if (!owners.some((o) => o.id === id)) owners.push({ id, line: null })
      index.set(key, owners)
    }
  }
  return index
}

/** Text of a cell in the form the field's parser takes: lists split, Russian words and numbers read. */
async function cellValue(
  name: string,
  kind: FieldKind,
  cell: string,
  names: Names,
  models: Registry,
  branch: number | null,
): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  const text = cell.trim()
  const json = /^\[.*\]$/s.test(text)
    ? (() => {
        try {
          return JSON.parse(text) as unknown[]
        } catch {
          return null
        }
      })()
    : null
  const ref = async (item: string) => {
    if (/^\d+$/.test(item)) return { ok: true as const, value: Number(item) }
    const target = kind.ref ? models.get(kind.ref) : undefined
    if (!target) return { ok: true as const, value: item }
    const r = await names.find(target, item, branch)
    return typeof r === 'number' ? { ok: true as const, value: r } : { ok: false as const, message: r }
  }
  if (name === 'phone') return { ok: true, value: splitPhones(text) }
  if (kind.type === 'string[]') {
    if (json) return { ok: true, value: json }
    if (name === 'email') return { ok: true, value: text.split(/[,;\s]+/).filter((e) => e !== '') }
    return { ok: true, value: [text] }
  }
  if (kind.type.endsWith('[]')) {
    const items =
      json ??
      text
        .split(/[,;]+/)
        .map((s) => s.trim())
        .filter((s) => s !== '')
    const out: unknown[] = []
    for (const item of items) {
      const r = await ref(String(item).trim())
      if (!r.ok) return r
      out.push(r.value)
    }
    return { ok: true, value: out }
  }
  if (kind.ref) return ref(text)
  const word =
    VALUE_WORDS[name]?.[text.toLowerCase()] ?? (kind.type === 'bool' ? YES_NO[text.toLowerCase()] : undefined)
  if (word !== undefined) return { ok: true, value: word }
  // `1 500,00 ₽` as a Russian Excel writes money.
  if (kind.type === 'money' && /^-?[\d\s\u00a0]+([.,]\d+)?\s*(₽|руб\.?|р\.?)?$/i.test(text))
    return { ok: true, value: text.replace(/[\s\u00a0₽]|руб\.?|р\.?/gi, '').replace(',', '.') }
  // `5.3.2014` and `05.03.2014 0:00:00` (a date cell Excel kept as a date and time).
  if (kind.type.startsWith('date:')) {
    const m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(\s+\d{1,2}:\d{2}(:\d{2})?)?$/.exec(text)
    if (m) return { ok: true, value: `${m[1]!.padStart(2, '0')}.${m[2]!.padStart(2, '0')}.${m[3]}` }
  }
  return { ok: true, value: text }
}

/** Values a model's rows get when the file says nothing (a list of students, of incomes). */
const DEFAULTS: Record<string, Record<string, unknown>> = {
  customer: { is_study: 1, legal_type: 1 },
  pay: { pay_type_id: 1 },
}

export async function importCsvRows(
  op: OperatorTransaction,
  model: Model,
  models: Registry,
  header: string[],
  data: Array<{ line: number; cells: string[] }>,
  opts: CsvImportOptions,
): Promise<CsvImportResult> {
  const defs: CustomDef[] = await loadCustomDefs(model, { trx: op.trx } as ActionCtx)
  const columns: CsvImportResult['columns'] = []
  const unknown: string[] = []
  const used = new Map<string, string>()
  header.forEach((h, i) => {
    const t = targetOf(model, defs, h, opts.map)
    // Trailing separators of a spreadsheet: a column with neither header nor values.
    if (t && 'unknown' in t && h.trim() === '' && data.every((r) => (r.cells[i] ?? '').trim() === '')) {
      columns.push({ header: h, field: null })
      return
    }
    if (t && 'field' in t) {
      const before = used.get(t.field)
      const list = model.fields[t.field]?.type.endsWith('[]') || t.field === 'customer_phone'
      if (before !== undefined && !list)
        unknown.push(`«${h}» and «${before}» both fill ${t.field}: map one of them with --map "${h}=…"`)
      used.set(t.field, h)
    } else if (t) unknown.push(t.unknown)
    columns.push({ header: h, field: t && 'field' in t ? t.field : null })
  })
  for (const field of Object.keys(opts.set)) {
    const kind = model.fields[field]
    // An option, not a column of the file: wrong whatever --ignore-unknown says.
    if (!kind && !defs.some((d) => d.key === field) && !LOOKUPS[model.slug]?.[field])
      throw new CsvOptionError(`--set ${field}: ${model.slug} has no field ${field}`)
    if (kind && (kind.readOnly || kind.derived || field === 'id'))
      throw new CsvOptionError(`--set ${field}: the server makes ${field}; it cannot be imported`)
    used.set(field, used.get(field) ?? field)
  }
  const result: CsvImportResult = {
    columns,
    unknown,
    rows: data.length,
    created: 0,
    updated: 0,
    skipped: 0,
    refused: 0,
    written: false,
    lines: [],
  }
  if (unknown.length > 0 && !opts.ignoreUnknown) return result

  const names = new Names(op)
  const dedupeField = opts.dedupe === 'phone' ? 'phone' : opts.dedupe === 'email' ? 'email' : 'name'
  if (opts.dedupe !== 'none' && !model.fields[dedupeField])
    throw new Error(`--dedupe ${opts.dedupe}: ${model.slug} has no ${dedupeField}`)
  const owners = await existingKeys(op, model, opts.dedupe, dedupeField)
  // Pays name their customer by phone or e-mail: the customers' own keys.
  const customer = models.get('customer')!
  const byPhone = used.has('customer_phone') ? await existingKeys(op, customer, 'phone', 'phone') : null
  const byEmail = used.has('customer_email') ? await existingKeys(op, customer, 'email', 'email') : null
  const headerOf = (field: string) => {
    const h = used.get(field)
    return h === undefined || normHeader(h) === field ? field : `${h} (${field})`
  }

  for (const row of data) {
    const errors: Record<string, string[]> = {}
    const refuse = (field: string, message: string) => {
      const k = field === '' ? '' : headerOf(field)
      errors[k] = [...(errors[k] ?? []), message]
    }
    if (row.cells.length > header.length)
      refuse('', `${row.cells.length} values for ${header.length} columns`)
    const body: Record<string, unknown> = {}
    const lookups: Record<string, string[]> = {}
    const branchCell = model.fields.branch_id
      ? row.cells[columns.findIndex((c) => c.field === 'branch_id')]
      : undefined
    const branch = branchCell && /^\d+$/.test(branchCell.trim()) ? Number(branchCell) : op.branch
    const given: Array<[string, string]> = columns
      .map((c, i): [string, string] => [c.field ?? '', row.cells[i] ?? ''])
      .filter(([field, cell]) => field !== '' && cell.trim() !== '')
    for (const [field, value] of Object.entries(opts.set))
      if (!given.some(([f]) => f === field)) given.push([field, value])
    for (const [field, cell] of given) {
      if (LOOKUPS[model.slug]?.[field]) {
        const list =
          field === 'customer_phone' ? splitPhones(cell).map(phoneKey) : [cell.trim().toLowerCase()]
        lookups[field] = [...(lookups[field] ?? []), ...list]
        continue
      }
      const kind = model.fields[field] ?? defs.find((d) => d.key === field)?.kind
      if (!kind) {
        refuse(field, `${model.slug} has no field ${field}`)
        continue
      }
      const r = await cellValue(field, kind, cell, names, models, branch)
      if (!r.ok) refuse(field, r.message)
      else if (Array.isArray(r.value) && Array.isArray(body[field]))
        body[field] = [...(body[field] as unknown[]), ...r.value]
      else body[field] = r.value
    }
    if (body.customer_id === undefined)
      for (const [key, index] of [
        ['customer_phone', byPhone],
        ['customer_email', byEmail],
      ] as const) {
        if (!lookups[key] || !index || body.customer_id !== undefined) continue
        const ids = [...new Set(lookups[key].flatMap((k) => (index.get(k) ?? []).map((o) => o.id)))]
        if (ids.length === 1) body.customer_id = ids[0]
        else if (ids.length === 0)
          refuse(key, `no customer has ${key === 'customer_phone' ? 'this phone' : 'this e-mail'}`)
        else refuse(key, `several customers have it (ids ${ids.join(', ')}): give the customer's id`)
      }
    if (Object.keys(errors).length > 0) {
      result.refused++
      result.lines.push({ line: row.line, outcome: 'refused', errors })
      continue
    }

    // The same person already here, or a row before this one.
    const keys = keysOf(opts.dedupe, body)
    const matches = [...new Map(keys.flatMap((k) => owners.get(k) ?? []).map((o) => [o.id, o])).values()]
    const what = `${opts.dedupe === 'email' ? 'e-mail' : opts.dedupe}`
    if (matches.length > 0 && opts.onDuplicate === 'skip') {
      const m = matches[0]!
      result.skipped++
      result.lines.push({
        line: row.line,
        outcome: 'skipped',
        id: m.id,
        reason: m.line === null ? `same ${what} as ${model.slug} ${m.id}` : `same ${what} as line ${m.line}`,
      })
      continue
    }
    if (matches.length > 1) {
      result.refused++
      result.lines.push({
        line: row.line,
        outcome: 'refused',
        errors: {
          [headerOf(dedupeField)]: [
            `the same ${what} as several ${model.slug} records (ids ${matches.map((m) => m.id).join(', ')})`,
          ],
        },
      })
      continue
    }
    const update = matches[0]
    if (!update) for (const [k, v] of Object.entries(DEFAULTS[model.slug] ?? {})) body[k] ??= v
    else {
      // An update adds the row's phones and e-mails to those the record has.
      const stored = await op.trx
        .selectFrom(model.table)
        .selectAll()
        .where('id', '=', update.id)
        .executeTakeFirst()
      const rec = stored ? rowToRec(model, stored) : null
      for (const f of ['phone', 'email'])
        if (rec && Array.isArray(body[f]) && Array.isArray(rec[f])) {
          const had = rec[f] as string[]
          const key = (s: string) => (f === 'phone' ? phoneKey(s) : s.toLowerCase())
          body[f] = [...had, ...(body[f] as string[]).filter((v) => !had.some((h) => key(h) === key(v)))]
        }
    }

    await sql`SAVEPOINT parta_csv_row`.execute(op.trx)
    try {
      const reply = update
        ? await op.run(model.slug, 'update', { query: { id: update.id }, body })
        : await op.run(model.slug, 'create', { query: {}, body })
      await sql`RELEASE SAVEPOINT parta_csv_row`.execute(op.trx)
      const id = Number((reply.model as { id: number }).id)
      if (update) result.updated++
      else result.created++
      result.lines.push({ line: row.line, outcome: update ? 'updated' : 'created', id })
      for (const k of keysOf(opts.dedupe, body)) {
        const list = owners.get(k) ?? []
        if (!list.some((o) => o.id === id)) list.push({ id, line: row.line })
        owners.set(k, list)
      }
      if (!update) names.forget(model.table)
    } catch (e) {
      await sql`ROLLBACK TO SAVEPOINT parta_csv_row`.execute(op.trx)
      await sql`RELEASE SAVEPOINT parta_csv_row`.execute(op.trx)
      const refusal = refusalOf(e)
      if (!refusal) throw e
      result.refused++
      result.lines.push({
        line: row.line,
        outcome: 'refused',
        errors: Object.fromEntries(Object.entries(refusal).map(([k, v]) => [k === '' ? '' : headerOf(k), v])),
      })
    }
  }
  return result
}

/**
 * Runs `importCsvRows` in one transaction of `begin` and decides its fate: rolled back on a dry run
 * and when a row was refused (unless partial), committed otherwise.
 */
export async function importCsv(
  begin: <T>(work: (op: OperatorTransaction) => Promise<T>) => Promise<T>,
  model: Model,
  models: Registry,
  header: string[],
  data: Array<{ line: number; cells: string[] }>,
  opts: CsvImportOptions,
): Promise<CsvImportResult> {
  let result: CsvImportResult | null = null
  try {
    await begin(async (op) => {
      result = await importCsvRows(op, model, models, header, data, opts)
      const blocked = result.unknown.length > 0 && !opts.ignoreUnknown
      if (opts.dryRun || blocked || (result.refused > 0 && !opts.partial)) throw new Rollback()
    })
    result!.written = result!.created + result!.updated > 0
  } catch (e) {
    if (!(e instanceof Rollback)) throw e
  }
  return result!
}
