import type { Kysely } from 'kysely'
import type { Db } from '../db/connect.js'
import { withoutTallies } from '../db/migrations/016-customer-tally-by.js'
import { withoutSoleBranch } from '../db/migrations/018-customer-sole-branch.js'
import type { Registry } from '../engine/model.js'
import { nowParts } from '../wire/dates.js'
import { BulkWriter } from './bulk-writer.js'
import { checkCaches, type Mismatch } from './caches.js'
import { termAround } from './calendar.js'
import { generateCohort } from './cohort.js'
import { Progress } from './progress.js'
import { Rng } from './random.js'
import { RecordSink } from './records.js'
import { setUpSchool } from './school.js'

/**
 * `seed --customers N`: a school proportional to N, written in bulk, cohort by cohort — each cohort
 * of 1 000 customers with its groups, lessons, pays and log rows in one transaction.
 */
export interface GenerateOptions {
  customers: number
  seed: number
  tz: string
  databaseUrl: string | null
  dataDir: string
  models: Registry
  /** Customers whose caches are checked against `refreshCustomers` at the end. */
  sample: number
}

export interface GenerateReport {
  customers: number
  rows: Record<string, number>
  seconds: { generate: number; finish: number; check: number; total: number }
  checked: number
  mismatches: Mismatch[]
  term: { start: string; end: string; today: string }
}

const COHORT = 1000

/** Every table the generator gives ids to. */
const TABLES = [
  'branches',
  'subjects',
  'study_statuses',
  'lead_statuses',
  'lead_sources',
  'lead_rejects',
  'customer_rejects',
  'users',
  'rooms',
  'pay_accounts',
  'pay_item_categories',
  'pay_items',
  'tariffs',
  'teachers',
  'customers',
  'groups',
  'cgis',
  'regular_lessons',
  'lessons',
  'lesson_details',
  'customer_tariffs',
  'pays',
  'log',
]

/** The tables that grow with the customers: loaded first, indexed after. */
const BULK_TABLES = [
  'customers',
  'customers_branch_ids',
  'groups',
  'groups_branch_ids',
  'groups_teacher_ids',
  'cgis',
  'regular_lessons',
  'regular_lessons_teacher_ids',
  'lessons',
  'lessons_teacher_ids',
  'lessons_group_ids',
  'lessons_customer_ids',
  'lesson_details',
  'customer_tariffs',
  'pays',
  'log',
]

export async function generate(db: Db, o: GenerateOptions): Promise<GenerateReport> {
  const started = performance.now()
  const { date, dateTime } = nowParts(o.tz)
  const term = termAround(date)
  const rng = new Rng(o.seed)
  let finishing = 0
  let writer!: BulkWriter
  const load = async () => {
    writer = await BulkWriter.open({ databaseUrl: o.databaseUrl, dataDir: o.dataDir })
    try {
      await writer.prepareIds(TABLES)
      const sink = new RecordSink(writer, { today: date, now: dateTime, tz: o.tz, pathBranch: 1, userId: 0 })
      const school = await setUpSchool({ db: db.kysely, sink, rng, models: o.models, term }, o.customers)
      await writer.commit()
      const progress = new Progress('customers', o.customers)
      const cohorts = async () => {
        for (let done = 0; done < o.customers; ) {
          const n = Math.min(COHORT, o.customers - done)
          generateCohort({ sink, rng, models: o.models, school, term }, n)
          await writer.commit()
          done += n
          progress.update(done)
        }
        progress.done()
      }
      await writer.withoutIndexes(BULK_TABLES, cohorts, () => {
        finishing = performance.now()
      })
      await writer.finish()
    } finally {
      await writer.close()
    }
  }
  // The customers are counted per branch, and their sole branch set, once after the load, not by a
  // trigger per row (014, 016, 018).
  const k = db.kysely as unknown as Kysely<unknown>
  await withoutSoleBranch(k, () => withoutTallies(k, load))
  const checking = performance.now()
  const ids = await sampleIds(db, o.sample, o.seed)
  const mismatches = await checkCaches(db, ids, o.tz, o.models)
  const end = performance.now()
  return {
    customers: o.customers,
    rows: Object.fromEntries([...writer.written].sort(([a], [b]) => a.localeCompare(b))),
    seconds: {
      generate: (finishing - started) / 1000,
      finish: (checking - finishing) / 1000,
      check: (end - checking) / 1000,
      total: (end - started) / 1000,
    },
    checked: ids.length,
    mismatches,
    term: { start: term.start, end: term.end, today: term.today },
  }
}

/** Customers spread over the whole id range, the same ones for the same seed. */
async function sampleIds(db: Db, n: number, seed: number): Promise<number[]> {
  const rows = await db.kysely.selectFrom('customers').select('id').orderBy('id').execute()
  const rng = new Rng(seed ^ 0x5eed)
  return rng.sample(
    rows.map((r) => Number(r.id)),
    n,
  )
}
