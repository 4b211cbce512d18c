import type { Db } from '../db/connect.js'
import { refreshCustomers } from '../domain/balances.js'
import type { ActionCtx, AnyDb, Registry } from '../engine/model.js'
import { nowParts } from '../wire/dates.js'

/**
 * The customer caches (`balance_base`, `paid_count`, `last_attend_date`) checked against, or rebuilt
 * by, the very function the API keeps them with (`refreshCustomers`, §6.1, §6.5).
 */
const CACHE = ['balance_base', 'paid_count', 'last_attend_date'] as const

export function operatorCtx(trx: AnyDb, db: Db, tz: string, models: Registry): ActionCtx {
  const { date, dateTime } = nowParts(tz)
  return {
    trx,
    dialect: db.dialect,
    user: {
      id: 0,
      name: 'seed',
      email: '',
      role: 'admin',
      isV2api: true,
      branchIds: [],
      isActive: true,
      teacherId: null,
    },
    allowedBranches: [],
    strict: false,
    maxPageSize: 50,
    models,
    today: date,
    now: dateTime,
    tz,
    pathBranch: 1,
    userId: 0,
  }
}

async function cachesOf(trx: AnyDb, ids: number[]) {
  const rows = await trx
    .selectFrom('customers')
    .select(['id', ...CACHE])
    .where('id', 'in', ids)
    .orderBy('id')
    .execute()
  return rows.map((r) => ({
    id: Number(r.id),
    balance_base: Number(r.balance_base),
    paid_count: Number(r.paid_count),
    last_attend_date: (r.last_attend_date ?? null) as string | null,
  }))
}

class Rollback extends Error {}

export interface Mismatch {
  id: number
  stored: Record<string, unknown>
  recomputed: Record<string, unknown>
}

/** Recomputes the caches of the customers in a transaction that is rolled back; returns the differences. */
export async function checkCaches(db: Db, ids: number[], tz: string, models: Registry): Promise<Mismatch[]> {
  const found: Mismatch[] = []
  if (ids.length === 0) return found
  try {
    await db.kysely.transaction().execute(async (trx) => {
      const before = await cachesOf(trx, ids)
      await refreshCustomers(ids, operatorCtx(trx, db, tz, models))
      const after = new Map((await cachesOf(trx, ids)).map((r) => [r.id, r]))
      for (const b of before) {
        const a = after.get(b.id)
        if (a && CACHE.some((k) => a[k] !== b[k])) found.push({ id: b.id, stored: b, recomputed: a })
      }
      throw new Rollback()
    })
  } catch (e) {
    if (!(e instanceof Rollback)) throw e
  }
  return found
}

/** Rebuilds the caches of every customer with `refreshCustomers`, 500 customers per transaction. */
export async function refreshAll(db: Db, tz: string, models: Registry, onBatch: (done: number) => void) {
  const ids = (await db.kysely.selectFrom('customers').select('id').orderBy('id').execute()).map((r) =>
    Number(r.id),
  )
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500)
    await db.kysely.transaction().execute((trx) => refreshCustomers(batch, operatorCtx(trx, db, tz, models)))
    onBatch(Math.min(ids.length, i + 500))
  }
  return ids.length
}
