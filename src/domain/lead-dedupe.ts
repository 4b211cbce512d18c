import { serialiseOn } from '../engine/locks.js'
import type { ActionCtx, Model } from '../engine/model.js'
import { visibleIn } from '../engine/repository.js'

/**
 * [ext] Find-or-create a lead (issue 16): `customer/create?dedupe=phone` (or `email`) answers the
 * existing customer that has one of the sent phones (e-mails) instead of making a duplicate when a
 * form is sent twice. Matched: active customers (leads and students) visible in the path branch, the
 * lowest id first; archived ones are not matched (a lead that comes back after being archived is a new
 * lead, and archived records are out of every default list). Concurrent creates of the same phone
 * (e-mail) are serialised, so two retries at once make one customer.
 */

/**
 * A phone as compared: its digits, a leading trunk `8` of an 11-digit number read as the country code
 * `7` (`8 900 123-45-67` and `+7 (900) 123 45 67` are one number). The stored `phone_digits` shadow
 * keeps the digits alone, which the candidates are found by.
 */
export function phoneKey(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  return digits.length === 11 && digits.startsWith('8') ? `7${digits.slice(1)}` : digits
}

export const emailKey = (email: string) => email.trim().toLowerCase()

/** Candidates per value: the lowest ids whose shadow column contains it; the exact compare follows. */
const CANDIDATES = 50

async function findBy(
  model: Model,
  ctx: ActionCtx,
  sent: unknown,
  column: string,
  keyOf: (v: string) => string,
  needleOf: (key: string) => string,
): Promise<number | null> {
  const list = Array.isArray(sent) ? (sent as string[]) : []
  const keys = [...new Set(list.map(keyOf).filter((k) => k !== ''))].sort()
  if (keys.length === 0) return null
  for (const key of keys) await serialiseOn(ctx, 'dedupe', model.slug, column, key)
  let best: number | null = null
  for (const key of keys) {
    const rows = await ctx.trx
      .selectFrom(model.table)
      .select([`${model.table}.id as id`, `${model.table}.${column} as value`])
      .where((eb) =>
        eb.and([
          visibleIn(model, eb, ctx.pathBranch),
          eb(`${model.table}.removed`, '=', 0),
          // The index filter of the field: its shadow column, through the trigram index where there is one.
          model.filters[column]!(needleOf(key), eb, ctx, model),
          ...(model.restrict ? [model.restrict(eb, ctx)] : []),
        ]),
      )
      .orderBy(`${model.table}.id`)
      .limit(CANDIDATES)
      .execute()
    for (const r of rows) {
      const values = JSON.parse(String(r.value)) as string[]
      if (values.some((v) => keyOf(v) === key) && (best === null || Number(r.id) < best)) best = Number(r.id)
    }
  }
  return best
}

/** The customer model's `dedupe` rules. */
export const customerDedupe = (model: () => Model): Model['dedupe'] => ({
  phone: {
    description:
      'An active customer visible in the branch with one of the sent phones, compared by digits (an 11-digit number starting with 8 as if it started with 7).',
    // The last ten digits find the number whichever country prefix (7 or 8) it was stored with.
    find: (values, ctx) => findBy(model(), ctx, values.phone, 'phone', phoneKey, (k) => k.slice(-10)),
  },
  email: {
    description:
      'An active customer visible in the branch with one of the sent e-mails, compared case-insensitively.',
    find: (values, ctx) => findBy(model(), ctx, values.email, 'email', emailKey, (k) => k),
  },
})
