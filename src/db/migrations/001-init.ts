import { type Kysely, sql } from 'kysely'

/**
 * The first schema. Frozen: never edit a migration that has shipped, add a new one. It does not import
 * the model declarations; test/schema.test.ts checks that the two agree.
 *
 * Column notation: `name type`, type one of int, int?, big (kopecks), text, text?, json (a JSON list).
 */
type Db = Kysely<unknown>

const TABLES: Record<string, string> = {
  branches: 'name text, is_active int, subject_ids json, weight int',
  locations: 'branch_id int, is_active int, name text, weight int',
  customers: `branch_ids json, teacher_ids json, name text, is_study int, study_status_id int?, lead_status_id int?,
    lead_reject_id int?, customer_reject_id int?, lead_source_id int?, assigned_id int?, employee_id int?,
    legal_type int, legal_name text, company_id int?, dob text?, gender int, b_date text, e_date text,
    removed int, archived_e_date text?, note text, phone json, phone_digits text, email json, email_search text,
    web json, addr json, color text, updated_at text, balance_base big, paid_count int, last_attend_date text?`,
  subjects: 'name text, is_active int, weight int',
  study_statuses: 'name text, is_enabled int, weight int',
  lead_statuses: 'name text, is_enabled int, weight int, pipeline_id int, color text, color_id int?',
  lead_sources: 'code text, name text, is_enabled int, weight int',
  lead_rejects: 'name text, is_enabled int, weight int',
  customer_rejects: 'name text, is_enabled int, weight int',
  communications: 'type_id int, class text, related_id int, user_id int, added text, comment text',
  tasks: `company_id int?, branch_ids json, user_id int?, assigned_ids json, group_ids json, customer_ids json,
    title text, text text, is_archive int, created_at text, is_done int, is_private int, due_date text?,
    done_date text?, is_public_entry int, is_notify int, priority int`,
  rooms:
    'branch_id int, location_id int?, streaming_id int?, color_id int?, name text, note text, is_enabled int, weight int',
  lesson_types: 'name text, type int, icon text, is_active int, sort int',
  custom_fields: 'model text, code text, label text, type text, options json, weight int',
  users:
    'name text, email text, email_lc text, role text, is_v2api int, branch_ids json, is_active int, api_key_hash text',
  pay_types: 'name text',
  log: 'entity text, entity_id int, user_id int, event int, fields_old text, fields_new text, date_time text, visibility text',
}

/** Id lists kept in link tables (`{table}_{field}`) for `contains` filters and delete guards. */
const LINKS = [
  'branches_subject_ids',
  'customers_branch_ids',
  'customers_teacher_ids',
  'tasks_branch_ids',
  'tasks_assigned_ids',
  'tasks_group_ids',
  'tasks_customer_ids',
  'users_branch_ids',
]

export async function createTable(db: Db, name: string, spec: string): Promise<void> {
  const pg = isPostgres(db)
  let t = db.schema
    .createTable(name)
    .addColumn('id', pg ? 'serial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
  for (const part of spec.split(',')) {
    const [col, type] = part.trim().split(/\s+/) as [string, string]
    const nullable = type.endsWith('?')
    const base = type.replace('?', '')
    const sqlType = base === 'int' ? 'integer' : base === 'big' ? 'bigint' : 'text'
    t = t.addColumn(col, sqlType, (c) => {
      if (nullable) return c
      if (base === 'json') return c.notNull().defaultTo('[]')
      if (base === 'text') return c.notNull().defaultTo('')
      return c.notNull().defaultTo(0)
    })
  }
  await t.execute()
}

export async function createLink(db: Db, name: string): Promise<void> {
  await db.schema
    .createTable(name)
    .addColumn('record_id', 'integer', (c) => c.notNull())
    .addColumn('value', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint(`${name}_pk`, ['record_id', 'value'])
    .execute()
  await db.schema.createIndex(`${name}_value`).on(name).columns(['value', 'record_id']).execute()
}

export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter'
}

export const m001_init = {
  async up(db: Db): Promise<void> {
    for (const [name, spec] of Object.entries(TABLES)) await createTable(db, name, spec)
    for (const name of LINKS) await createLink(db, name)
    await db.schema
      .createTable('custom_values')
      .addColumn('field_id', 'integer', (c) => c.notNull())
      .addColumn('record_id', 'integer', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('custom_values_pk', ['field_id', 'record_id'])
      .execute()
    await db.schema
      .createTable('tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('log_branches')
      .addColumn('log_id', 'integer', (c) => c.notNull())
      .addColumn('branch_id', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('log_branches_pk', ['branch_id', 'log_id'])
      .execute()
    const idx: Array<[string, string, string[]]> = [
      ['tokens_user', 'tokens', ['user_id']],
      ['users_email', 'users', ['email_lc']],
      ['log_entity', 'log', ['entity', 'entity_id']],
      ['log_time', 'log', ['date_time', 'id']],
      ['customers_state', 'customers', ['removed', 'is_study', 'id']],
      ['communications_related', 'communications', ['class', 'related_id']],
      ['locations_branch', 'locations', ['branch_id']],
      ['rooms_branch', 'rooms', ['branch_id']],
      ['custom_fields_model', 'custom_fields', ['model', 'code']],
    ]
    for (const [name, table, cols] of idx) {
      const unique = name === 'users_email' || name === 'custom_fields_model'
      const b = db.schema.createIndex(name).on(table).columns(cols)
      await (unique ? b.unique() : b).execute()
    }
    // §7.26: a new database starts with the three default lesson types.
    await sql`INSERT INTO lesson_types (id, name, type, icon, is_active, sort) VALUES
      (1, 'Индивидуальный', 1, '', 1, 2), (2, 'Групповой', 2, '', 1, 1), (3, 'Пробный', 3, '', 1, 3)`.execute(
      db,
    )
    // §7.28: the fixed pay types.
    await sql`INSERT INTO pay_types (id, name) VALUES (1, 'Приход'), (2, 'Возврат'), (3, 'Расход'), (4, 'Зарплата')`.execute(
      db,
    )
    if (isPostgres(db)) {
      await sql`SELECT setval(pg_get_serial_sequence('lesson_types', 'id'), 3)`.execute(db)
      await sql`SELECT setval(pg_get_serial_sequence('pay_types', 'id'), 4)`.execute(db)
    }
  },
}
