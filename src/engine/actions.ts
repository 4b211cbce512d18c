import { type FieldErrors, fail } from '../errors.js'
import { messages } from '../fields/kind.js'
import { diff, EVENT, hiddenAttributes, storedAttributes, writeLog } from '../log/write.js'
import { hasLoneSurrogate } from '../wire/body.js'
import { type CustomDef, loadCustomDefs, writeCustom } from './custom-fields.js'
import { changedKeys, newDraft, parseFields } from './draft.js'
import { readId } from './ids.js'
import type { ActionCtx, Draft, Model, Rec, RequestInput } from './model.js'
import { hydrate, present } from './present.js'
import { applyBranchRules, checkReferences, referencingSlugs } from './references.js'
import {
  branchesOf,
  deleteRow,
  findById,
  findVisible,
  insertRow,
  toRow,
  updateRow,
  writeLinks,
} from './repository.js'
import { assertScopingMatches, readScoping } from './scoping.js'

const saved = (model: Record<string, unknown>) => ({ success: true, errors: [], model })

async function reply(model: Model, id: number, defs: CustomDef[], ctx: ActionCtx) {
  const rec = (await findById(model, id, ctx))!
  await hydrate(model, [rec], defs, ctx)
  return present(model, rec, defs, ctx)
}

function rejectUnknownKeys(model: Model, body: Record<string, unknown>, defs: CustomDef[], ctx: ActionCtx) {
  if (!ctx.strict) return
  const known = new Set([
    'id',
    ...model.fieldNames,
    ...Object.values(model.fields).flatMap((k) => k.aliases),
    ...Object.keys(model.filters),
    ...(model.scoping?.params.map((p) => p.name) ?? []),
    ...defs.map((d) => d.key),
    ...(model.inputKeys ?? []),
  ])
  const errors: Record<string, string[]> = {}
  for (const key of Object.keys(body)) if (!known.has(key)) errors[key] = ['Неизвестное поле.']
  if (Object.keys(errors).length > 0) throw fail.invalid(errors)
}

/** §3.5: error keys follow the model's field-table order, custom fields last, other keys after. */
function inFieldOrder(errors: FieldErrors, model: Model, defs: CustomDef[]): FieldErrors {
  const order = [...model.fieldNames, ...defs.map((d) => d.key)]
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length)
  return Object.fromEntries(Object.entries(errors).sort(([a], [b]) => rank(a) - rank(b)))
}

/** Text that cannot be stored as UTF-8 (a lone surrogate) is refused, naming the field it was sent in. */
function rejectLoneSurrogates(model: Model, draft: Draft, defs: CustomDef[]) {
  for (const [key, value] of Object.entries(draft.body)) {
    // Keys the model does not read are ignored, never stored (and may be `__proto__`).
    const field = Object.hasOwn(model.fields, key)
      ? model.fields[key]
      : Object.values(model.fields).find((k) => k.aliases.includes(key))
    const def = defs.find((d) => d.key === key)
    if (!field && !def && !model.inputKeys?.includes(key)) continue
    if (hasLoneSurrogate(value)) draft.addError(key, messages.encoding(field?.label ?? def?.label ?? key))
  }
}

/** Parse, apply the hooks' rules, check branches and references; 422 with every failure (§3.5). */
async function validate(model: Model, draft: ReturnType<typeof newDraft>, defs: CustomDef[], ctx: ActionCtx) {
  rejectUnknownKeys(model, draft.body, defs, ctx)
  rejectLoneSurrogates(model, draft, defs)
  parseFields(model, draft, defs, ctx)
  await applyBranchRules(model, draft, ctx)
  if (model.hooks?.prepare) await model.hooks.prepare(draft, ctx)
  await checkReferences(model, draft, ctx)
  if (Object.keys(draft.errors).length > 0) throw fail.invalid(inFieldOrder(draft.errors, model, defs))
}

export async function createAction(model: Model, ctx: ActionCtx, input: RequestInput) {
  const queryId = readId(input, false)
  if (queryId !== null && input.query.id !== undefined && model.actions.includes('update')) {
    // §1.4: create?id= of a visible record is an update (a widely used client sends updates that way).
    if (await findVisible(model, queryId, ctx, ctx.pathBranch)) return updateAction(model, ctx, input)
  }
  const defs = await loadCustomDefs(model, ctx)
  const draft = newDraft('create', input.body, null)
  for (const [field, value] of Object.entries(readScoping(model, 'create', input))) draft.set(field, value)
  const created = model.stamps?.created
  // A created stamp is a read-only field (customer b_date) or a hidden column (group created_at).
  if (created && model.fields[created]) draft.set(created, ctx.now)
  else if (created) draft.row[created] = ctx.now
  await validate(model, draft, defs, ctx)
  const dedupe = readDedupe(model, input)
  if (dedupe) {
    const found = await dedupe.find(draft.values, ctx)
    if (found !== null) return { ...saved(await reply(model, found, defs, ctx)), deduplicated: true }
  }
  const id = await insertRecord(model, draft.values, draft.row, defs, ctx, draft.secrets)
  if (model.hooks?.afterSave) await model.hooks.afterSave({ ...draft.values, id } as Rec, draft, ctx)
  const made = saved(await reply(model, id, defs, ctx))
  return dedupe ? { ...made, deduplicated: false } : made
}

/** [ext] The query `dedupe` of a create: one of the model's find-or-create rules, else a 400. */
export const DEDUPE_KEY = 'dedupe'
function readDedupe(model: Model, input: RequestInput) {
  const raw = input.query[DEDUPE_KEY]
  if (raw === undefined || raw === '') return null
  const rule =
    typeof raw === 'string' && model.dedupe && Object.hasOwn(model.dedupe, raw) ? model.dedupe[raw] : null
  if (!rule) throw fail.badParam(DEDUPE_KEY)
  return rule
}

export async function updateAction(model: Model, ctx: ActionCtx, input: RequestInput) {
  const id = readId(input, true)!
  const scoping = readScoping(model, 'update', input)
  const defs = await loadCustomDefs(model, ctx)
  const old = await findVisible(model, id, ctx, ctx.pathBranch)
  if (!old) throw fail.notFound()
  assertScopingMatches(old, scoping)
  await hydrate(model, [old], defs, ctx)
  const draft = newDraft('update', input.body, old)
  await validate(model, draft, defs, ctx)
  await archiveByUpdate(model, draft, ctx)
  const names = changedKeys(draft, model, defs)
  if (names.length > 0 || Object.keys(draft.row).length > 0) {
    const row = { ...toRow(model, draft.values, names), ...draft.row }
    if (model.stamps?.updated) row[model.stamps.updated] = ctx.now
    await updateRow(model, id, row, ctx)
    await writeLinks(model, id, draft.values, names, ctx)
    await writeCustom(id, Object.fromEntries(names.map((n) => [n, draft.values[n]])), defs, ctx)
  }
  const rec = { ...draft.values, id } as Rec
  const change = diff(storedAttributes(model, old, defs), storedAttributes(model, rec, defs))
  Object.assign(change.old, hiddenAttributes(draft.secrets))
  Object.assign(change.new, hiddenAttributes(draft.secrets))
  if (Object.keys(change.new).length > 0) {
    const branches = await branchesOf(model, rec, ctx)
    await writeLog(ctx, { model, event: EVENT.update, entityId: id, ...change, branches })
  }
  // Consequences after the record's own log row, so their rows follow it (E13, E15).
  if (model.hooks?.afterSave) await model.hooks.afterSave(rec, draft, ctx)
  return saved(await reply(model, id, defs, ctx))
}

export async function deleteAction(model: Model, ctx: ActionCtx, input: RequestInput) {
  const id = readId(input, true)!
  const scoping = readScoping(model, 'delete', input)
  const rec = await findVisible(model, id, ctx, ctx.pathBranch)
  if (!rec) throw fail.notFound()
  assertScopingMatches(rec, scoping)
  if (model.archive) {
    await setArchived(model, rec, true, EVENT.delete, ctx)
    return { success: true, errors: [] }
  }
  const refs = await referencingSlugs(model, rec, ctx)
  const refusals = refs.map(messages.referenced)
  const rule = model.hooks?.beforeDelete ? await model.hooks.beforeDelete(rec, ctx) : null
  if (rule) refusals.unshift(rule)
  if (refusals.length > 0) throw fail.invalid({ id: refusals })
  await removeRecord(model, rec, await loadCustomDefs(model, ctx), ctx)
  return { success: true, errors: [] }
}

/**
 * Inserts a validated record with its links and custom values and logs it (event 1). Used by create
 * and by rules that make records themselves (schedule generation, §6.7).
 */
export async function insertRecord(
  model: Model,
  values: Record<string, unknown>,
  hidden: Record<string, unknown>,
  defs: CustomDef[],
  ctx: ActionCtx,
  secrets: Iterable<string> = [],
): Promise<number> {
  const names = [...model.fieldNames, ...defs.map((d) => d.key)].filter((n) => n in values)
  const row = { ...toRow(model, values, names), ...hidden }
  if (model.stamps?.updated) row[model.stamps.updated] = ctx.now
  const id = await insertRow(model, row, ctx)
  const rec = { ...values, id } as Rec
  await writeLinks(model, id, rec, names, ctx, true)
  await writeCustom(id, rec, defs, ctx)
  const branches = await branchesOf(model, rec, ctx)
  await writeLog(ctx, {
    model,
    event: EVENT.create,
    entityId: id,
    old: null,
    new: { ...storedAttributes(model, rec, defs), ...hiddenAttributes(secrets) },
    branches,
  })
  return id
}

/** Hard-deletes a record with its links and custom values, runs its consequences and logs it (event 3). */
export async function removeRecord(model: Model, rec: Rec, defs: CustomDef[], ctx: ActionCtx): Promise<void> {
  await hydrate(model, [rec], defs, ctx)
  const branches = await branchesOf(model, rec, ctx)
  await deleteRow(model, rec.id, ctx)
  if (defs.length > 0) {
    const fieldIds = defs.map((d) => d.id)
    await ctx.trx
      .deleteFrom('custom_values')
      .where('record_id', '=', rec.id)
      .where('field_id', 'in', fieldIds)
      .execute()
  }
  if (model.hooks?.afterDelete) await model.hooks.afterDelete(rec, ctx)
  const old = storedAttributes(model, rec, defs)
  await writeLog(ctx, { model, event: EVENT.delete, entityId: rec.id, old, new: null, branches })
}

export async function restoreAction(model: Model, ctx: ActionCtx, input: RequestInput) {
  const id = readId(input, true)!
  const rec = await findVisible(model, id, ctx, ctx.pathBranch)
  if (!rec) throw fail.notFound()
  await setArchived(model, rec, false, EVENT.restore, ctx)
  const defs = await loadCustomDefs(model, ctx)
  return saved(await reply(model, id, defs, ctx))
}

/**
 * §6.9: `removed` and `e_date` change together; the previous end date is kept in a hidden column so
 * that restore can put it back (customers and teachers reopen at their fixed open date).
 */
async function archiveColumns(model: Model, rec: Rec, archived: boolean, ctx: ActionCtx) {
  const row = await ctx.trx
    .selectFrom(model.table)
    .select('archived_e_date')
    .where('id', '=', rec.id)
    .executeTakeFirstOrThrow()
  const current = rec.e_date as string | null
  const open = model.archive?.openEDate ?? null
  // A group whose end date has already passed keeps it when archived.
  const keep = archived && open === null && current !== null && current < ctx.today
  const eDate = archived ? (keep ? current : ctx.today) : (open ?? (row.archived_e_date as string | null))
  return { removed: archived ? 1 : 0, e_date: eDate, archived_e_date: archived ? current : null }
}

/** Archive by delete or restore by restore: no change when already in that state; log event 3 or 4. */
export async function setArchived(model: Model, rec: Rec, archived: boolean, event: number, ctx: ActionCtx) {
  if ((rec.removed === 1) === archived) return
  const cols = await archiveColumns(model, rec, archived, ctx)
  const stamp = model.stamps?.updated ? { [model.stamps.updated]: ctx.now } : {}
  await updateRow(model, rec.id, { ...cols, ...stamp }, ctx)
  const fmt = model.fields.e_date!.format
  const before = { removed: rec.removed, e_date: fmt(rec.e_date) }
  const after = { removed: cols.removed, e_date: fmt(cols.e_date) }
  let old: Record<string, unknown> = before
  if (event === EVENT.delete) {
    const defs = await loadCustomDefs(model, ctx)
    await hydrate(model, [rec], defs, ctx)
    old = { ...storedAttributes(model, rec, defs), e_date: before.e_date }
  }
  const branches = await branchesOf(model, rec, ctx)
  await writeLog(ctx, { model, event, entityId: rec.id, old, new: after, branches })
}

/** An update that writes `removed` archives or restores like delete/restore, logged as the update. */
async function archiveByUpdate(model: Model, draft: Draft, ctx: ActionCtx) {
  const old = draft.old!
  if (!model.archive || !draft.changed.has('removed') || draft.values.removed === old.removed) return
  const cols = await archiveColumns(model, old, draft.values.removed === 1, ctx)
  draft.set('e_date', cols.e_date)
  draft.row.archived_e_date = cols.archived_e_date
}
