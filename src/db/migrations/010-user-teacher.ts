import { type Kysely, sql } from 'kysely'

/**
 * Staff web app: a user may be a teacher (`user.teacher_id` [ext]); a user of role `teacher` with one
 * reads and conducts only that teacher's lessons. Teachers are archived, never removed (§6.9), so the
 * column needs no foreign key (see migration 006).
 */
type Db = Kysely<unknown>

export const m010_user_teacher = {
  async up(db: Db): Promise<void> {
    await sql`ALTER TABLE users ADD COLUMN teacher_id integer`.execute(db)
  },
}
