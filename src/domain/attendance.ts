import { shapes } from '../db/shapes.js'
import type { ActionCtx, Model, Rec } from '../engine/model.js'
import { type RowChange, updateEach } from '../engine/repository.js'
import { bool, int, money, number, readOnly, text } from '../fields/index.js'
import type { FieldKind } from '../fields/kind.js'
import { EVENT, type LogEntry, writeLogs } from '../log/write.js'
import { loadPriceBook, priceOf } from './pricing.js'

/**
 * Lesson participants and their detail rows (§6.3), attendance written through `details` (§6.4) and
 * the charges of conducted lessons. Charges are state stored on the details, never increments.
 */
export const DETAIL_FIELDS: Record<string, FieldKind> = {
  is_attend: bool({ label: 'Присутствие' }),
  reason_id: int({ nullable: true, label: 'Причина' }),
  // A commission is what the pupil is charged: a negative one would credit the balance.
  commission: money({
    nullable: true,
    minKopecks: 0,
    label: 'Стоимость',
    description:
      'The charge. Read: the forecast of a planned lesson, 0.00 for a cancelled one, the stored charge ' +
      'of a conducted one. Written: an override of the price; null removes the override.',
  }),
  grade: number({ nullable: true, label: 'Оценка' }),
  homework_grade_id: int({ nullable: true, label: 'Оценка за ДЗ' }),
  bonus: number({ label: 'Бонусы' }),
  note: text(255, { label: 'Примечание' }),
}

/** A detail as the wire shows it (§7.5): the ids the server sets, the participant, the marks. */
export const DETAIL_ITEM: Record<string, FieldKind> = {
  id: int({ readOnly: true }),
  customer_id: int({
    required: true,
    label: 'Клиент',
    description: 'The participant the entry is about; required in each entry.',
  }),
  branch_id: readOnly(int({ description: 'The lesson’s branch.' })),
  lesson_id: readOnly(int({ description: 'The lesson.' })),
  ctt_id: readOnly(int({ nullable: true, description: 'The subscription the price comes from, if any.' })),
  ...DETAIL_FIELDS,
}

/** Column of each writable detail attribute; the commission a client writes is the override. */
const COLUMN: Record<string, string> = { commission: 'commission_override' }

export interface DetailRow {
  id: number
  customer_id: number
  branch_id: number
  lesson_id: number
  ctt_id: number | null
  is_attend: number
  reason_id: number | null
  commission: number
  commission_override: number | null
  grade: number | null
  homework_grade_id: number | null
  bonus: number
  note: string
}

export type DetailInput = { customer_id: number } & Record<string, unknown>

export interface LessonShape {
  id: number
  branch_id: number
  date: string
  time_from: string
  status: number
  subject_id: number
  lesson_type_id: number
  customer_ids: number[]
  group_ids: number[]
}

export function rowToDetail(r: Record<string, unknown>): DetailRow {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v))
  return {
    id: Number(r.id),
    customer_id: Number(r.customer_id),
    branch_id: Number(r.branch_id),
    lesson_id: Number(r.lesson_id),
    ctt_id: n(r.ctt_id),
    is_attend: Number(r.is_attend),
    reason_id: n(r.reason_id),
    commission: Number(r.commission),
    commission_override: n(r.commission_override),
    grade: r.grade === null ? null : Number(r.grade) / 100,
    homework_grade_id: n(r.homework_grade_id),
    bonus: Number(r.bonus) / 100,
    note: String(r.note ?? ''),
  }
}

export async function detailsOf(lessonIds: number[], ctx: ActionCtx): Promise<DetailRow[]> {
  if (lessonIds.length === 0) return []
  const query = shapes.withArgs(`details:${ctx.dialect}:${lessonIds.length}`, lessonIds, (ids) =>
    ctx.trx
      .selectFrom('lesson_details')
      .selectAll()
      .where('lesson_id', 'in', ids)
      .orderBy('lesson_id')
      .orderBy('customer_id')
      .compile(),
  )
  return (await ctx.trx.executeQuery<Record<string, unknown>>(query)).rows.map(rowToDetail)
}

/** §6.3: the lesson's own customers plus the members of its groups on its date, each once, sorted. */
export async function participantsOf(
  lesson: Pick<LessonShape, 'customer_ids' | 'group_ids' | 'date'>,
  ctx: ActionCtx,
) {
  const set = new Set(lesson.customer_ids)
  if (lesson.group_ids.length > 0) {
    const { group_ids: groups, date } = lesson
    const query = shapes.compiled(`members:${ctx.dialect}:${groups.length}`, [...groups, date, date], () =>
      ctx.trx
        .selectFrom('cgis')
        .select('customer_id')
        .where('group_id', 'in', groups)
        .where('b_date', '<=', date)
        .where((eb) => eb.or([eb('e_date', 'is', null), eb('e_date', '>=', date)]))
        .compile(),
    )
    const members = (await ctx.trx.executeQuery<{ customer_id: unknown }>(query)).rows
    for (const m of members) set.add(Number(m.customer_id))
  }
  return [...set].sort((a, b) => a - b)
}

/**
 * §6.10 on PostgreSQL (SQLite runs one writer at a time): the detail rows of a lesson are written under
 * its row lock. A membership change locks its group, then the group's lessons (`resyncGroup`). A lesson
 * that reads a group's memberships for the first time — created, generated, or given the group — is not
 * among those lessons yet, so it takes a share lock of the group first (`shareGroups`): it waits for a
 * membership change in progress, or that change waits for it, and no member is missed. A lesson already
 * in the group needs no group lock (its row lock orders it with the change), so no two writers ever wait
 * for each other in a circle.
 */
export async function shareGroups(groupIds: number[], ctx: ActionCtx): Promise<void> {
  if (ctx.dialect !== 'postgres' || groupIds.length === 0) return
  await ctx.trx
    .selectFrom('groups')
    .select('id')
    .where('id', 'in', groupIds)
    .orderBy('id')
    .forShare()
    .execute()
}

/**
 * §6.3: a membership of the group was created, changed or deleted: its planned and cancelled lessons are
 * re-synced, each under its row lock, in id order (a lesson conducted meanwhile drops out).
 */
export async function resyncGroup(groupId: number, ctx: ActionCtx): Promise<void> {
  let q = ctx.trx
    .selectFrom('lessons')
    .selectAll()
    .where('status', 'in', [1, 2])
    .where(
      'id',
      'in',
      ctx.trx.selectFrom('lessons_group_ids').select('record_id').where('value', '=', groupId),
    )
    .orderBy('id')
  if (ctx.dialect === 'postgres') {
    await ctx.trx.selectFrom('groups').select('id').where('id', '=', groupId).forUpdate().execute()
    q = q.forUpdate()
  }
  for (const l of await q.execute()) {
    await syncDetails(
      {
        id: Number(l.id),
        branch_id: Number(l.branch_id),
        date: l.date as string,
        time_from: l.time_from as string,
        status: Number(l.status),
        subject_id: Number(l.subject_id),
        lesson_type_id: Number(l.lesson_type_id),
        customer_ids: JSON.parse(l.customer_ids as string),
        group_ids: JSON.parse(l.group_ids as string),
      },
      ctx,
    )
  }
}

/** A new participant's detail row (§6.3): not attended, no marks, no charge, no override. */
/** What a detail row keeps of its lesson, written with the lesson (see `copyLessonToDetails`). */
type LessonCopy = Pick<LessonShape, 'id' | 'branch_id' | 'status' | 'time_from'>

export function newDetailRow(lesson: LessonCopy, customerId: number) {
  return {
    lesson_id: lesson.id,
    customer_id: customerId,
    branch_id: lesson.branch_id,
    lesson_status: lesson.status,
    lesson_time: lesson.time_from,
    ctt_id: null,
    is_attend: 0,
    reason_id: null,
    commission: 0,
    commission_override: null,
    grade: null,
    homework_grade_id: null,
    bonus: 0,
    note: '',
  }
}

/**
 * Brings the lesson's branch, status and start kept on its detail rows up to date (migration 005: the
 * upcoming lessons of a customer are read from them) after a lesson write; `old` is the lesson before
 * it (null for a new one, whose details were made with the copies). Only the columns that changed are
 * set, so conducting a lesson does not rewrite the index on the start.
 */
export async function copyLessonToDetails(lesson: LessonCopy, old: LessonCopy | null, ctx: ActionCtx) {
  if (!old) return
  const set: Record<string, unknown> = {}
  if (old.branch_id !== lesson.branch_id) set.branch_id = lesson.branch_id
  if (old.status !== lesson.status) set.lesson_status = lesson.status
  if (old.time_from !== lesson.time_from) set.lesson_time = lesson.time_from
  if (Object.keys(set).length === 0) return
  await ctx.trx.updateTable('lesson_details').set(set).where('lesson_id', '=', lesson.id).execute()
}

/** Keeps one detail row per participant: adds rows with default marks, removes rows of non-participants. */
export async function syncDetails(lesson: LessonShape, ctx: ActionCtx): Promise<void> {
  const wanted = await participantsOf(lesson, ctx)
  const existing = await detailsOf([lesson.id], ctx)
  const have = new Set(existing.map((d) => d.customer_id))
  const gone = existing.filter((d) => !wanted.includes(d.customer_id)).map((d) => d.id)
  if (gone.length > 0) await ctx.trx.deleteFrom('lesson_details').where('id', 'in', gone).execute()
  const added = wanted.filter((c) => !have.has(c))
  if (added.length > 0) {
    await ctx.trx
      .insertInto('lesson_details')
      .values(added.map((customerId) => newDetailRow(lesson, customerId)))
      .execute()
  }
}

/** The wire value of a writable detail attribute, as logged (§5.11). */
function wireValue(key: string, d: DetailRow): unknown {
  const kind = DETAIL_FIELDS[key]!
  return kind.format(key === 'commission' ? d.commission_override : d[key as keyof DetailRow])
}

/**
 * Applies attendance entries (§6.4): absent keys keep their stored values; one `LessonDetails` log row
 * per detail whose writable attributes changed.
 */
export async function writeDetails(
  lessonModel: Model,
  lessonId: number,
  entries: DetailInput[],
  ctx: ActionCtx,
) {
  const byCustomer = new Map((await detailsOf([lessonId], ctx)).map((d) => [d.customer_id, d]))
  const changes: RowChange[] = []
  const logs: LogEntry[] = []
  for (const entry of entries) {
    const d = byCustomer.get(entry.customer_id)
    if (!d) continue
    const set: Record<string, unknown> = {}
    const old: Record<string, unknown> = {}
    const now: Record<string, unknown> = {}
    for (const [key, kind] of Object.entries(DETAIL_FIELDS)) {
      if (!(key in entry)) continue
      const before = wireValue(key, d)
      const after = kind.format(entry[key])
      if (JSON.stringify(before) === JSON.stringify(after)) continue
      set[COLUMN[key] ?? key] = kind.toDb(entry[key])
      old[key] = before
      now[key] = after
    }
    if (Object.keys(set).length === 0) continue
    changes.push({ id: d.id, set })
    logs.push({
      model: lessonModel,
      entity: 'LessonDetails',
      event: EVENT.update,
      entityId: d.id,
      old,
      new: now,
      branches: [d.branch_id],
    })
  }
  await updateEach(ctx, 'lesson_details', changes, DETAIL_SQL_TYPE)
  await writeLogs(ctx, logs)
}

/** SQL types of the detail columns a write changes (engine/repository `updateEach`). */
const DETAIL_SQL_TYPE: Record<string, string> = {
  ctt_id: 'integer',
  is_attend: 'integer',
  reason_id: 'integer',
  commission: 'bigint',
  commission_override: 'bigint',
  grade: 'integer',
  homework_grade_id: 'integer',
  bonus: 'integer',
  note: 'text',
}

/**
 * §6.4 charging: every detail of a conducted lesson gets override, else the §6.2 price if attended,
 * else 0.00, and the subscription the price used. Stored as state, so repeating changes nothing.
 */
export async function chargeLesson(lesson: LessonShape, ctx: ActionCtx): Promise<void> {
  const details = await detailsOf([lesson.id], ctx)
  const book = await loadPriceBook(
    details.map((d) => d.customer_id),
    ctx,
  )
  const changes: RowChange[] = []
  for (const d of details) {
    const price = priceOf(book, d.customer_id, lesson)
    const commission = d.commission_override ?? (d.is_attend === 1 ? price.price : 0)
    if (commission === d.commission && price.cttId === d.ctt_id) continue
    changes.push({ id: d.id, set: { commission, ctt_id: price.cttId } })
  }
  await updateEach(ctx, 'lesson_details', changes, DETAIL_SQL_TYPE)
}

/** §6.4 reversal: a lesson moved back to planned or cancelled keeps its marks but charges nothing. */
export async function dropCharges(lessonId: number, ctx: ActionCtx): Promise<void> {
  await ctx.trx
    .updateTable('lesson_details')
    .set({ commission: 0, ctt_id: null })
    .where('lesson_id', '=', lessonId)
    .execute()
}

/** The `details` of a page of lessons in wire form, with forecasts for planned lessons (§6.3). */
export async function presentDetails(lessons: Rec[], ctx: ActionCtx): Promise<Map<number, unknown[]>> {
  const details = await detailsOf(
    lessons.map((l) => l.id),
    ctx,
  )
  const planned = new Set(lessons.filter((l) => l.status === 1).map((l) => l.id))
  const book = await loadPriceBook(
    details.filter((d) => planned.has(d.lesson_id)).map((d) => d.customer_id),
    ctx,
  )
  const byId = new Map(lessons.map((l) => [l.id, l as unknown as LessonShape]))
  const out = new Map<number, unknown[]>(lessons.map((l) => [l.id, []]))
  for (const d of details) {
    const lesson = byId.get(d.lesson_id)!
    let commission = d.commission
    let ctt = d.ctt_id
    if (lesson.status === 1) {
      const price = priceOf(book, d.customer_id, lesson)
      commission = d.commission_override ?? price.price
      ctt = price.cttId
    } else if (lesson.status === 2) {
      commission = 0
      ctt = null
    }
    out.get(d.lesson_id)!.push({
      id: d.id,
      customer_id: d.customer_id,
      branch_id: d.branch_id,
      lesson_id: d.lesson_id,
      ctt_id: ctt,
      is_attend: d.is_attend,
      reason_id: d.reason_id,
      commission: DETAIL_FIELDS.commission!.format(commission),
      grade: d.grade,
      homework_grade_id: d.homework_grade_id,
      bonus: d.bonus,
      note: d.note,
    })
  }
  return out
}
