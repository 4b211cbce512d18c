import { type Kysely, sql } from 'kysely'
import { isPostgres } from './001-init.js'

/**
 * Trigram indexes for the substring and phone-digit searches of customers (§4.5), so a search over a
 * million customers reads the matching rows instead of every row. SQLite: an FTS5 trigram table over
 * the lower-cased name and the phone digits, kept in step by triggers; PostgreSQL: pg_trgm GIN indexes
 * that serve `lower(name) LIKE` and `phone_digits LIKE` directly.
 */
type Db = Kysely<unknown>

export const m004_search = {
  async up(db: Db): Promise<void> {
    if (isPostgres(db)) {
      await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db)
      await sql`CREATE INDEX customers_name_trgm ON customers USING gin (lower(name) gin_trgm_ops)`.execute(
        db,
      )
      await sql`CREATE INDEX customers_phone_trgm ON customers USING gin (phone_digits gin_trgm_ops)`.execute(
        db,
      )
      return
    }
    // case_sensitive 1 over lower-cased text: GLOB then uses the index and Cyrillic folds (SQLite's
    // own folding is ASCII-only; lower() is the Unicode-aware function of db/connect.ts).
    await sql`CREATE VIRTUAL TABLE customers_search USING fts5(name, phone, tokenize = 'trigram case_sensitive 1')`.execute(
      db,
    )
    await sql`INSERT INTO customers_search (rowid, name, phone) SELECT id, lower(name), phone_digits FROM customers`.execute(
      db,
    )
    await sql`CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
      INSERT INTO customers_search (rowid, name, phone) VALUES (new.id, lower(new.name), new.phone_digits);
    END`.execute(db)
    await sql`CREATE TRIGGER customers_search_update AFTER UPDATE OF name, phone_digits ON customers BEGIN
      UPDATE customers_search SET name = lower(new.name), phone = new.phone_digits WHERE rowid = new.id;
    END`.execute(db)
    await sql`CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
      DELETE FROM customers_search WHERE rowid = old.id;
    END`.execute(db)
  },
}
