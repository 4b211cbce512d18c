import { type Kysely, sql } from 'kysely'

/**
 * Staff sign-in (issue: staff web app). A user may have a password (scrypt, like api keys; null: it
 * cannot sign in with one). A token says how it was issued: `api` by `auth/login`, `session` by
 * `auth/session` for the browser, which may present only a session token in its cookie.
 */
type Db = Kysely<unknown>

export const m009_passwords = {
  async up(db: Db): Promise<void> {
    await sql`ALTER TABLE users ADD COLUMN password_hash text`.execute(db)
    await sql`ALTER TABLE tokens ADD COLUMN kind text NOT NULL DEFAULT 'api'`.execute(db)
  },
}
