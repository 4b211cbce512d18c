import { type Kysely, sql } from 'kysely'
import { isPostgres } from './001-init.js'

/**
 * Hardening (check-then-write races). The references whose target §6.9 refuses to delete become FOREIGN KEY … ON DELETE RESTRICT
 * on PostgreSQL, so the database itself keeps a write from naming a row a concurrent delete removes,
 * and a delete from removing a row a concurrent write names. The engine still checks both first and
 * answers the spec's 422s; a violation that slips past its check (the check ran before the other
 * transaction committed) is run again by the dispatcher and then gets the same 422 (db/sql-errors).
 *
 * One key per reference of the §6.9 table (test/schema.test.ts compares them with the declarations),
 * plus `lesson_details.ctt_id`: a detail names a subscription only while its lesson is conducted, so
 * the key is exactly "refused while details of conducted lessons were charged through it". Id lists
 * are keyed through their link tables (`value`). Customers, groups and teachers are only archived,
 * never removed, so nothing references a row that disappears; and a key to them would take a share
 * lock on the customer row that every pay and conducted lesson then locks for update (domain/balances),
 * a deadlock between any two writes for one customer. Log rows never count as references (§6.9).
 *
 * NOT VALID: a database that already holds a reference to a deleted row (the race this closes) still
 * migrates; every row written or changed from now on is checked, old rows are not.
 *
 * SQLite gets no keys: it runs one write transaction at a time (db/connect), so a check and the write
 * it guards are never interleaved with another write, and a key would need every table rebuilt.
 * Frozen once shipped.
 */
type Db = Kysely<unknown>

/** Referenced table → the referencing `table.column`s. */
const KEYS: Record<string, string[]> = {
  branches: [
    'locations.branch_id',
    'rooms.branch_id',
    'lessons.branch_id',
    'pays.branch_id',
    'pay_accounts.branch_id',
    'regular_lessons.branch_id',
    'discounts.branch_id',
    'customers_branch_ids.value',
    'groups_branch_ids.value',
    'teachers_branch_ids.value',
    'tariffs_branch_ids.value',
    'tasks_branch_ids.value',
    'pay_items_branch_ids.value',
    'users_branch_ids.value',
  ],
  locations: ['rooms.location_id', 'pays.location_id', 'teacher_working_hours.location_id'],
  subjects: [
    'lessons.subject_id',
    'regular_lessons.subject_id',
    'branches_subject_ids.value',
    'customer_tariffs_subject_ids.value',
    'tariffs_subject_ids.value',
    'discounts_subject_ids.value',
    'teachers_subject_ids.value',
    'teacher_rates_subject_ids.value',
  ],
  study_statuses: ['customers.study_status_id'],
  lead_statuses: ['customers.lead_status_id'],
  lead_sources: ['customers.lead_source_id'],
  lead_rejects: ['customers.lead_reject_id'],
  customer_rejects: ['customers.customer_reject_id'],
  lesson_types: [
    'lessons.lesson_type_id',
    'regular_lessons.lesson_type_id',
    'customer_tariffs_lesson_type_ids.value',
    'tariffs_lesson_type_ids.value',
    'discounts_lesson_type_ids.value',
    'teacher_rates_lesson_type_ids.value',
  ],
  rooms: ['lessons.room_id', 'regular_lessons.room_id'],
  pay_accounts: ['pays.pay_account_id'],
  pay_items: ['pays.pay_item_id'],
  pay_item_categories: ['pay_items.category_id'],
  tariffs: ['customer_tariffs.tariff_id'],
  customer_tariffs: ['pays.ctt_id', 'lesson_details.ctt_id'],
  users: [
    'customers.assigned_id',
    'tasks.user_id',
    'tasks_assigned_ids.value',
    'communications.user_id',
    'pay_accounts_user_ids.value',
  ],
}

export const m006_foreignKeys = {
  async up(db: Db): Promise<void> {
    if (!isPostgres(db)) return
    for (const [target, sources] of Object.entries(KEYS)) {
      for (const source of sources) {
        const [table, column] = source.split('.') as [string, string]
        // Named as PostgreSQL names them by default; db/sql-errors reads the column back from the name.
        await sql`ALTER TABLE ${sql.table(table)} ADD CONSTRAINT ${sql.ref(`${table}_${column}_fkey`)}
          FOREIGN KEY (${sql.ref(column)}) REFERENCES ${sql.table(target)} (id) ON DELETE RESTRICT NOT VALID`.execute(
          db,
        )
      }
    }
  },
}
