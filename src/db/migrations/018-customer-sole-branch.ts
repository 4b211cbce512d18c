import { type Kysely, sql } from 'kysely'
import { isPostgres } from './001-init.js'
import { run, type TallyTriggers, withoutTriggers } from './014-customer-tally.js'
import { TALLY_BY_DIMS } from './016-customer-tally-by.js'

/**
 * Issue 15: a customer's branch, kept on its row when it has exactly one.
 *
 * Whether a customer belongs to the path's branch is a question to `customers_branch_ids`, one index
 * lookup per customer (engine/repository `visibleIn`). A page asks it 50 times; a count of a filter that
 * kept cells cannot answer (two counted fields, a range) asks it once per match: at 1 000 000 customers,
 * half a million lookups, 1.2–2.0 s, the tail of the mixed traffic. Almost every customer has one
 * branch, so `sole_branch_id` holds it (null with none or several) and the test reads the row, or the
 * index entry: `sole_branch_id = b OR (sole_branch_id IS NULL AND EXISTS (link))`. `customers_counted`
 * (017) is made again with the column before the id, so such a count reads index entries only
 * (`INDEXES`).
 *
 * Triggers on the links keep it, in the transaction of every change, whoever makes it; a customer
 * inserted after its links (a bulk load) gets it from them. They write the row only when the value
 * changes. On PostgreSQL a link's trigger first locks its customer's row for update (named so it runs
 * before 014's and 016's, which then share-lock a row it holds), so two transactions changing one
 * customer's links are ordered and the later one's count sees the earlier one's links (READ COMMITTED:
 * each statement of the function reads what is committed when it starts). The API's own writes lock the
 * customer first anyway (engine/repository `findVisible`).
 * Frozen once shipped.
 */
type Db = Kysely<unknown>

export const SOLE_BRANCH_COLUMN = 'sole_branch_id'

/** The branch of customer `id` (an expression) from its links, null unless it has exactly one. */
const soleOf = (id: string) =>
  `(SELECT CASE WHEN count(*) = 1 THEN min(value) END FROM customers_branch_ids WHERE record_id = ${id})`

/**
 * Sets customer `id`'s column from its links when it differs (`differ`: the dialect's IS NOT). The
 * subquery twice, not `UPDATE … FROM` it: in a SQLite trigger that form cost ~250 µs a row, a customer
 * create 1.3 ms instead of 0.5 (measured on 100 000 customers); each subquery is one index seek.
 */
const refresh = (id: string, differ: string) =>
  `UPDATE customers SET ${SOLE_BRANCH_COLUMN} = ${soleOf(id)}
    WHERE id = ${id} AND ${SOLE_BRANCH_COLUMN} ${differ} ${soleOf(id)}`

const SQLITE_TRIGGERS = [
  `CREATE TRIGGER customers_sole_branch_link_in AFTER INSERT ON customers_branch_ids BEGIN
     ${refresh('NEW.record_id', 'IS NOT')};
   END`,
  `CREATE TRIGGER customers_sole_branch_link_out AFTER DELETE ON customers_branch_ids BEGIN
     ${refresh('OLD.record_id', 'IS NOT')};
   END`,
  `CREATE TRIGGER customers_sole_branch_link_move AFTER UPDATE ON customers_branch_ids BEGIN
     ${refresh('OLD.record_id', 'IS NOT')};
     ${refresh('NEW.record_id', 'IS NOT')};
   END`,
  `CREATE TRIGGER customers_sole_branch_in AFTER INSERT ON customers BEGIN
     ${refresh('NEW.id', 'IS NOT')};
   END`,
  `CREATE TRIGGER customers_sole_branch_move AFTER UPDATE OF id ON customers WHEN OLD.id IS NOT NEW.id BEGIN
     ${refresh('NEW.id', 'IS NOT')};
   END`,
]

const lockThenRefresh = (id: string) => `PERFORM 1 FROM customers WHERE id = ${id} FOR UPDATE;
       ${refresh(id, 'IS DISTINCT FROM')};`

const POSTGRES_TRIGGERS = [
  `CREATE FUNCTION customers_sole_branch_link() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP <> 'INSERT' THEN
       ${lockThenRefresh('OLD.record_id')}
     END IF;
     IF TG_OP <> 'DELETE' THEN
       ${lockThenRefresh('NEW.record_id')}
     END IF;
     RETURN NULL;
   END $$`,
  `CREATE FUNCTION customers_sole_branch_customer() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'UPDATE' AND OLD.id = NEW.id THEN RETURN NULL; END IF;
     ${refresh('NEW.id', 'IS DISTINCT FROM')};
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER customers_sole_branch_link AFTER INSERT OR UPDATE OR DELETE ON customers_branch_ids
     FOR EACH ROW EXECUTE FUNCTION customers_sole_branch_link()`,
  `CREATE TRIGGER customers_sole_branch_in AFTER INSERT OR UPDATE OF id ON customers
     FOR EACH ROW EXECUTE FUNCTION customers_sole_branch_customer()`,
]

const TRIGGERS: TallyTriggers = {
  sqlite: SQLITE_TRIGGERS,
  postgres: POSTGRES_TRIGGERS,
  sqliteDrop: ['link_in', 'link_out', 'link_move', 'in', 'move'].map(
    (t) => `DROP TRIGGER IF EXISTS customers_sole_branch_${t}`,
  ),
  postgresDrop: [
    'DROP TRIGGER IF EXISTS customers_sole_branch_link ON customers_branch_ids',
    'DROP TRIGGER IF EXISTS customers_sole_branch_in ON customers',
  ],
}

/**
 * The indexes made again with the column: 017's, for counts; and 001's `customers_state`, after the id
 * so it keeps its order. Both must carry it, or SQLite's planner, which has no statistics here, finds a
 * scan of all of `customers_counted` (covering the branch test) cheaper than seeks by id into
 * `customers_state` (which is not): a phone search's matches, probed by id, became a scan of the state
 * (measured at 1 000 000: 2.8 → 46 ms).
 */
const INDEXES: Array<[string, string[]]> = [
  ['customers_counted', ['removed', 'is_study', ...TALLY_BY_DIMS, SOLE_BRANCH_COLUMN, 'id']],
  ['customers_state', ['removed', 'is_study', 'id', SOLE_BRANCH_COLUMN]],
]

/** Every customer's column set from its links, where it differs (one pass over the links). */
async function fill(db: Db): Promise<void> {
  const differ = isPostgres(db) ? 'IS DISTINCT FROM' : 'IS NOT'
  await sql
    .raw(
      `UPDATE customers SET ${SOLE_BRANCH_COLUMN} = s.branch
         FROM (SELECT record_id, CASE WHEN count(*) = 1 THEN min(value) END AS branch
                 FROM customers_branch_ids GROUP BY record_id) s
        WHERE customers.id = s.record_id AND customers.${SOLE_BRANCH_COLUMN} ${differ} s.branch`,
    )
    .execute(db)
  await sql
    .raw(
      `UPDATE customers SET ${SOLE_BRANCH_COLUMN} = NULL
        WHERE ${SOLE_BRANCH_COLUMN} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM customers_branch_ids l WHERE l.record_id = customers.id)`,
    )
    .execute(db)
}

/** For a bulk load (seed): the triggers off while `load` writes customers and links, then `fill`. */
export function withoutSoleBranch(db: Db, load: () => Promise<void>): Promise<void> {
  return withoutTriggers(db, TRIGGERS, fill, load)
}

export const m018_customer_sole_branch = {
  async up(db: Db): Promise<void> {
    const pg = isPostgres(db)
    await db.schema.alterTable('customers').addColumn(SOLE_BRANCH_COLUMN, 'integer').execute()
    await fill(db)
    await run(db, pg ? POSTGRES_TRIGGERS : SQLITE_TRIGGERS)
    for (const [name, columns] of INDEXES) {
      await db.schema.dropIndex(name).execute()
      await db.schema.createIndex(name).on('customers').columns(columns).execute()
    }
  },
}
