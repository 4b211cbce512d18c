import { linkTable, type Registry } from '../engine/model.js'
import { AppError, fail } from '../errors.js'
import { messages } from '../fields/kind.js'

/** Unique indexes whose violation is a client error: the field it concerns and its label (§3.8). */
const UNIQUE: Record<string, { key: string; label: string }> = {
  users_email: { key: 'email', label: 'E-mail' },
  custom_fields_model: { key: 'code', label: 'Код' },
}

/** Tables whose rows are part of another model's records: the slug a refused delete names (§6.9). */
const PART_OF: Record<string, string> = { lesson_details: 'lesson' }

interface DbError {
  code?: string
  constraint?: string
  message?: string
  table?: string
  detail?: string
}

/**
 * Database errors become meanings at the boundary. A unique or foreign key violation that slipped past
 * the model's own check (a concurrent write committed after it) is the same 422 the check gives;
 * anything else stays an internal error.
 */
export function translateDbError(err: unknown, models: Registry): AppError | null {
  if (err instanceof AppError || typeof err !== 'object' || err === null) return null
  const e = err as DbError
  if (e.code === '23503') return foreignKeyError(e, models)
  // PostgreSQL's statement_timeout (STATEMENT_TIMEOUT_MS) cancelled the statement.
  if (e.code === '57014') return fail.tooSlow()
  const isUnique = e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE'
  if (!isUnique) return null
  const name =
    e.constraint ??
    (e.message?.includes('users.email_lc')
      ? 'users_email'
      : e.message?.includes('custom_fields.')
        ? 'custom_fields_model'
        : '')
  const field = UNIQUE[name]
  if (!field) return null
  return fail.field(field.key, `Значение для «${field.label}» уже занято.`)
}

/**
 * PostgreSQL's foreign keys (migration 006, named `{table}_{column}_fkey`; `table` is the referencing
 * one). A write that names a row which is gone: the §2.6 422 of that field, as for an unknown id. A
 * delete of a row still named: the §6.9 refusal naming the referencing slug. The detail tells them
 * apart by the key it shows — the referenced `id` for a delete (every key references `id`), the
 * referencing column for a write — in a form that does not depend on the server's locale.
 */
function foreignKeyError(e: DbError, models: Registry): AppError | null {
  const table = e.table ?? ''
  const name = e.constraint ?? ''
  if (!name.startsWith(`${table}_`) || !name.endsWith('_fkey')) return null
  const column = name.slice(table.length + 1, -'_fkey'.length)
  const isDelete = /\((\w+)\)=\(/.exec(e.detail ?? '')?.[1] === 'id'
  for (const model of models.values()) {
    const field =
      model.table === table
        ? model.columns.find(([, kind]) => kind.column === column)?.[0]
        : model.links.find((link) => linkTable(model, link) === table && column === 'value')
    if (!field) continue
    if (isDelete) return fail.field('id', messages.referenced(model.slug))
    return fail.field(field, messages.invalid(model.fields[field]!.label))
  }
  const owner = PART_OF[table]
  return owner && isDelete ? fail.field('id', messages.referenced(owner)) : null
}

/**
 * PostgreSQL asks the client to retry a transaction that lost a deadlock or serialization race; SQLite
 * reports a lock it waited for in vain (busy_timeout) as SQLITE_BUSY*. A foreign key violation is run
 * again too: the write's checks passed before a concurrent delete of the row it names committed, and
 * run again they see that delete and answer what a sequential run answers (a 422, or a lesson charged
 * through another subscription).
 */
export function isRetryable(err: unknown): boolean {
  const code = (err as DbError | null)?.code
  return (
    code === '40001' ||
    code === '40P01' ||
    code === '23503' ||
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY'))
  )
}
