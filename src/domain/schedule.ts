import { insertRecord, removeRecord } from '../engine/actions.js'
import type { ActionCtx, Model, Rec } from '../engine/model.js'
import { rowToRec } from '../engine/repository.js'
import { addDays, diffMinutes, isoWeekday } from '../wire/dates.js'
import { type LessonShape, shareGroups, syncDetails } from './attendance.js'

/**
 * Schedule generation (§6.7): a regular lesson is a weekly slot that makes planned lessons, one per
 * matching date of its period, each created (and logged) like any lesson and synced with its group.
 */
export interface Slot extends Rec {
  branch_id: number
  related_class: 'Group' | 'Customer'
  related_id: number
  days: number[]
  time_from_v: string
  time_to_v: string
  b_date: string
  e_date: string
}

/** Dates of the period whose ISO weekday is one of the slot's days, in order. */
export function slotDates(slot: Pick<Slot, 'b_date' | 'e_date' | 'days'>, from = slot.b_date): string[] {
  const out: string[] = []
  // Dates are `yyyy-mm-dd` strings, so the later one is the greater string (Math.max is for numbers).
  const first = [from, slot.b_date].sort()[1]!
  for (let d = first; d <= slot.e_date; d = addDays(d, 1)) {
    if (slot.days.includes(isoWeekday(d))) out.push(d)
  }
  return out
}

function lessonValues(slot: Slot, date: string): Record<string, unknown> {
  const isGroup = slot.related_class === 'Group'
  const customers = isGroup ? slot.customer_ids : [slot.related_id, ...(slot.customer_ids as number[])]
  return {
    branch_id: slot.branch_id,
    date,
    time_from: `${date} ${slot.time_from_v}`,
    time_to: `${date} ${slot.time_to_v}`,
    duration: diffMinutes(slot.time_from_v, slot.time_to_v),
    lesson_type_id: slot.lesson_type_id,
    status: 1,
    subject_id: slot.subject_id,
    room_id: slot.room_id,
    teacher_ids: slot.teacher_ids,
    customer_ids: [...new Set(customers as number[])].sort((a, b) => a - b),
    group_ids: isGroup ? [slot.related_id] : [],
    streaming: slot.streaming,
    topic: '',
    homework: '',
    note: '',
    regular_id: slot.id,
  }
}

/** §6.10: the group's lock before its lessons' (see shareGroups), also before old lessons are dropped. */
function shareSlotGroup(slot: Slot, ctx: ActionCtx): Promise<void> {
  return shareGroups(slot.related_class === 'Group' ? [slot.related_id] : [], ctx)
}

/** Creates the slot's lessons for the given dates, in date order. */
export async function generate(
  lessonModel: Model,
  slot: Slot,
  dates: string[],
  ctx: ActionCtx,
): Promise<void> {
  await shareSlotGroup(slot, ctx)
  for (const date of dates) {
    const values = lessonValues(slot, date)
    const id = await insertRecord(lessonModel, values, {}, [], ctx)
    await syncDetails({ ...(values as unknown as LessonShape), id }, ctx)
  }
}

/** Deletes the slot's planned lessons dated today or later (each logged as a Lesson delete). */
export async function dropFuture(lessonModel: Model, slotId: number, ctx: ActionCtx): Promise<void> {
  const rows = await ctx.trx
    .selectFrom('lessons')
    .selectAll()
    .where('regular_id', '=', slotId)
    .where('status', '=', 1)
    .where('date', '>=', ctx.today)
    .orderBy('date')
    .execute()
  for (const row of rows) await removeRecord(lessonModel, rowToRec(lessonModel, row), [], ctx)
}

/** §6.7 update: future planned lessons are replaced; kept lessons block their dates. */
export async function regenerate(lessonModel: Model, slot: Slot, ctx: ActionCtx): Promise<void> {
  await shareSlotGroup(slot, ctx)
  await dropFuture(lessonModel, slot.id, ctx)
  const kept = await ctx.trx.selectFrom('lessons').select('date').where('regular_id', '=', slot.id).execute()
  const taken = new Set(kept.map((k) => k.date as string))
  const dates = slotDates(slot, ctx.today).filter((d) => !taken.has(d))
  await generate(lessonModel, slot, dates, ctx)
}

/** §6.7 delete: future planned lessons go; the others stay, no longer linked to the slot. */
export async function detach(lessonModel: Model, slotId: number, ctx: ActionCtx): Promise<void> {
  await dropFuture(lessonModel, slotId, ctx)
  await ctx.trx
    .updateTable('lessons')
    .set({ regular_id: null, updated_at: ctx.now })
    .where('regular_id', '=', slotId)
    .execute()
}
