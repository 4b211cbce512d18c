import crypto from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { createTable, isPostgres } from './001-init.js'

/**
 * Issue 16: outgoing webhooks. `webhooks` holds the endpoints an admin configured (the secret is kept
 * as given: it signs every delivery, so it cannot be a one-way hash; it is never shown or logged).
 * `webhook_deliveries` is the outbox: one row per (endpoint, log row), written in the transaction of the
 * change, so a rolled-back change sends nothing and a committed one is delivered after any restart.
 * Times the worker compares are epoch milliseconds (`due_ms`, `lease_ms`, `first_ms`); the `*_at`
 * columns are the wall-clock times shown on the wire. `webhook_state` holds one random token that every
 * change of an endpoint replaces, so each process can keep the active endpoints in memory and check
 * the token in the write's own transaction. Frozen once shipped.
 */
type Db = Kysely<unknown>

export const m011_webhooks = {
  async up(db: Db): Promise<void> {
    const big = isPostgres(db) ? 'bigint' : 'integer'
    await createTable(
      db,
      'webhooks',
      'name text, url text, events json, entities json, branch_ids json, secret text, is_active int, status text, status_reason text, created_at text',
    )
    await createTable(
      db,
      'webhook_deliveries',
      `webhook_id int, log_id int, branch_id int?, entity text, entity_id int, event text, status text,
        attempts int, last_status_code int?, last_error text, last_attempt_at text?, next_attempt_at text?,
        delivered_at text?, created_at text, lease_owner text`,
    )
    for (const col of ['due_ms', 'lease_ms', 'first_ms'])
      await sql`ALTER TABLE webhook_deliveries ADD COLUMN ${sql.raw(col)} ${sql.raw(big)} NOT NULL DEFAULT 0`.execute(
        db,
      )
    // The worker finds each endpoint's oldest pending delivery; the log finds an endpoint's deliveries.
    await db.schema
      .createIndex('webhook_deliveries_head')
      .on('webhook_deliveries')
      .columns(['webhook_id', 'status', 'id'])
      .execute()
    await db.schema
      .createTable('webhook_state')
      .addColumn('version', 'text', (c) => c.notNull())
      .execute()
    await sql`INSERT INTO webhook_state (version) VALUES (${crypto.randomUUID()})`.execute(db)
  },
}
