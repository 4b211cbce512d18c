import { fail } from '../errors.js'
import { parseInt32 } from '../wire/numbers.js'
import type { RequestInput } from './model.js'

/** Record id of update/delete/restore (§1.8): query `id`, else body `id`; missing → 400 when required. */
export function readId(input: RequestInput, required: boolean): number | null {
  const raw = input.query.id !== undefined && input.query.id !== '' ? input.query.id : input.body.id
  if (raw === undefined || raw === null || raw === '') {
    if (required) throw fail.missing('id')
    return null
  }
  const r = parseInt32(raw)
  if (!r.ok) {
    if (required) throw fail.badParam('id')
    return null
  }
  return r.value
}
