import { type Kysely, sql } from 'kysely'
import { isPostgres } from './001-init.js'
import { run, type TallyTriggers, withoutTally, withoutTriggers } from './014-customer-tally.js'

/**
 * Issue 15: the customer lists staff filter by one more field (a study status, a lead source, the
 * manager, …) counted without scanning the branch, as 014 counts them by `is_study` × `removed` alone.
 *
 * `customers_tally_by` holds the same signed deltas as `customers_tally`, one per (customer, branch,
 * field): the cell is branch × `is_study` × `removed` × the field's name (`dim`) × its value. A list
 * filtered by `is_study`, `removed` and one of these fields is counted by summing the few cells of that
 * field. Triggers write the deltas in the transaction of every change, whoever makes it, and an update
 * writes them only for the fields it moved (a customer leaving status 2 for 3 changes the stamps of
 * those two cells, not of every cell the customer is in), so kept page starts of other lists hold. On
 * PostgreSQL a link's trigger share-locks its customer's row first, as 014's does, for the same reason.
 * Frozen once shipped: a field added later needs a migration of its own.
 */
type Db = Kysely<unknown>

export const TALLY_BY_TABLE = 'customers_tally_by'

/** The fields counted (each an integer column of `customers`). */
export const TALLY_BY_DIMS = [
  'study_status_id',
  'lead_status_id',
  'lead_source_id',
  'lead_reject_id',
  'customer_reject_id',
  'assigned_id',
  'gender',
  'legal_type',
] as const

const COLUMNS = 'branch_id, is_study, removed, dim, value, n, changes'

/** The fields' names as a derived table `d(dim)`. */
const DIM_TABLE = `(${TALLY_BY_DIMS.map((d) => `SELECT '${d}' AS dim`).join(' UNION ALL ')}) d`

/** The value of field `d.dim` of `row` (NEW, OLD or a table alias). */
const pick = (row: string) =>
  `CASE d.dim ${TALLY_BY_DIMS.map((d) => `WHEN '${d}' THEN ${row}.${d}`).join(' ')} END`

/** The deltas of a customer row's links: `sign` for each field, or only those `when` admits. */
function deltas(row: 'NEW' | 'OLD', sign: 1 | -1, when = 'TRUE'): string {
  return `INSERT INTO ${TALLY_BY_TABLE} (${COLUMNS})
       SELECT l.value, ${row}.is_study, ${row}.removed, d.dim, ${pick(row)}, ${sign}, 1
         FROM customers_branch_ids l, ${DIM_TABLE}
        WHERE l.record_id = ${row}.id AND (${when})`
}

/** The deltas of one link (`row` of `customers_branch_ids`): its customer's fields. */
function linkDeltas(row: 'NEW' | 'OLD', sign: 1 | -1): string {
  return `INSERT INTO ${TALLY_BY_TABLE} (${COLUMNS})
       SELECT ${row}.value, c.is_study, c.removed, d.dim, ${pick('c')}, ${sign}, 1
         FROM customers c, ${DIM_TABLE}
        WHERE c.id = ${row}.record_id`
}

/** Whether the customer moved to other cells in every field (its id, `is_study` or `removed` changed). */
const moved = (differ: string) =>
  ['id', 'is_study', 'removed'].map((c) => `OLD.${c} ${differ} NEW.${c}`).join(' OR ')

/** Only the fields whose cell the update changed. */
const changed = (differ: string) => `${moved(differ)} OR ${pick('OLD')} ${differ} ${pick('NEW')}`

const WATCHED = ['id', 'is_study', 'removed', ...TALLY_BY_DIMS]

const SQLITE_TRIGGERS = [
  `CREATE TRIGGER customers_tally_by_link_in AFTER INSERT ON customers_branch_ids BEGIN
     ${linkDeltas('NEW', 1)};
   END`,
  `CREATE TRIGGER customers_tally_by_link_out AFTER DELETE ON customers_branch_ids BEGIN
     ${linkDeltas('OLD', -1)};
   END`,
  `CREATE TRIGGER customers_tally_by_link_move AFTER UPDATE ON customers_branch_ids BEGIN
     ${linkDeltas('OLD', -1)};
     ${linkDeltas('NEW', 1)};
   END`,
  `CREATE TRIGGER customers_tally_by_in AFTER INSERT ON customers BEGIN
     ${deltas('NEW', 1)};
   END`,
  `CREATE TRIGGER customers_tally_by_move AFTER UPDATE OF ${WATCHED.join(', ')} ON customers
     WHEN ${WATCHED.map((c) => `OLD.${c} IS NOT NEW.${c}`).join(' OR ')} BEGIN
     ${deltas('OLD', -1, changed('IS NOT'))};
     ${deltas('NEW', 1, changed('IS NOT'))};
   END`,
  `CREATE TRIGGER customers_tally_by_out BEFORE DELETE ON customers BEGIN
     ${deltas('OLD', -1)};
   END`,
]

const POSTGRES_TRIGGERS = [
  `CREATE FUNCTION customers_tally_by_link() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP <> 'INSERT' THEN
       PERFORM 1 FROM customers WHERE id = OLD.record_id FOR SHARE;
       ${linkDeltas('OLD', -1)};
     END IF;
     IF TG_OP <> 'DELETE' THEN
       PERFORM 1 FROM customers WHERE id = NEW.record_id FOR SHARE;
       ${linkDeltas('NEW', 1)};
     END IF;
     RETURN NULL;
   END $$`,
  `CREATE FUNCTION customers_tally_by_customer() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'UPDATE' THEN
       IF ${WATCHED.map((c) => `OLD.${c} IS NOT DISTINCT FROM NEW.${c}`).join(' AND ')} THEN
         RETURN NULL;
       END IF;
       ${deltas('OLD', -1, changed('IS DISTINCT FROM'))};
       ${deltas('NEW', 1, changed('IS DISTINCT FROM'))};
       RETURN NULL;
     END IF;
     IF TG_OP = 'DELETE' THEN
       ${deltas('OLD', -1)};
       RETURN OLD;
     END IF;
     ${deltas('NEW', 1)};
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER customers_tally_by_link AFTER INSERT OR UPDATE OR DELETE ON customers_branch_ids
     FOR EACH ROW EXECUTE FUNCTION customers_tally_by_link()`,
  `CREATE TRIGGER customers_tally_by_in AFTER INSERT OR UPDATE OF ${WATCHED.join(', ')} ON customers
     FOR EACH ROW EXECUTE FUNCTION customers_tally_by_customer()`,
  `CREATE TRIGGER customers_tally_by_out BEFORE DELETE ON customers
     FOR EACH ROW EXECUTE FUNCTION customers_tally_by_customer()`,
]

const TRIGGERS: TallyTriggers = {
  sqlite: SQLITE_TRIGGERS,
  postgres: POSTGRES_TRIGGERS,
  sqliteDrop: ['link_in', 'link_out', 'link_move', 'in', 'move', 'out'].map(
    (t) => `DROP TRIGGER IF EXISTS customers_tally_by_${t}`,
  ),
  postgresDrop: [
    'DROP TRIGGER IF EXISTS customers_tally_by_link ON customers_branch_ids',
    'DROP TRIGGER IF EXISTS customers_tally_by_in ON customers',
    'DROP TRIGGER IF EXISTS customers_tally_by_out ON customers',
  ],
}

/** For a bulk load (seed): both kept counts (014's and this one) off while `load` runs, then recounted. */
export function withoutTallies(db: Db, load: () => Promise<void>): Promise<void> {
  return withoutTally(db, () => withoutTriggers(db, TRIGGERS, recount, load))
}

/** Every cell counted from the tables, one field at a time (each a pass over the links). */
async function recount(db: Db): Promise<void> {
  await sql.raw(`DELETE FROM ${TALLY_BY_TABLE}`).execute(db)
  for (const dim of TALLY_BY_DIMS) {
    await sql
      .raw(
        `INSERT INTO ${TALLY_BY_TABLE} (${COLUMNS})
         SELECT l.value, c.is_study, c.removed, '${dim}', c.${dim}, count(*), count(*)
           FROM customers_branch_ids l JOIN customers c ON c.id = l.record_id
          GROUP BY l.value, c.is_study, c.removed, c.${dim}`,
      )
      .execute(db)
  }
}

export const m016_customer_tally_by = {
  async up(db: Db): Promise<void> {
    const pg = isPostgres(db)
    await db.schema
      .createTable(TALLY_BY_TABLE)
      .addColumn('id', pg ? 'bigserial' : 'integer', (c) => c.primaryKey())
      .addColumn('branch_id', 'integer', (c) => c.notNull())
      .addColumn('is_study', 'integer')
      .addColumn('removed', 'integer')
      .addColumn('dim', 'text', (c) => c.notNull())
      .addColumn('value', 'integer')
      .addColumn('n', 'integer', (c) => c.notNull())
      .addColumn('changes', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex(`${TALLY_BY_TABLE}_cell`)
      .on(TALLY_BY_TABLE)
      .columns(['branch_id', 'dim'])
      .execute()
    await recount(db)
    await run(db, pg ? POSTGRES_TRIGGERS : SQLITE_TRIGGERS)
  },
}
