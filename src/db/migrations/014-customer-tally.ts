import { type Kysely, sql } from 'kysely'
import { isPostgres } from './001-init.js'

/**
 * Issue 15: customers counted per branch × `is_study` × `removed` without scanning them.
 *
 * `customers_tally` holds signed deltas: every time a (customer, branch) pair enters a cell a row
 * `n = +1`, every time one leaves it `n = -1`, each with `changes = 1`. Triggers write them in the
 * transaction of the change, whatever makes it (the API, an import, the CLI), so a cell's `sum(n)` is
 * exactly the number of the branch's customers with those values, as of the reader's snapshot, and its
 * `sum(changes)` grows with every change of the cell's members: a stamp under which kept page starts stay
 * true. Deltas are folded into one row per cell in the background (db/tally `compactTally`), which keeps
 * both sums. Insert-only deltas never make two writers wait on one counter row (PostgreSQL).
 *
 * Who belongs to a cell is decided by two tables: the customer's row (`is_study`, `removed`) and its
 * branch links (`customers_branch_ids`). A trigger on either reads the other; on PostgreSQL a link's
 * trigger first takes a share lock on its customer's row, so a concurrent change of that customer's
 * `is_study` / `removed` and of its links are ordered and the later one's trigger sees the earlier one's
 * rows (READ COMMITTED: each statement of a trigger function reads what is committed when it starts).
 * Frozen once shipped.
 */
type Db = Kysely<unknown>

export const TALLY_TABLE = 'customers_tally'

const COLUMNS = 'branch_id, is_study, removed, n, changes'

/** The triggers, SQLite: one statement each. */
const SQLITE_TRIGGERS = [
  `CREATE TRIGGER customers_tally_link_in AFTER INSERT ON customers_branch_ids BEGIN
     INSERT INTO customers_tally (${COLUMNS})
       SELECT NEW.value, is_study, removed, 1, 1 FROM customers WHERE id = NEW.record_id;
   END`,
  `CREATE TRIGGER customers_tally_link_out AFTER DELETE ON customers_branch_ids BEGIN
     INSERT INTO customers_tally (${COLUMNS})
       SELECT OLD.value, is_study, removed, -1, 1 FROM customers WHERE id = OLD.record_id;
   END`,
  `CREATE TRIGGER customers_tally_link_move AFTER UPDATE ON customers_branch_ids BEGIN
     INSERT INTO customers_tally (${COLUMNS})
       SELECT OLD.value, is_study, removed, -1, 1 FROM customers WHERE id = OLD.record_id;
     INSERT INTO customers_tally (${COLUMNS})
       SELECT NEW.value, is_study, removed, 1, 1 FROM customers WHERE id = NEW.record_id;
   END`,
  // Links written before their customer (a bulk load) are counted when the customer arrives.
  `CREATE TRIGGER customers_tally_in AFTER INSERT ON customers BEGIN
     INSERT INTO customers_tally (${COLUMNS})
       SELECT value, NEW.is_study, NEW.removed, 1, 1 FROM customers_branch_ids WHERE record_id = NEW.id;
   END`,
  `CREATE TRIGGER customers_tally_move AFTER UPDATE OF id, is_study, removed ON customers
     WHEN OLD.id IS NOT NEW.id OR OLD.is_study IS NOT NEW.is_study OR OLD.removed IS NOT NEW.removed BEGIN
     INSERT INTO customers_tally (${COLUMNS})
       SELECT value, OLD.is_study, OLD.removed, -1, 1 FROM customers_branch_ids WHERE record_id = OLD.id;
     INSERT INTO customers_tally (${COLUMNS})
       SELECT value, NEW.is_study, NEW.removed, 1, 1 FROM customers_branch_ids WHERE record_id = NEW.id;
   END`,
  // Before the row goes: its links, deleted after it, then find no customer and count nothing.
  `CREATE TRIGGER customers_tally_out BEFORE DELETE ON customers BEGIN
     INSERT INTO customers_tally (${COLUMNS})
       SELECT value, OLD.is_study, OLD.removed, -1, 1 FROM customers_branch_ids WHERE record_id = OLD.id;
   END`,
]

/** The same on PostgreSQL: two functions (links, customers) and their triggers. */
const POSTGRES_TRIGGERS = [
  `CREATE FUNCTION customers_tally_link() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP <> 'INSERT' THEN
       PERFORM 1 FROM customers WHERE id = OLD.record_id FOR SHARE;
       INSERT INTO customers_tally (${COLUMNS})
         SELECT OLD.value, is_study, removed, -1, 1 FROM customers WHERE id = OLD.record_id;
     END IF;
     IF TG_OP <> 'DELETE' THEN
       PERFORM 1 FROM customers WHERE id = NEW.record_id FOR SHARE;
       INSERT INTO customers_tally (${COLUMNS})
         SELECT NEW.value, is_study, removed, 1, 1 FROM customers WHERE id = NEW.record_id;
     END IF;
     RETURN NULL;
   END $$`,
  `CREATE FUNCTION customers_tally_customer() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'UPDATE' AND OLD.id = NEW.id AND OLD.is_study IS NOT DISTINCT FROM NEW.is_study
        AND OLD.removed IS NOT DISTINCT FROM NEW.removed THEN
       RETURN NULL;
     END IF;
     IF TG_OP <> 'INSERT' THEN
       INSERT INTO customers_tally (${COLUMNS})
         SELECT value, OLD.is_study, OLD.removed, -1, 1 FROM customers_branch_ids WHERE record_id = OLD.id;
     END IF;
     IF TG_OP <> 'DELETE' THEN
       INSERT INTO customers_tally (${COLUMNS})
         SELECT value, NEW.is_study, NEW.removed, 1, 1 FROM customers_branch_ids WHERE record_id = NEW.id;
     END IF;
     IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER customers_tally_link AFTER INSERT OR UPDATE OR DELETE ON customers_branch_ids
     FOR EACH ROW EXECUTE FUNCTION customers_tally_link()`,
  `CREATE TRIGGER customers_tally_in AFTER INSERT OR UPDATE OF id, is_study, removed ON customers
     FOR EACH ROW EXECUTE FUNCTION customers_tally_customer()`,
  `CREATE TRIGGER customers_tally_out BEFORE DELETE ON customers
     FOR EACH ROW EXECUTE FUNCTION customers_tally_customer()`,
]

const SQLITE_DROP = [
  'customers_tally_link_in',
  'customers_tally_link_out',
  'customers_tally_link_move',
  'customers_tally_in',
  'customers_tally_move',
  'customers_tally_out',
].map((t) => `DROP TRIGGER IF EXISTS ${t}`)

const POSTGRES_DROP = [
  'DROP TRIGGER IF EXISTS customers_tally_link ON customers_branch_ids',
  'DROP TRIGGER IF EXISTS customers_tally_in ON customers',
  'DROP TRIGGER IF EXISTS customers_tally_out ON customers',
]

/** A kept count's triggers, and the statements that drop them, on each database (here and 016). */
export interface TallyTriggers {
  sqlite: string[]
  postgres: string[]
  sqliteDrop: string[]
  postgresDrop: string[]
}

const TRIGGERS: TallyTriggers = {
  sqlite: SQLITE_TRIGGERS,
  postgres: POSTGRES_TRIGGERS,
  sqliteDrop: SQLITE_DROP,
  postgresDrop: POSTGRES_DROP,
}

export async function run(db: Db, statements: string[]): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db)
}

/**
 * For a bulk load (seed): the triggers off while `load` writes customers and links, then every cell
 * counted once from the tables (`recount`) and the triggers back (without their functions on
 * PostgreSQL: those stay). `db` is the connection the load writes on.
 */
export async function withoutTriggers(
  db: Db,
  t: TallyTriggers,
  recount: (db: Db) => Promise<void>,
  load: () => Promise<void>,
): Promise<void> {
  const pg = isPostgres(db)
  await run(db, pg ? t.postgresDrop : t.sqliteDrop)
  try {
    await load()
  } finally {
    await recount(db)
    await run(db, pg ? t.postgres.filter((s) => s.startsWith('CREATE TRIGGER')) : t.sqlite)
  }
}

/** `withoutTriggers` for this tally. */
export function withoutTally(db: Db, load: () => Promise<void>): Promise<void> {
  return withoutTriggers(db, TRIGGERS, recount, load)
}

/** Every cell counted from the tables, replacing what the tally held (a cell's stamp starts again). */
async function recount(db: Db): Promise<void> {
  await sql.raw(`DELETE FROM ${TALLY_TABLE}`).execute(db)
  await sql
    .raw(
      `INSERT INTO ${TALLY_TABLE} (${COLUMNS})
       SELECT l.value, c.is_study, c.removed, count(*), count(*)
         FROM customers_branch_ids l JOIN customers c ON c.id = l.record_id
        GROUP BY l.value, c.is_study, c.removed`,
    )
    .execute(db)
}

export const m014_customer_tally = {
  async up(db: Db): Promise<void> {
    const pg = isPostgres(db)
    await db.schema
      .createTable(TALLY_TABLE)
      .addColumn('id', pg ? 'bigserial' : 'integer', (c) => c.primaryKey())
      .addColumn('branch_id', 'integer', (c) => c.notNull())
      .addColumn('is_study', 'integer')
      .addColumn('removed', 'integer')
      .addColumn('n', 'integer', (c) => c.notNull())
      .addColumn('changes', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex(`${TALLY_TABLE}_cell`)
      .on(TALLY_TABLE)
      .columns(['branch_id', 'is_study', 'removed'])
      .execute()
    await recount(db)
    await run(db, pg ? POSTGRES_TRIGGERS : SQLITE_TRIGGERS)
  },
}
