import { AppError, fail } from '../errors.js'

/** Unique indexes whose violation is a client error: the field it concerns and its label (§3.8). */
const UNIQUE: Record<string, { key: string; label: string }> = {
  users_email: { key: 'email', label: 'E-mail' },
  custom_fields_model: { key: 'code', label: 'Код' },
}

interface DbError {
  code?: string
  constraint?: string
  message?: string
}

/**
 * Database errors become meanings at the boundary. A unique violation that slipped past the
 * model's own check (two concurrent creates) is the same 422 the check gives; anything else stays
 * an internal error.
 */
export function translateDbError(err: unknown): AppError | null {
  if (err instanceof AppError || typeof err !== 'object' || err === null) return null
  const e = err as DbError
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
 * PostgreSQL asks the client to retry a transaction that lost a deadlock or serialization race; SQLite
 * reports a lock it waited for in vain (busy_timeout) as SQLITE_BUSY*.
 */
export function isRetryable(err: unknown): boolean {
  const code = (err as DbError | null)?.code
  return code === '40001' || code === '40P01' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY'))
}
