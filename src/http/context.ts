import { type Reading, remembered } from '../db/memo.js'
import type { AnyDb, User } from '../engine/model.js'
import { fail } from '../errors.js'

/** Branches a user may use (§2.5): every branch for admins, its `branch_ids` (that exist) for others. */
export function allowedBranches(db: AnyDb, user: User, reading?: Reading | null): Promise<number[]> {
  return remembered(reading, `branches:${user.id}`, async () => {
    let q = db.selectFrom('branches').select(['id', 'is_active']).orderBy('id')
    if (user.role !== 'admin') {
      if (user.branchIds.length === 0) return []
      q = q.where('id', 'in', user.branchIds)
    }
    return (await q.execute()).map((r) => Number(r.id))
  })
}

/**
 * The path branch of a call (§2.5, step 6 of §1.11): a given branch must exist and be allowed; a
 * branch-less path uses the active allowed branch with the lowest id. Otherwise 403.
 */
export async function pathBranch(
  db: AnyDb,
  allowed: number[],
  given: number | null,
  reading?: Reading | null,
): Promise<number> {
  if (given !== null) {
    if (!allowed.includes(given)) throw fail.access()
    return given
  }
  if (allowed.length === 0) throw fail.access()
  const first = await remembered(reading, `first-active:${allowed.join(',')}`, async () => {
    const row = await db
      .selectFrom('branches')
      .select('id')
      .where('id', 'in', allowed)
      .where('is_active', '=', 1)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst()
    return row ? Number(row.id) : 0
  })
  if (!first) throw fail.access()
  return first
}
