import { fail } from '../errors.js'
import { parseInt32 } from '../wire/numbers.js'
import type { RequestInput } from './model.js'

/** Keys that are paging, never filters (§4.2, §4.4). */
export const PAGING_KEYS = new Set(['page', 'count', 'per-page', 'pageSize', 'page_size', 'per_page'])

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
