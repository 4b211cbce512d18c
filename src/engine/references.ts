import { sql } from 'kysely'
import { shapes } from '../db/shapes.js'
import { fail } from '../errors.js'
import { messages } from '../fields/kind.js'
import { inList } from './filters.js'
import { keepFound } from './locks.js'
import type { ActionCtx, Draft, Model, Rec } from './model.js'
import { branchesOf, visibleIn } from './repository.js'

/**
 * §2.6: the branch fields of a record. Single-branch models default to the path branch; multi-branch
 * models to `[path branch]` on create and may not be emptied by an update. Every branch named must exist
 * (else 422) and be allowed to the user (else 403).
 */
export async function applyBranchRules(model: Model, draft: Draft, ctx: ActionCtx): Promise<void> {
  const field = model.scope === 'branch' ? 'branch_id' : model.scope === 'branches' ? 'branch_ids' : null
  if (!field || !model.fields[field]) return
  const label = model.fields[field].label
  if (field === 'branch_id' && draft.values.branch_id == null) draft.set('branch_id', ctx.pathBranch)
  if (field === 'branch_ids') {
    const list = draft.values.branch_ids as number[] | undefined
    if (!list || list.length === 0) {
      if (draft.action === 'create') draft.set('branch_ids', [ctx.pathBranch])
      else if (draft.changed.has('branch_ids')) return draft.addError(field, messages.required(label))
    }
  }
  if (!draft.changed.has(field) || draft.errors[field]) return
  const wanted =
    field === 'branch_id' ? [draft.values.branch_id as number] : (draft.values.branch_ids as number[])
  const q = shapes.compiled(`branches:${ctx.dialect}:${wanted.length}`, wanted, () =>
    ctx.trx.selectFrom('branches').select('id').where('id', 'in', wanted).compile(),
  )
  const existing = (await ctx.trx.executeQuery(q)).rows
  if (existing.length !== new Set(wanted).size) return draft.addError(field, messages.invalid(label))
  if (wanted.some((b) => !ctx.allowedBranches.includes(b))) throw fail.access()
  // Taking a record out of a branch is as much a change of that branch as adding one (§2.6).
  const before = draft.old ? (field === 'branch_id' ? [draft.old.branch_id] : draft.old.branch_ids) : []
  const dropped = (before as number[]).filter((b) => !wanted.includes(b))
  if (dropped.some((b) => !ctx.allowedBranches.includes(b))) throw fail.access()
}

/**
 * Every reference must name a record visible in one of the record's branches, or a tenant-wide or
 * global record (§2.6). One query per reference field; what it finds stays so until the write commits.
 */
export async function checkReferences(model: Model, draft: Draft, ctx: ActionCtx): Promise<void> {
  const own = model.scope === 'branch' ? 'branch_id' : model.scope === 'branches' ? 'branch_ids' : null
  let branches: number[] | null = null
  for (const [name, kind] of Object.entries(model.fields)) {
    if (!kind.ref || name === own || !draft.changed.has(name) || draft.errors[name]) continue
    const value = draft.values[name]
    const ids = [
      ...new Set(Array.isArray(value) ? (value as number[]) : value == null ? [] : [value as number]),
    ]
    if (ids.length === 0) continue
    const target = ctx.models.get(kind.ref)
    if (!target) continue
    branches ??= await branchesOf(model, draft.values as Rec, ctx)
    const scoped = target.scope !== 'global' && target.scope !== 'tenant' && branches.length > 0
    const within = scoped ? branches : []
    // Built once per target, number of ids and number of branches (db/shapes).
    const key = `ref:${ctx.dialect}:${target.slug}:${ids.length}:${within.length}`
    const query = shapes.withArgs(key, [...ids, ...within], (args) => {
      const [some, bs] = [args.slice(0, ids.length), args.slice(ids.length)]
      const q = ctx.trx
        .selectFrom(target.table)
        .select(`${target.table}.id`)
        .where((eb) => inList(eb, ctx.dialect, `${target.table}.id`, some))
        .where((eb) => (scoped ? eb.or(bs.map((b) => visibleIn(target, eb, b))) : sql<boolean>`1 = 1`))
      return keepFound(ctx, target, q).compile()
    })
    const found = (await ctx.trx.executeQuery(query)).rows
    if (found.length !== ids.length) draft.addError(name, messages.invalid(kind.label))
  }
}

/** §6.9: the slugs whose records still reference `rec`, in the order the model declares. */
export async function referencingSlugs(model: Model, rec: Rec, ctx: ActionCtx): Promise<string[]> {
  const out: string[] = []
  for (const [key, by] of model.refusedBy) {
    if (typeof by === 'function') {
      if (!out.includes(key) && (await by(rec, ctx))) out.push(key)
      continue
    }
    const other = ctx.models.get(key)
    const kind = other?.fields[by]
    // Messages name the slug (`teacher-rate`), not the registry key (`teacher/teacher-rate`).
    if (!other || !kind || out.includes(other.slug)) continue
    const [table, column, select] = kind.linked
      ? [`${other.table}_${by}`, 'value', 'record_id']
      : [other.table, kind.column ?? by, 'id']
    const hit = await ctx.trx
      .selectFrom(table)
      .select(select)
      .where(column, '=', rec.id)
      .limit(1)
      .executeTakeFirst()
    if (hit) out.push(other.slug)
  }
  return out
}
