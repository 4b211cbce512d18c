import { type Kysely, sql } from 'kysely'

/**
 * Webhook endpoints change like every other model, so they carry the `updated_at` stamp the generic
 * path sets on every write (`updated_at_from` / `updated_at_to`, see 012). Frozen once shipped.
 */
type Db = Kysely<unknown>

export const m013_webhook_stamp = {
  async up(db: Db): Promise<void> {
    await sql`ALTER TABLE webhooks ADD COLUMN updated_at text NOT NULL DEFAULT ''`.execute(db)
  },
}
