import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { sql } from 'kysely'
import { TALLY_BY_DIMS } from '../../src/db/migrations/016-customer-tally-by.js'
import { compactTallies } from '../../src/engine/tally.js'
import { models } from '../../src/models/index.js'
import { attempt, make } from '../helpers/make.js'
import { type Server, suiteServer } from '../helpers/server.js'

/**
 * Kept counts (issue 15, migrations 014 and 016): customer lists whose filter is only `is_study` /
 * `removed`, or those and one more counted field (here `gender`), are counted from deltas kept by
 * triggers, and their page starts are kept under the selection's change stamp across writes. A
 * property test drives random writes — through the API (create, update of `is_study` / `removed` /
 * `branch_ids` / `gender`, archive, restore), straight into the tables as another process
 * would (an update, a hard delete), unrelated writes (pays), folds of the deltas — and after each batch
 * compares every kept cell with `count(*)` (and each customer's `sole_branch_id`, 018, with its links),
 * and every list's total and pages with the rows counted and paged in SQL.
 */
const PAGE = 3
const BRANCHES = [1, 2]
const TRI = [0, 1, 2]

type Op =
  | { kind: 'create'; branches: number[]; isStudy: number; removed: number; gender: number }
  | { kind: 'update'; pick: number; isStudy?: number; removed?: number; branches?: number[]; gender?: number }
  | { kind: 'archive' | 'restore' | 'pay' | 'sql-flip' | 'sql-delete' | 'fold'; pick: number }

const branchSet = fc.subarray(BRANCHES, { minLength: 1 })
const bit = fc.integer({ min: 0, max: 1 })
const gender = fc.integer({ min: 0, max: 2 })
const pick = fc.nat(10_000)
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      branches: branchSet,
      isStudy: bit,
      removed: bit,
      gender,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record(
      { kind: fc.constant('update' as const), pick, isStudy: bit, removed: bit, branches: branchSet, gender },
      { requiredKeys: ['kind', 'pick'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'archive' as const,
        'restore' as const,
        'pay' as const,
        'sql-flip' as const,
        'sql-delete' as const,
        'fold' as const,
      ),
      pick,
    }),
  },
)

/** Rows of the selection counted and paged in SQL, the reference for the API's lists. */
async function expected(s: Server, branch: number, isStudy: number, removed: number, genders?: number[]) {
  let q = s.db.kysely
    .selectFrom('customers')
    .select('customers.id')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('customers_branch_ids')
          .select('record_id')
          .whereRef('customers_branch_ids.record_id', '=', 'customers.id')
          .where('customers_branch_ids.value', '=', branch),
      ),
    )
  if (isStudy !== 2) q = q.where('customers.is_study', '=', isStudy)
  if (removed === 0) q = q.where('customers.removed', '=', 0)
  if (removed === 2) q = q.where('customers.removed', '=', 1)
  if (genders) q = q.where('customers.gender', 'in', genders)
  return (await q.orderBy('customers.id').execute()).map((r) => Number(r.id))
}

/** Every kept cell equals count(*) of its customers. */
async function assertCells(s: Server) {
  const kept = await sql<{ branch_id: number; is_study: number; removed: number; n: number }>`
    SELECT branch_id, is_study, removed, sum(n) AS n FROM customers_tally
    GROUP BY branch_id, is_study, removed HAVING sum(n) <> 0 ORDER BY 1, 2, 3`.execute(s.db.kysely)
  const counted = await sql<{ branch_id: number; is_study: number; removed: number; n: number }>`
    SELECT l.value AS branch_id, c.is_study, c.removed, count(*) AS n
      FROM customers_branch_ids l JOIN customers c ON c.id = l.record_id
     GROUP BY l.value, c.is_study, c.removed ORDER BY 1, 2, 3`.execute(s.db.kysely)
  const norm = (rows: Array<Record<string, unknown>>) =>
    rows.map((r) => [Number(r.branch_id), Number(r.is_study), Number(r.removed), Number(r.n)])
  assert.deepEqual(norm(kept.rows), norm(counted.rows), 'kept cells = count(*)')
  // Migration 016: the same per field, for every field it counts (null values are cells too).
  for (const dim of TALLY_BY_DIMS) {
    const keptBy = await sql<Record<string, unknown>>`
      SELECT branch_id, is_study, removed, value, sum(n) AS n FROM customers_tally_by WHERE dim = ${dim}
      GROUP BY branch_id, is_study, removed, value HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4`.execute(
      s.db.kysely,
    )
    const countedBy = await sql<Record<string, unknown>>`
      SELECT l.value AS branch_id, c.is_study, c.removed, ${sql.ref(`c.${dim}`)} AS value, count(*) AS n
        FROM customers_branch_ids l JOIN customers c ON c.id = l.record_id
       GROUP BY l.value, c.is_study, c.removed, ${sql.ref(`c.${dim}`)} ORDER BY 1, 2, 3, 4`.execute(
      s.db.kysely,
    )
    const normBy = (rows: Array<Record<string, unknown>>) =>
      rows.map((r) =>
        [r.branch_id, r.is_study, r.removed, r.value, r.n].map((v) => (v === null ? null : Number(v))),
      )
    assert.deepEqual(normBy(keptBy.rows), normBy(countedBy.rows), `kept cells by ${dim} = count(*)`)
  }
  // Migration 018: a customer's row names its branch exactly when it has one link.
  const wrong = await sql<Record<string, unknown>>`
    SELECT c.id, c.sole_branch_id, (SELECT count(*) FROM customers_branch_ids l WHERE l.record_id = c.id) AS links
      FROM customers c
     WHERE c.sole_branch_id IS DISTINCT FROM
           (SELECT CASE WHEN count(*) = 1 THEN min(l.value) END FROM customers_branch_ids l WHERE l.record_id = c.id)
  `.execute(s.db.kysely)
  assert.deepEqual(wrong.rows, [], 'sole_branch_id = the only link, or null')
}

/** Customer `id`'s `sole_branch_id` (migration 018), as a number or null. */
async function soleBranchOf(s: Server, id: number): Promise<number | null> {
  const row = await s.db.kysely
    .selectFrom('customers')
    .select('sole_branch_id')
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
  return row.sole_branch_id === null ? null : Number(row.sole_branch_id)
}

/** One page of a list (`body.page`) against the SQL reference `ids`: its total and its rows. */
async function assertPage(s: Server, branch: number, body: { page: number }, ids: number[], list: string) {
  const r = await s.api(`${branch}/customer/index`, body)
  assert.equal(r.status, 200, r.text)
  const what = `branch ${branch} ${list} page ${body.page}`
  assert.equal(r.body.total, ids.length, `${what}: total`)
  assert.deepEqual(
    r.body.items.map((c: { id: number }) => c.id),
    ids.slice(body.page * PAGE, body.page * PAGE + PAGE),
    `${what}: rows`,
  )
}

/** Every list of both branches: the total, and a few pages (first, a middle one, last, past the end). */
async function assertLists(s: Server, seed: number) {
  for (const branch of BRANCHES) {
    for (const isStudy of TRI) {
      for (const removed of TRI) {
        const ids = await expected(s, branch, isStudy, removed)
        const pages = Math.ceil(ids.length / PAGE)
        const asked = [...new Set([0, Math.floor(pages / 2), pages - 1, pages, (seed % (pages + 1)) | 0])]
        for (const page of asked.filter((p) => p >= 0)) {
          const body: { page: number } & Record<string, unknown> = { page }
          // The defaults (is_study 1, removed 0) sent or left out, as clients do.
          if (isStudy !== 1 || seed % 2 === 0) body.is_study = isStudy
          if (removed !== 0 || seed % 3 === 0) body.removed = removed
          await assertPage(s, branch, body, ids, `is_study ${isStudy} removed ${removed}`)
        }
      }
      // Filtered by one more field (migration 016): one value or a list.
      for (const genders of [[0], [1], [2], [0, 2]]) {
        const isStudy = TRI[(seed + genders.length + genders[0]!) % 3]!
        const ids = await expected(s, branch, isStudy, 0, genders)
        const pages = Math.ceil(ids.length / PAGE)
        for (const page of [...new Set([0, pages - 1, pages])].filter((p) => p >= 0)) {
          const body = { page, is_study: isStudy, gender: genders.length === 1 ? genders[0] : genders }
          await assertPage(s, branch, body, ids, `is_study ${isStudy} gender ${genders}`)
          // Two counted fields: no kept cell answers, the rows (and 018's column) are counted.
          const both = { ...body, legal_type: 1 }
          await assertPage(s, branch, both, ids, `is_study ${isStudy} gender ${genders} legal_type 1`)
        }
      }
    }
  }
}

describe('kept customer counts and page starts', () => {
  const accounts = new Map<number, number>()
  const s = suiteServer({ MAX_PAGE_SIZE: String(PAGE) }, async (srv) => {
    await make.secondBranch(srv)
    for (const branch of BRANCHES) accounts.set(branch, (await make.payAccount(srv, {}, { branch })).id)
  })
  const made: number[] = []

  async function apply(o: Op) {
    const target = made.length > 0 && 'pick' in o ? made[o.pick % made.length]! : null
    const home = async (id: number) => {
      const row = await s.db.kysely
        .selectFrom('customers_branch_ids')
        .select('value')
        .where('record_id', '=', id)
        .orderBy('value')
        .executeTakeFirst()
      return row ? Number(row.value) : null
    }
    switch (o.kind) {
      case 'create': {
        const c = await make.customer(s, {
          branch_ids: o.branches,
          is_study: o.isStudy,
          removed: o.removed,
          gender: o.gender,
        })
        made.push(c.id)
        return
      }
      case 'fold':
        await compactTallies(s.db, models.values(), new Map())
        return
    }
    if (target === null) return
    const branch = await home(target)
    if (branch === null) return
    if (o.kind === 'update') {
      const body: Record<string, unknown> = { note: 'x' }
      if (o.isStudy !== undefined) body.is_study = o.isStudy
      if (o.removed !== undefined) body.removed = o.removed
      if (o.branches !== undefined) body.branch_ids = o.branches
      if (o.gender !== undefined) body.gender = o.gender
      const r = await s.api(`${branch}/customer/update?id=${target}`, body)
      assert.equal(r.status, 200, r.text)
    } else if (o.kind === 'archive' || o.kind === 'restore') {
      const r = await s.api(
        `${branch}/customer/${o.kind === 'archive' ? 'delete' : 'restore'}?id=${target}`,
        {},
      )
      assert.ok(r.status === 200 || r.status === 422, r.text)
    } else if (o.kind === 'pay') {
      const fields = { customer_id: target, income: '100', pay_account_id: accounts.get(branch) }
      const r = await attempt.pay(s, fields, { branch })
      assert.equal(r.status, 200, r.text)
    } else if (o.kind === 'sql-flip') {
      // Another process writes the table itself (an import tool, a DBA): the triggers count it too.
      await sql`UPDATE customers SET is_study = 1 - is_study WHERE id = ${target}`.execute(s.db.kysely)
      await sql`UPDATE customers SET gender = (gender + 1) % 3 WHERE id = ${target}`.execute(s.db.kysely)
      // A customer of one branch moved to the other by its link (a link's update).
      await sql`UPDATE customers_branch_ids SET value = 3 - value
                 WHERE record_id = ${target}
                   AND (SELECT count(*) FROM customers_branch_ids l WHERE l.record_id = ${target}) = 1`.execute(
        s.db.kysely,
      )
    } else {
      await s.db.kysely.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('customers_branch_ids')
          .where('record_id', '=', target)
          .where('value', '=', 2)
          .execute()
        if (o.pick % 2 === 0) await trx.deleteFrom('customers').where('id', '=', target).execute()
      })
      if (o.pick % 2 === 0) made.splice(made.indexOf(target), 1)
    }
  }

  test('after random writes every kept count is count(*) and every page is the SQL page', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 4 }),
        fc.nat(1000),
        async (batches, seed) => {
          for (const batch of batches) {
            // Lists read before the writes keep their page starts; the writes then move some of them.
            await assertLists(s, seed)
            for (const o of batch) await apply(o)
            await assertCells(s)
          }
          await assertLists(s, seed + 1)
        },
      ),
      { numRuns: 6, seed: 0x7a11 },
    )
  })

  test("a customer's row names its branch exactly while it has one (018), whoever changes the links", async () => {
    const c = await make.customer(s, { branch_ids: [1, 2] })
    assert.equal(await soleBranchOf(s, c.id), null, 'two branches')
    await s.db.kysely
      .deleteFrom('customers_branch_ids')
      .where('record_id', '=', c.id)
      .where('value', '=', 2)
      .execute()
    assert.equal(await soleBranchOf(s, c.id), 1, 'a link deleted in SQL')
    const r = await s.api(`1/customer/update?id=${c.id}`, { branch_ids: [2] })
    assert.equal(r.status, 200, r.text)
    assert.equal(await soleBranchOf(s, c.id), 2, 'moved by the API')
    await s.db.kysely
      .updateTable('customers_branch_ids')
      .set({ value: 1 })
      .where('record_id', '=', c.id)
      .execute()
    assert.equal(await soleBranchOf(s, c.id), 1, 'a link updated in SQL')
    await s.db.kysely.insertInto('customers_branch_ids').values({ record_id: c.id, value: 2 }).execute()
    assert.equal(await soleBranchOf(s, c.id), null, 'a link inserted in SQL')
    await s.db.kysely.deleteFrom('customers_branch_ids').where('record_id', '=', c.id).execute()
    assert.equal(await soleBranchOf(s, c.id), null, 'no link')
    // A bulk load writes links before their customer: the customer gets its branch when it arrives.
    const id = c.id + 100_000
    await s.db.kysely.insertInto('customers_branch_ids').values({ record_id: id, value: 2 }).execute()
    await s.db.kysely
      .insertInto('customers')
      .values({ id, name: 'Загружен', is_study: 1, legal_type: 1 })
      .execute()
    assert.equal(await soleBranchOf(s, id), 2, 'links before the customer')
    const seen = await s.api(`2/customer/index`, { id, is_study: 1, legal_type: 1, gender: 0 })
    assert.equal(seen.body.total, 1, seen.text)
    const unseen = await s.api(`1/customer/index`, { id, is_study: 1, legal_type: 1, gender: 0 })
    assert.equal(unseen.body.total, 0, unseen.text)
    await s.db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('customers_branch_ids').where('record_id', '=', id).execute()
      await trx.deleteFrom('customers').where('id', '=', id).execute()
    })
    await assertCells(s)
  })

  test("two transactions changing one customer's links in SQL leave its branch exact (PostgreSQL)", {
    skip: !process.env.TEST_DATABASE_URL && 'SQLite runs one write transaction at a time',
  }, async () => {
    const c = await make.customer(s, { branch_ids: [1, 2] })
    const dropLink = (value: number) => (trx: typeof s.db.kysely) =>
      trx
        .deleteFrom('customers_branch_ids')
        .where('record_id', '=', c.id)
        .where('value', '=', value)
        .execute()
    let wrote!: () => void
    const firstWrote = new Promise<void>((resolve) => {
      wrote = resolve
    })
    // The first holds its change open while the second asks to change the same customer's links:
    // the second's trigger waits for the first and then counts what it left (no link at all).
    const first = s.db.kysely.transaction().execute(async (trx) => {
      await dropLink(1)(trx)
      wrote()
      await new Promise((resolve) => setTimeout(resolve, 300))
    })
    await firstWrote
    await s.db.kysely.transaction().execute(async (trx) => {
      await dropLink(2)(trx)
    })
    await first
    assert.equal(await soleBranchOf(s, c.id), null)
    await assertCells(s)
  })

  test('concurrent writes to the same customers leave every kept count exact', async () => {
    const ids: number[] = []
    for (let i = 0; i < 6; i++) ids.push((await make.customer(s, { branch_ids: [1], is_study: 1 })).id)
    const writes: Array<Promise<unknown>> = []
    for (let round = 0; round < 8; round++) {
      for (const [i, id] of ids.entries()) {
        const body =
          (round + i) % 3 === 0
            ? { branch_ids: round % 2 ? [1, 2] : [1] }
            : (round + i) % 3 === 1
              ? { is_study: round % 2 }
              : { removed: round % 2 }
        writes.push(s.api(`1/customer/update?id=${id}`, body))
      }
    }
    const replies = (await Promise.all(writes)) as Array<{ status: number; text: string }>
    for (const r of replies) assert.equal(r.status, 200, r.text)
    await assertCells(s)
    await compactTallies(s.db, models.values(), new Map())
    await assertCells(s)
    await assertLists(s, 7)
  })
})
