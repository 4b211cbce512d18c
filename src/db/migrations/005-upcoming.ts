import { type Kysely, sql } from 'kysely'

/**
 * Issue 5. Each detail row keeps a copy of its lesson's `status` and `time_from` (as it keeps
 * `branch_id`), written with the lesson in the same transaction (domain/attendance `copyLessonToDetails`),
 * so a customer's upcoming planned lessons (§6.5 `next_lesson_date`, `paid_lesson_date`) are one index
 * range per customer (by start, from now on) instead of a lookup of every lesson the customer ever had.
 * The status stays out of the index: conducting a lesson then rewrites its detail rows only, not an
 * index page per participant. And customers get an
 * index in id order for "not archived" alone (`is_study=2`), which otherwise sorted the whole branch.
 */
type Db = Kysely<unknown>

export const m005_upcoming = {
  async up(db: Db): Promise<void> {
    await sql`ALTER TABLE lesson_details ADD COLUMN lesson_status integer NOT NULL DEFAULT 1`.execute(db)
    await sql`ALTER TABLE lesson_details ADD COLUMN lesson_time text NOT NULL DEFAULT ''`.execute(db)
    await sql`UPDATE lesson_details SET
      lesson_status = (SELECT l.status FROM lessons l WHERE l.id = lesson_details.lesson_id),
      lesson_time = (SELECT l.time_from FROM lessons l WHERE l.id = lesson_details.lesson_id)
      WHERE EXISTS (SELECT 1 FROM lessons l WHERE l.id = lesson_details.lesson_id)`.execute(db)
    await db.schema.dropIndex('lesson_details_customer').execute()
    await db.schema
      .createIndex('lesson_details_customer')
      .on('lesson_details')
      .columns(['customer_id', 'lesson_time', 'lesson_id'])
      .execute()
    await db.schema.createIndex('customers_removed').on('customers').columns(['removed', 'id']).execute()
  },
}
