import { type Kysely, sql } from 'kysely'
import { isPostgres } from './001-init.js'

/**
 * Issue 16, for integrations:
 * - `idempotency_keys`: the first reply to a write sent with an `Idempotency-Key` header, kept 24 hours
 *   per user and key with a hash of the request (http/idempotency). The key row is written in the
 *   write's own transaction, so a concurrent duplicate waits on the primary key and then replays.
 * - `updated_at` on every table of a model that changes and had none: a stamp set by every create,
 *   update, archive and restore through the generic path, for `updated_at_from`/`updated_at_to`
 *   (incremental sync). Existing rows keep '' (not changed since the stamp exists); an index on
 *   (updated_at, id) serves "changed since" on the large tables.
 * Frozen once shipped.
 */
type Db = Kysely<unknown>

/** Tables that gain the stamp (customers, groups, pays and teachers have had it from the start). */
export const STAMPED = [
  'branches',
  'locations',
  'rooms',
  'lessons',
  'cgis',
  'regular_lessons',
  'subjects',
  'study_statuses',
  'lead_statuses',
  'lead_sources',
  'lead_rejects',
  'customer_rejects',
  'lesson_types',
  'pay_accounts',
  'pay_items',
  'pay_item_categories',
  'communications',
  'customer_tariffs',
  'discounts',
  'tasks',
  'tariffs',
  'teacher_rates',
  'teacher_working_hours',
  'custom_fields',
  'users',
]

/** Tables large enough that a range on the stamp needs an index (every stamped table of size). */
export const INDEXED = [
  'customers',
  'groups',
  'pays',
  'teachers',
  'lessons',
  'cgis',
  'communications',
  'tasks',
]

export const m012_idempotency_sync = {
  async up(db: Db): Promise<void> {
    const pg = isPostgres(db)
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('user_id', 'integer', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('reply', 'text', (c) => c.notNull())
      // UTC ISO-8601 text: compares in order on both databases.
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'key'])
      .execute()
    await db.schema
      .createIndex('idempotency_keys_expires')
      .on('idempotency_keys')
      .column('expires_at')
      .execute()
    for (const table of STAMPED)
      await sql`ALTER TABLE ${sql.table(table)} ADD COLUMN updated_at text NOT NULL DEFAULT ''`.execute(db)
    for (const table of INDEXED)
      await db.schema.createIndex(`${table}_updated_at`).on(table).columns(['updated_at', 'id']).execute()
    if (pg) await sql`ANALYZE idempotency_keys`.execute(db)
  },
}
