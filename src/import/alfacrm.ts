import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { sql } from 'kysely'
import type { Db } from '../db/connect.js'
import { DETAIL_ITEM } from '../domain/attendance.js'
import { refreshCustomers } from '../domain/balances.js'
import { loadCustomDefs } from '../engine/custom-fields.js'
import {
  type ActionCtx,
  type AnyDb,
  linkTable,
  type Model,
  type Rec,
  type Registry,
} from '../engine/model.js'
import { present } from '../engine/present.js'
import { rowToRec, toRow } from '../engine/repository.js'
import type { FieldKind } from '../fields/kind.js'
import { resolveDefault } from '../fields/kind.js'
import { operatorCtx } from '../seed/caches.js'
import { type SourceClient, SourceError } from './client.js'

/**
 * `import alfacrm`: copies a school from an Alfa CRM v2api server into this database, model by model
 * in the order of their references, page by page (50 records), keeping every id. Each page is written
 * in one transaction (an upsert by id, so a page written twice is written once) and then recorded in
 * the checkpoint file, so `--resume` goes on from the page after the last one written. Records are
 * written directly, as the server would store them; the figures the server computes (balances, paid
 * counts) are recomputed at the end by the domain's own code and compared with the source's.
 */

export interface ImportOptions {
  /** The source's address (for the checkpoint). */
  source: string
  branches: number[] | null
  models: string[] | null
  since: string | null
  dryRun: boolean
  merge: boolean
  checkpoint: string
  resume: boolean
  tz: string
  progress: (line: string) => void
}

interface Unit {
  key: string
  branch: number | null
  params: Record<string, unknown>
}

interface Step {
  slug: string
  /** The units to page through, once the steps before are in. */
  units(st: State): Promise<Unit[]> | Unit[]
}

export interface ModelReport {
  slug: string
  source: number
  imported: number
  skipped: number
  reasons: Record<string, number>
}

export interface Problem {
  slug: string
  id: number
  field: string
  value: unknown
  message: string
}

interface Checkpoint {
  /**
   * Finished parts, in checkpoints of an earlier version only: they are now lines of the journal beside
   * the checkpoint (`<checkpoint>.done`), appended as each part finishes, so a school of 10 000
   * customers (as many parts) does not rewrite a growing list after every page.
   */
  done?: string[]
  /**
   * The unit in progress: its next page, how many records its pages gave so far and the ids of the
   * last page (the checkpoint stays small however big the school: ids seen before are read back from
   * the database on --resume).
   */
  current: { key: string; page: number; count: number; last: number[] } | null
  reports: Record<string, ModelReport>
  problems: Problem[]
  branches: number[]
  /** The source's address, so a checkpoint is never resumed against another school. */
  source?: string
}

interface State {
  branches: number[]
  db: Db
  /** A dry run writes nothing: the parents it read, by table, stand in for the database's. */
  dryRun: boolean
  read: Map<string, Map<number, number>>
}

const PAGE = 50

const duration = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
    : s >= 60
      ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
      : `${Math.round(s)} s`

/**
 * The progress of one model, a line at most every 2 seconds: a bar, done of total (records of a model
 * read whole, parts of one read per customer or per branch), records so far, their rate and the time
 * left at that rate.
 */
function progressMeter(slug: string, emit: (line: string) => void) {
  const started = performance.now()
  let last = started
  return (done: number, total: number, what: 'records' | 'parts', records: number) => {
    const now = performance.now()
    if (now - last < 2000 && done < total) return
    last = now
    const s = (now - started) / 1000
    const share = total > 0 ? Math.min(1, done / total) : 1
    const bar = '#'.repeat(Math.round(share * 20)).padEnd(20, '.')
    const rate = s > 0 ? records / s : 0
    const left = share > 0 && share < 1 ? (s / share) * (1 - share) : 0
    emit(
      `  ${slug} [${bar}] ${done}/${total} ${what}` +
        (what === 'parts' ? `, ${records} records` : '') +
        `, ${rate.toFixed(1)}/s${left > 0 ? `, about ${duration(left)} left` : ''}`,
    )
  }
}
const FAR_PAST = '01.01.1900'
const FAR_FUTURE = '2099-12-31'

/** Models whose records belong to parents (by parent id), and the parent's branch link table. */
async function parents(db: Db, table: string, links: string): Promise<Array<{ id: number; branch: number }>> {
  const rows = await db.kysely
    .selectFrom(table)
    .leftJoin(links, `${links}.record_id`, `${table}.id`)
    .select([`${table}.id as id`, sql<number>`min(${sql.ref(`${links}.value`)})`.as('branch')])
    .groupBy(`${table}.id`)
    .orderBy(`${table}.id`)
    .execute()
  return rows.map((r) => ({ id: Number(r.id), branch: Number(r.branch ?? 0) })).filter((r) => r.branch > 0)
}

const everyBranch =
  (params: Record<string, unknown> = {}) =>
  (st: State): Unit[] =>
    st.branches.map((b) => ({ key: `b${b}`, branch: b, params }))
const once =
  (params: Record<string, unknown> = {}) =>
  (st: State) => [{ key: 'all', branch: st.branches[0] ?? null, params }]

function perParent(table: string, links: string, param: string, extra: Record<string, unknown> = {}) {
  return async (st: State): Promise<Unit[]> =>
    (st.dryRun
      ? [...(st.read.get(table) ?? new Map<number, number>())].map(([id, branch]) => ({ id, branch }))
      : await parents(st.db, table, links)
    )
      .filter((p) => st.branches.includes(p.branch))
      .map((p) => ({
        key: `${extra.class ?? ''}${param}${p.id}`,
        branch: p.branch,
        params: { [param]: p.id, ...extra },
      }))
}

/** Dependency order: a model comes after every model its records name. */
function plan(since: string | null): Step[] {
  const sinceDate = since ? { date_from: since } : {}
  return [
    { slug: 'branch', units: () => [{ key: 'all', branch: null, params: {} }] },
    { slug: 'user', units: () => [{ key: 'all', branch: null, params: {} }] },
    { slug: 'custom-field', units: () => [{ key: 'all', branch: null, params: {} }] },
    ...[
      'subject',
      'study-status',
      'lead-status',
      'lead-source',
      'lead-reject',
      'customer-reject',
      'lesson-type',
      'pay-item-category',
    ].map((slug) => ({ slug, units: once() })),
    { slug: 'location', units: everyBranch() },
    { slug: 'room', units: everyBranch() },
    { slug: 'pay-account', units: everyBranch() },
    { slug: 'pay-item', units: everyBranch() },
    { slug: 'tariff', units: everyBranch() },
    { slug: 'teacher', units: everyBranch({ removed: 1 }) },
    { slug: 'teacher/working-hour', units: perParent('teachers', 'teachers_branch_ids', 'teacher_id') },
    { slug: 'teacher/teacher-rate', units: perParent('teachers', 'teachers_branch_ids', 'teacher_id') },
    { slug: 'customer', units: everyBranch({ removed: 1, is_study: 2 }) },
    { slug: 'group', units: everyBranch({ removed: 1 }) },
    { slug: 'cgi', units: perParent('groups', 'groups_branch_ids', 'group_id', { date_to: FAR_FUTURE }) },
    { slug: 'customer-tariff', units: perParent('customers', 'customers_branch_ids', 'customer_id') },
    { slug: 'discount', units: everyBranch() },
    { slug: 'regular-lesson', units: everyBranch() },
    {
      slug: 'lesson',
      units: (st) =>
        [1, 2, 3].flatMap((status) =>
          st.branches.map((b) => ({ key: `b${b}s${status}`, branch: b, params: { status, ...sinceDate } })),
        ),
    },
    { slug: 'pay', units: everyBranch(sinceDate) },
    { slug: 'task', units: everyBranch() },
    {
      slug: 'communication',
      units: async (st) => [
        ...(await perParent('customers', 'customers_branch_ids', 'related_id', { class: 'Customer' })(st)),
        ...(await perParent('groups', 'groups_branch_ids', 'related_id', { class: 'Group' })(st)),
        ...(await perParent('tasks', 'tasks_branch_ids', 'related_id', { class: 'Task' })(st)),
      ],
    },
    { slug: 'log', units: everyBranch(sinceDate) },
  ]
}

function pathOf(slug: string, branch: number | null): string {
  return branch === null ? `/v2api/${slug}/index` : `/v2api/${branch}/${slug}/index`
}

export interface ImportResult {
  reports: ModelReport[]
  problems: Problem[]
  differences: Array<{ id: number; key: string; source: unknown; target: unknown }>
  customersCompared: number
  requests: number
  seconds: number
}

export async function importAlfa(
  db: Db,
  client: SourceClient,
  models: Registry,
  opts: ImportOptions,
): Promise<ImportResult> {
  const started = performance.now()
  const resuming = opts.resume && existsSync(opts.checkpoint)
  const cp: Checkpoint = resuming
    ? (JSON.parse(readFileSync(opts.checkpoint, 'utf8')) as Checkpoint)
    : { current: null, reports: {}, problems: [], branches: [] }
  // The journal of finished parts: a line each (a line cut short by a crash names no part: that part
  // is read again, and its pages are upserts).
  const journal = `${opts.checkpoint}.done`
  const done = new Set<string>(cp.done ?? [])
  delete cp.done
  if (resuming && existsSync(journal))
    for (const line of readFileSync(journal, 'utf8').split('\n')) if (line) done.add(line)
  if (!resuming && !opts.dryRun) rmSync(journal, { force: true })
  const save = () => {
    if (opts.dryRun) return
    const tmp = `${opts.checkpoint}.tmp`
    writeFileSync(tmp, JSON.stringify(cp))
    renameSync(tmp, opts.checkpoint)
  }
  /** A part is finished: journaled first, then the checkpoint (whose `current` no longer names it). */
  const finish = (key: string) => {
    done.add(key)
    if (!opts.dryRun) appendFileSync(journal, `${key}\n`)
  }

  // The source's branches: all, or those asked for.
  const branchPage = (await client.post('/v2api/branch/index', { page: 0 })) as {
    items: Array<{ id: number }>
  }
  const all: number[] = []
  for (let page = 0; ; page++) {
    const p =
      page === 0 ? branchPage : ((await client.post('/v2api/branch/index', { page })) as typeof branchPage)
    all.push(...p.items.map((i) => i.id))
    if (p.items.length < PAGE) break
  }
  const branches = opts.branches ? all.filter((b) => opts.branches!.includes(b)) : all
  if (opts.branches) {
    const unknown = opts.branches.filter((b) => !all.includes(b))
    if (unknown.length > 0) throw new Error(`the source has no branch ${unknown.join(', ')}`)
  }
  if (
    opts.resume &&
    cp.source !== undefined &&
    (cp.source !== opts.source || cp.branches.join() !== branches.join())
  )
    throw new Error(
      `the checkpoint ${opts.checkpoint} is of another import (${cp.source}, branches ${cp.branches.join(',')})`,
    )
  cp.source = opts.source
  cp.branches = branches
  const st: State = { branches, db, dryRun: opts.dryRun, read: new Map() }

  const steps = plan(opts.since).filter((s) => !opts.models || opts.models.includes(s.slug.split('/').pop()!))
  for (const step of steps) {
    const model = models.get(step.slug)
    if (!model) throw new Error(`no model ${step.slug}`)
    const resumed = cp.reports[step.slug] !== undefined
    cp.reports[step.slug] ??= { slug: step.slug, source: 0, imported: 0, skipped: 0, reasons: {} }
    const report = cp.reports[step.slug]!
    // Records of this model already written: on a resumed import into a database that was empty,
    // exactly the rows of its table (with --merge, rows that were there before count as seen too).
    const seen = new Set<number>()
    if (resumed && !opts.dryRun)
      for (const r of await db.kysely.selectFrom(model.table).select('id').execute()) seen.add(Number(r.id))
    const units = await step.units(st)
    const meter = progressMeter(step.slug, opts.progress)
    let unitNo = 0
    for (const unit of units) {
      unitNo++
      const key = `${step.slug}:${unit.key}`
      if (done.has(key)) continue
      let page = 0
      let count = 0
      let unitIds = new Set<number>()
      if (cp.current?.key === key) {
        page = cp.current.page
        count = cp.current.count
        unitIds = new Set(cp.current.last)
      }
      for (;;) {
        let answer: { total?: unknown; items?: unknown }
        try {
          answer = (await client.post(pathOf(step.slug, unit.branch), {
            ...unit.params,
            page,
          })) as typeof answer
        } catch (e) {
          // Models Alfa CRM does not have (custom-field, …): left out, and said so in the summary.
          if (!(e instanceof SourceError && e.status === 404 && page === 0)) throw e
          report.reasons['the source does not offer this list'] = 1
          finish(key)
          save()
          break
        }
        const total = Number(answer.total)
        const items = (Array.isArray(answer.items) ? answer.items : []) as Array<Record<string, unknown>>
        for (const item of items) {
          const id = Number(item.id)
          if (unitIds.has(id))
            throw new Error(
              `${step.slug} ${unit.key} page ${page}: id ${id} again (the source's pages moved)`,
            )
          unitIds.add(id)
          count++
        }
        // A log row seen again in another branch is written again for its branch; others once.
        const fresh = model.slug === 'log' ? items : items.filter((i) => !seen.has(Number(i.id)))
        await writePage(db, model, fresh, unit, report, cp.problems, opts, seen, models)
        for (const i of items) seen.add(Number(i.id))
        if (opts.dryRun && unit.branch !== null) {
          const read = st.read.get(model.table) ?? new Map<number, number>()
          for (const i of items) if (!read.has(Number(i.id))) read.set(Number(i.id), unit.branch)
          st.read.set(model.table, read)
        }
        page++
        const finished = items.length < PAGE || count >= total
        if (finished && Number.isFinite(total) && count !== total)
          throw new Error(
            `${step.slug} ${unit.key}: the source said ${total} records but its pages gave ${count}`,
          )
        report.source = Math.max(report.source, seen.size)
        if (units.length === 1) meter(count, Number.isFinite(total) ? total : count, 'records', count)
        if (finished) {
          finish(key)
          cp.current = null
        } else cp.current = { key, page, count, last: items.map((i) => Number(i.id)) }
        save()
        if (finished) break
      }
      if (units.length > 1) meter(unitNo, units.length, 'parts', report.source)
    }
    opts.progress(`${step.slug}: ${report.source} in the source, ${report.imported} imported`)
  }

  // Server-made figures, by the domain's own code, then the per-customer comparison.
  let differences: ImportResult['differences'] = []
  let compared = 0
  if (!opts.dryRun) {
    await setSequences(db)
    await recompute(db, opts.tz, models)
    const cmp = await compareCustomers(db, client, models, branches, opts.tz)
    differences = cmp.differences
    compared = cmp.compared
  }
  return {
    reports: Object.values(cp.reports),
    problems: cp.problems,
    differences,
    customersCompared: compared,
    requests: client.requests,
    seconds: (performance.now() - started) / 1000,
  }
}

/** Wire value → internal value of a field; null with a problem when it cannot be represented. */
function convert(
  kind: FieldKind,
  name: string,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; message: string } {
  const blank =
    value === null ||
    value === undefined ||
    (value === '' && kind.emptyStringIsBlank) ||
    (Array.isArray(value) && value.length === 0 && kind.type.endsWith('[]'))
  if (blank) {
    if (Array.isArray(value)) return { ok: true, value: [] }
    if (kind.nullable) return { ok: true, value: null }
    const d = resolveDefault(kind.default, {
      today: '',
      now: '',
      tz: 'UTC',
      pathBranch: 1,
      userId: 0,
    })
    return { ok: true, value: d }
  }
  // Attribute maps (the log's fields_old/new) are kept as they come.
  if (kind.type === 'object' && typeof value === 'object') return { ok: true, value }
  const r = kind.parse(value, kind.label || name)
  return r.ok ? { ok: true, value: r.value } : { ok: false, message: r.message }
}

const STAMP_COLUMNS: Record<string, string[]> = {
  customers: ['updated_at'],
  teachers: ['updated_at'],
  groups: ['created_at', 'updated_at'],
  pays: ['updated_at'],
}

async function writePage(
  db: Db,
  model: Model,
  items: Array<Record<string, unknown>>,
  unit: Unit,
  report: ModelReport,
  problems: Problem[],
  opts: ImportOptions,
  seen: Set<number>,
  models: Registry,
): Promise<void> {
  if (items.length === 0) return
  if (opts.dryRun) return checkPage(model, items, report, problems, seen)
  const skip = (reason: string) => {
    report.skipped++
    report.reasons[reason] = (report.reasons[reason] ?? 0) + 1
  }
  const now = new Date().toISOString().slice(0, 19).replace('T', ' ')
  let written = 0
  const problemsBefore = problems.length
  const skippedBefore = report.skipped
  const reasonsBefore = { ...report.reasons }
  const work = async (trx: AnyDb, items: Array<Record<string, unknown>>) => {
    const ctx = operatorCtx(trx, db, opts.tz, new Map())
    const defs = model.customFields ? await loadCustomDefs(model, ctx) : []
    for (const item of items) {
      const id = Number(item.id)
      if (!Number.isSafeInteger(id) || id < 1) {
        skip('no valid id')
        continue
      }
      if (model.slug === 'user') {
        const there = await trx.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()
        if (there) {
          skip('a user with this id already exists here (kept)')
          continue
        }
      }
      const values: Record<string, unknown> = {}
      for (const [name, kind] of model.columns) {
        if (!(name in item)) continue
        const r = convert(kind, name, item[name])
        if (r.ok) values[name] = r.value
        else {
          problems.push({ slug: model.slug, id, field: name, value: item[name], message: r.message })
          values[name] = convert(kind, name, null).ok
            ? (convert(kind, name, null) as { value: unknown }).value
            : null
        }
      }
      // Scoped records name their parent in the query; the answer may leave it out.
      for (const [k, v] of Object.entries(unit.params)) {
        const field = model.scoping?.params.find((p) => p.name === k)?.field
        if (field && values[field] === undefined && model.fields[field]) values[field] = v
      }
      // A lesson keeps its times with its date (`yyyy-mm-dd hh:mm:ss`), as its prepare hook makes them.
      if (model.slug === 'lesson')
        for (const k of ['time_from', 'time_to'])
          if (typeof values[k] === 'string' && (values[k] as string).length <= 8)
            values[k] = `${values.date} ${values[k]}`
      const row = toRow(model, values, Object.keys(values))
      // Every changing model's `updated_at` too (migration 012): an imported row changed now.
      const stamps = [
        ...(STAMP_COLUMNS[model.table] ?? []),
        ...(model.stamps?.updated ? [model.stamps.updated] : []),
      ]
      for (const c of stamps) if (!(c in row)) row[c] = now
      if (model.slug === 'log') row.visibility = logVisibility(models, String(values.entity ?? ''))
      if (model.slug === 'user') {
        row.api_key_hash = ''
        if ('email' in values) row.email_lc = String(values.email).toLowerCase()
      }
      if (model.slug === 'customer-tariff') row.period_charge = await periodChargeOf(trx, values)
      const { id: _id, ...set } = row
      await trx
        .insertInto(model.table)
        .values({ ...set, id })
        .onConflict((oc) =>
          Object.keys(set).length > 0 ? oc.column('id').doUpdateSet(set) : oc.column('id').doNothing(),
        )
        .execute()
      for (const name of model.links) {
        if (!(name in values)) continue
        const table = linkTable(model, name)
        await trx.deleteFrom(table).where('record_id', '=', id).execute()
        const list = [...new Set(values[name] as number[])]
        if (list.length > 0)
          await trx
            .insertInto(table)
            .values(list.map((value) => ({ record_id: id, value })))
            .execute()
      }
      if (model.slug === 'log' && unit.branch !== null)
        await trx
          .insertInto('log_branches')
          .values({ log_id: id, branch_id: unit.branch })
          .onConflict((oc) => oc.columns(['branch_id', 'log_id']).doNothing())
          .execute()
      if (model.customFields) await writeCustomValues(trx, model, id, item, defs, problems, ctx)
      if (model.slug === 'lesson') await writeDetails(trx, id, values, item, problems)
      if (!seen.has(id)) written++
    }
  }
  try {
    await db.kysely.transaction().execute((trx) => work(trx, items))
  } catch (e) {
    // PostgreSQL's keys refuse a record naming one the source did not list (deleted there, or in a
    // branch left out): the page again, a record a transaction, and the refused ones skipped.
    if ((e as { code?: unknown }).code !== '23503') throw e
    written = 0
    problems.length = problemsBefore
    report.skipped = skippedBefore
    report.reasons = reasonsBefore
    for (const item of items) {
      try {
        await db.kysely.transaction().execute((trx) => work(trx, [item]))
      } catch (e2) {
        if ((e2 as { code?: unknown }).code !== '23503') throw e2
        skip(
          `names a record not in the target (${(e2 as { constraint?: string }).constraint ?? 'a reference'})`,
        )
      }
    }
  }
  report.imported += written
}

/** A dry run's page: every value converted as it would be written, nothing written. */
function checkPage(
  model: Model,
  items: Array<Record<string, unknown>>,
  report: ModelReport,
  problems: Problem[],
  seen: Set<number>,
): void {
  for (const item of items) {
    const id = Number(item.id)
    if (!Number.isSafeInteger(id) || id < 1) {
      report.skipped++
      report.reasons['no valid id'] = (report.reasons['no valid id'] ?? 0) + 1
      continue
    }
    for (const [name, kind] of model.columns) {
      if (!(name in item)) continue
      const r = convert(kind, name, item[name])
      if (!r.ok) problems.push({ slug: model.slug, id, field: name, value: item[name], message: r.message })
    }
    if (model.slug === 'lesson' && Array.isArray(item.details))
      for (const d of item.details as Array<Record<string, unknown>>)
        for (const [name, kind] of Object.entries(DETAIL_ITEM)) {
          if (!(name in d)) continue
          const r = convert(kind, name, d[name])
          if (!r.ok)
            problems.push({
              slug: 'lesson',
              id,
              field: `details.${name}`,
              value: d[name],
              message: r.message,
            })
        }
    if (!seen.has(id)) report.imported++
  }
}

/** As the server decides it (log/write): admins only, everyone, or the branches the row was listed in. */
function logVisibility(models: Registry, entity: string): 'admin' | 'all' | 'branches' {
  const m = [...models.values()].find((x) => x.logName === entity)
  if (!m) return 'branches'
  if (m.slug === 'user' || m.slug === 'custom-field') return 'admin'
  return m.scope === 'global' || m.scope === 'tenant' ? 'all' : 'branches'
}

async function periodChargeOf(trx: AnyDb, values: Record<string, unknown>): Promise<number> {
  const t = await trx
    .selectFrom('tariffs')
    .select(['type', 'price'])
    .where('id', '=', values.tariff_id as number)
    .executeTakeFirst()
  if (!t) return 0
  return Number(t.type) === 2 || Number(t.type) === 3 ? Number(t.price) : 0
}

async function writeCustomValues(
  trx: AnyDb,
  model: Model,
  id: number,
  item: Record<string, unknown>,
  defs: Awaited<ReturnType<typeof loadCustomDefs>>,
  problems: Problem[],
  ctx: ActionCtx,
): Promise<void> {
  for (const key of Object.keys(item)) {
    if (!key.startsWith('custom_')) continue
    let def = defs.find((d) => d.key === key)
    if (!def) {
      // A source that does not list its custom fields: declared here from the key and the value.
      const code = key.slice('custom_'.length)
      const type = customType(item[key])
      if (!/^[a-z][a-z0-9_]{0,49}$/.test(code) || type === null) {
        problems.push({
          slug: model.slug,
          id,
          field: key,
          value: item[key],
          message: 'cannot be declared here',
        })
        continue
      }
      await trx
        .insertInto('custom_fields')
        .values({ model: model.slug, code, label: code, type, options: '[]', weight: 0 })
        .execute()
      defs.splice(0, defs.length, ...(await loadCustomDefs(model, ctx)))
      def = defs.find((d) => d.key === key)
      if (!def) continue
    }
    await trx.deleteFrom('custom_values').where('field_id', '=', def.id).where('record_id', '=', id).execute()
    const r = convert(def.kind, key, item[key])
    if (!r.ok) {
      problems.push({ slug: model.slug, id, field: key, value: item[key], message: r.message })
      continue
    }
    const v = r.value
    if (v === null || (Array.isArray(v) && v.length === 0)) continue
    await trx
      .insertInto('custom_values')
      .values({ field_id: def.id, record_id: id, value: JSON.stringify(v) })
      .execute()
  }
}

/** The custom field type of an undeclared `custom_*` value (a list cannot be: its options are unknown). */
function customType(v: unknown): string | null {
  if (Array.isArray(v)) return null
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'number'
  if (typeof v === 'string' && /^\d{2}\.\d{2}\.\d{4}$/.test(v)) return 'date'
  return 'text'
}

/** A lesson's attendance: one detail row per entry, with the charge of a conducted lesson as it was. */
async function writeDetails(
  trx: AnyDb,
  lessonId: number,
  values: Record<string, unknown>,
  item: Record<string, unknown>,
  problems: Problem[],
): Promise<void> {
  await trx.deleteFrom('lesson_details').where('lesson_id', '=', lessonId).execute()
  const list = Array.isArray(item.details) ? (item.details as Array<Record<string, unknown>>) : []
  for (const d of list) {
    const row: Record<string, unknown> = {}
    for (const [name, kind] of Object.entries(DETAIL_ITEM)) {
      if (name === 'lesson_id' || name === 'branch_id') continue
      if (!(name in d)) continue
      const r = convert(kind, name, d[name])
      if (!r.ok) {
        problems.push({
          slug: 'lesson',
          id: lessonId,
          field: `details.${name}`,
          value: d[name],
          message: r.message,
        })
        continue
      }
      row[name] = kind.toDb(r.value)
    }
    const status = values.status as number
    // Planned lessons show the price of the day (recomputed here); cancelled ones charge nothing.
    if (status !== 3) {
      row.commission = 0
      row.ctt_id = null
    }
    await trx
      .insertInto('lesson_details')
      .values({
        ...row,
        commission_override: null,
        lesson_id: lessonId,
        branch_id: values.branch_id,
        lesson_status: status,
        lesson_time: values.time_from,
      })
      .execute()
  }
}

/** PostgreSQL: every sequence after the highest id (SQLite's AUTOINCREMENT follows max(id) itself). */
async function setSequences(db: Db): Promise<void> {
  if (db.dialect !== 'postgres') return
  const tables = await sql<{ table_name: string }>`SELECT table_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND column_name = 'id'
      AND column_default LIKE 'nextval%'`.execute(db.kysely)
  for (const { table_name: t } of tables.rows) {
    await sql`SELECT setval(pg_get_serial_sequence(${t}, 'id'), GREATEST(m, 1), m > 0)
      FROM (SELECT COALESCE(MAX(id), 0) AS m FROM ${sql.table(t)}) s`.execute(db.kysely)
  }
}

async function recompute(db: Db, tz: string, models: Registry): Promise<void> {
  const ids = (await db.kysely.selectFrom('customers').select('id').orderBy('id').execute()).map((r) =>
    Number(r.id),
  )
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500)
    await db.kysely.transaction().execute((trx) => refreshCustomers(batch, operatorCtx(trx, db, tz, models)))
  }
}

/** The money figures of a customer compared between the source and this database. */
export const MONEY_KEYS = [
  'balance',
  'balance_base',
  'balance_bonus',
  'paid_count',
  'paid_lesson_count',
  'paid_till',
]

async function compareCustomers(
  db: Db,
  client: SourceClient,
  models: Registry,
  branches: number[],
  tz: string,
) {
  const customer = models.get('customer')!
  const source = new Map<number, Record<string, unknown>>()
  for (const b of branches) {
    for (let page = 0; ; page++) {
      const p = (await client.post(pathOf('customer', b), { removed: 1, is_study: 2, page })) as {
        items: Array<Record<string, unknown>>
      }
      for (const i of p.items) source.set(Number(i.id), i)
      if (p.items.length < PAGE) break
    }
  }
  const differences: ImportResult['differences'] = []
  const ids = [...source.keys()]
  for (let at = 0; at < ids.length; at += 200) {
    const batch = ids.slice(at, at + 200)
    await db.kysely.transaction().execute(async (trx) => {
      const ctx = operatorCtx(trx, db, tz, models)
      const rows = await trx.selectFrom('customers').selectAll().where('id', 'in', batch).execute()
      const recs: Rec[] = rows.map((r) => rowToRec(customer, r))
      await customer.hooks?.derive?.(recs, ctx)
      const byId = new Map(recs.map((r) => [r.id, present(customer, r, [], ctx)]))
      for (const id of batch) {
        const s = source.get(id)!
        const t = byId.get(id)
        for (const key of MONEY_KEYS) {
          if (!(key in s)) continue
          const tv = t?.[key]
          if (JSON.stringify(s[key]) !== JSON.stringify(tv))
            differences.push({ id, key, source: s[key], target: tv })
        }
      }
    })
  }
  return { differences, compared: ids.length }
}

/** Tables whose rows make a school: the target must have none of them unless `--merge`. */
export async function schoolTables(db: Db): Promise<string[]> {
  const held: string[] = []
  for (const t of [
    'customers',
    'subjects',
    'groups',
    'teachers',
    'lessons',
    'pays',
    'tariffs',
    'locations',
  ]) {
    const row = await db.kysely.selectFrom(t).select('id').limit(1).executeTakeFirst()
    if (row) held.push(t)
  }
  return held
}

export { FAR_PAST }
