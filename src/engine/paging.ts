import { fail } from '../errors.js'
import { parseInt32 } from '../wire/numbers.js'
import type { RequestInput } from './model.js'

/** [ext] The cursor of a full download: rows with a greater id, in id order (issue 16). */
export const AFTER_ID = 'after_id'

/** Keys that are paging, never filters (§4.2, §4.4); `after_id` too [ext]. */
export const PAGING_KEYS = new Set([
  'page',
  'count',
  'per-page',
  'pageSize',
  'page_size',
  'per_page',
  AFTER_ID,
])

const present = (v: unknown) => v !== undefined && v !== null && v !== ''

/** Page (§4.1) and page size (§4.2), looked up in the spec's order and clamped. */
export function readPaging(input: RequestInput, maxPageSize: number): { page: number; size: number } {
  const rawPage = present(input.body.page) ? input.body.page : input.query.page
  let page = 0
  if (present(rawPage)) {
    const r = parseInt32(rawPage)
    if (!r.ok) throw fail.badParam('page')
    page = Math.max(0, r.value)
  }
  const candidates: Array<[string, unknown]> = [
    ['per-page', input.query['per-page']],
    ...['count', 'per-page', 'pageSize', 'page_size', 'per_page'].map((k): [string, unknown] => [
      k,
      input.body[k],
    ]),
    ...['count', 'pageSize', 'page_size', 'per_page'].map((k): [string, unknown] => [k, input.query[k]]),
  ]
  const found = candidates.find(([, v]) => present(v))
  let size = Math.min(50, maxPageSize)
  if (found) {
    const r = parseInt32(found[1])
    if (!r.ok) throw fail.badParam(found[0])
    size = Math.min(Math.max(r.value, 1), maxPageSize)
  }
  return { page, size }
}

/**
 * `after_id` [ext], from the body, else the query: an id (0 for the start), or null when absent. A
 * download by this cursor reads each page by the primary key from where the last one ended, so 1M rows
 * cost O(n) in all, and rows written meanwhile never shift it (no row skipped or repeated).
 */
export function readAfterId(input: RequestInput): number | null {
  const raw = present(input.body[AFTER_ID]) ? input.body[AFTER_ID] : input.query[AFTER_ID]
  if (!present(raw)) return null
  const r = parseInt32(raw)
  if (!r.ok || r.value < 0) throw fail.badParam(AFTER_ID)
  return r.value
}
