import { ApiError } from '../api/client'
import { m } from '../i18n'

/** A failed call in words for the user: the server's own message where it has one to show. */
export function errorText(err: unknown): string {
  if (!(err instanceof ApiError)) return m.errors.server
  if (err.status === 0) return err.message === 'timeout' ? m.errors.timeout : m.errors.network
  if (err.status === 403) return m.errors.forbidden
  if (err.status === 404) return m.errors.notFound
  if (err.status === 429) return m.errors.rate
  if (err.status >= 500) return m.errors.server
  return err.message || m.errors.server
}

/** The per-field messages of a 422, for a form's `setErrors`. */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || err.status !== 422) return {}
  return Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k, v[0] ?? '']))
}
