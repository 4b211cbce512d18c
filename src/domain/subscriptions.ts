import type { ActionCtx, Draft, Scope } from '../engine/model.js'
import { throughParent } from '../engine/repository.js'
import { messages } from '../fields/kind.js'
import { addDays, addMonths, addYears } from '../wire/dates.js'

/**
 * Subscriptions (customer-tariffs, §7.18): where they are visible, the defaults taken from the tariff,
 * the §6.1 period charge, and the delete guard of §6.9. Their accounts are in subscription-accounts.
 */

/** A customer's branches are kept in the link table of `customer.branch_ids` (§2.5). */
const CUSTOMER_BRANCHES = 'customers_branch_ids'

/** §2.5: a subscription belongs to the branches of its customer. */
export const throughCustomer: Scope = throughParent('customer_tariffs', 'customer_id', CUSTOMER_BRANCHES)

export interface TariffTerms {
  id: number
  type: number
  price: number
  lessons_count: number
  calculation_type: number
  period_count: number
  period_type: number
  subject_ids: number[]
  lesson_type_ids: number[]
}

export async function loadTariffs(ids: number[], ctx: ActionCtx): Promise<Map<number, TariffTerms>> {
  if (ids.length === 0) return new Map()
  const rows = await ctx.trx
    .selectFrom('tariffs')
    .select(['id', 'type', 'price', 'lessons_count', 'calculation_type', 'period_count', 'period_type'])
    .select(['subject_ids', 'lesson_type_ids'])
    .where('id', 'in', [...new Set(ids)])
    .execute()
  return new Map(
    rows.map((r) => [
      Number(r.id),
      {
        id: Number(r.id),
        type: Number(r.type),
        price: Number(r.price),
        lessons_count: Number(r.lessons_count),
        calculation_type: Number(r.calculation_type),
        period_count: Number(r.period_count),
        period_type: Number(r.period_type),
        subject_ids: JSON.parse(r.subject_ids as string) as number[],
        lesson_type_ids: JSON.parse(r.lesson_type_ids as string) as number[],
      },
    ]),
  )
}

/** §6.1: a period tariff (monthly, weekly) charges its price once, fixed when the subscription is made. */
export function periodCharge(tariff: TariffTerms): number {
  return tariff.type === 2 || tariff.type === 3 ? tariff.price : 0
}

const UNITS: Record<number, (date: string, n: number) => string> = {
  1: addDays,
  2: (d, n) => addDays(d, 7 * n),
  3: addMonths,
  4: addYears,
}

/**
 * §7.18: `b_date` + the tariff's period − 1 day; the period is `period_count` × `period_type` when both
 * are set, else 1 month (monthly), 1 week (weekly) or 1 year (package).
 */
export function defaultEDate(bDate: string, tariff: TariffTerms): string {
  const unit = UNITS[tariff.period_type]
  if (unit && tariff.period_count > 0) return addDays(unit(bDate, tariff.period_count), -1)
  if (tariff.type === 2) return addDays(addMonths(bDate, 1), -1)
  if (tariff.type === 3) return addDays(bDate, 6)
  return addDays(addYears(bDate, 1), -1)
}

const absent = (v: unknown) => v === undefined || v === null || v === ''

/** Create: what the client left out comes from the tariff (§7.18); `null` means "the default" (§5.9). */
function applyTariffDefaults(draft: Draft, tariff: TariffTerms): void {
  const body = draft.body
  if (absent(body.subject_ids)) draft.set('subject_ids', tariff.subject_ids)
  if (absent(body.lesson_type_ids)) draft.set('lesson_type_ids', tariff.lesson_type_ids)
  if (absent(body.is_separate_balance))
    draft.set('is_separate_balance', tariff.calculation_type === 2 ? 1 : 0)
  if (draft.values.e_date == null && typeof draft.values.b_date === 'string')
    draft.set('e_date', defaultEDate(draft.values.b_date, tariff))
}

/** §7.18: the customer named by the scoping parameter must be visible in the path branch, else 422. */
export async function requireVisibleCustomer(draft: Draft, ctx: ActionCtx): Promise<void> {
  const found = await ctx.trx
    .selectFrom(CUSTOMER_BRANCHES)
    .select('record_id')
    .where('record_id', '=', draft.values.customer_id as number)
    .where('value', '=', ctx.pathBranch)
    .executeTakeFirst()
  if (!found) draft.addError('customer_id', messages.invalid('Клиент'))
}

/**
 * A tariff of the path branch. On create it gives the defaults; on create and on a change of tariff it
 * fixes the period charge (§6.1) — a later price change of the tariff leaves that charge alone.
 */
export async function applyTariff(draft: Draft, ctx: ActionCtx): Promise<void> {
  const id = draft.values.tariff_id as number | null
  const isNew = draft.action === 'create' || id !== draft.old?.tariff_id
  if (id == null || draft.errors.tariff_id || !isNew) return
  const inBranch = await ctx.trx
    .selectFrom('tariffs_branch_ids')
    .select('record_id')
    .where('record_id', '=', id)
    .where('value', '=', ctx.pathBranch)
    .executeTakeFirst()
  const tariff = inBranch ? (await loadTariffs([id], ctx)).get(id) : undefined
  if (!tariff) return draft.addError('tariff_id', messages.invalid('Абонемент'))
  if (draft.action === 'create') applyTariffDefaults(draft, tariff)
  draft.row.period_charge = periodCharge(tariff)
}

/** §6.9: refused while pays name it (refusedBy) or details of conducted lessons were charged through it. */
/** §6.9: a subscription is refused while details of conducted lessons were charged through it. */
export async function chargedThrough(rec: { id: number }, ctx: ActionCtx): Promise<boolean> {
  const charged = await ctx.trx
    .selectFrom('lesson_details as d')
    .innerJoin('lessons as l', 'l.id', 'd.lesson_id')
    .select('d.id')
    .where('d.ctt_id', '=', rec.id)
    .where('l.status', '=', 3)
    .limit(1)
    .executeTakeFirst()
  return charged !== undefined
}
