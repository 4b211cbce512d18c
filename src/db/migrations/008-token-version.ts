import { type Kysely, sql } from 'kysely'

/**
 * Issue 10. A user's `token_version` is bumped by every revocation (key rotation, revoke-tokens,
 * deactivation); a token carries the version its login read before verifying the key and is valid only
 * while the two are equal. A login that verified a key just before a rotation can then never hand out
 * a token that outlives it, whichever transaction commits first.
 */
type Db = Kysely<unknown>

export const m008_token_version = {
  async up(db: Db): Promise<void> {
    await sql`ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0`.execute(db)
    await sql`ALTER TABLE tokens ADD COLUMN user_version integer NOT NULL DEFAULT 0`.execute(db)
  },
}
