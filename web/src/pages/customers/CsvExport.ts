import type { RecordOf, V2Api } from '../../api/client'
import { m } from '../../i18n'
import { dateTime, phone } from '../../lib/format'
import { type CustomerQuery, PAGE_SIZE } from './ListQuery'

type Customer = RecordOf<'customer'>

/** Above this many rows the export asks first: it is many requests and a large file. */
export const CONFIRM_ROWS = 20_000
/** Pages read at once: fast enough, and still polite to a server other people use. */
const CONCURRENCY = 3

/** Stopped by the user: the export ends without a file. */
export class Canceled extends Error {
  constructor() {
    super('canceled')
    this.name = 'Canceled'
  }
}

/**
 * Every customer of a filter in its order: page 0 tells the total, the other pages are read a few at a
 * time. `signal` stops it between pages; a record seen twice (the data changed meanwhile) is kept once.
 */
export async function readAll(
  api: V2Api,
  filter: CustomerQuery,
  opts: { signal: AbortSignal; onProgress(done: number, total: number): void },
): Promise<Customer[]> {
  const page = (n: number) => {
    if (opts.signal.aborted) throw new Canceled()
    return api.index('customer', { ...filter, page: n, count: PAGE_SIZE })
  }
  const first = await page(0)
  const pages: Customer[][] = [first.items]
  const last = Math.ceil(first.total / PAGE_SIZE)
  let done = first.items.length
  opts.onProgress(done, first.total)
  let next = 1
  const worker = async () => {
    while (next < last) {
      const n = next++
      const r = await page(n)
      pages[n] = r.items
      done += r.items.length
      opts.onProgress(Math.min(done, first.total), first.total)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  if (opts.signal.aborted) throw new Canceled()
  const seen = new Set<number>()
  const out: Customer[] = []
  for (const items of pages)
    for (const c of items ?? [])
      if (!seen.has(c.id)) {
        seen.add(c.id)
        out.push(c)
      }
  return out
}

/**
 * One CSV value: quoted when it holds the separator, a quote or a line break (quotes doubled). A text
 * that a spreadsheet would run as a formula (`=…`, `@…`, `+…`, `-…`) gets a leading apostrophe.
 */
export function csvCell(value: string | number | null | undefined, text = true): string {
  let s = value === null || value === undefined ? '' : String(value)
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[;"\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** Money as Russian Excel reads a number: `-1234,50`. */
const decimal = (v: string) => v.replace('.', ',')

/** A phone cell: `+7 (…)` is a phone, not a formula, so only `=` and `@` are guarded there. */
const phones = (list: string[]) => {
  const s = list.map(phone).join(', ')
  return csvCell(/^[=@]/.test(s) ? `'${s}` : s, false)
}

export interface Names {
  status(c: Customer): string
  source(c: Customer): string
}

/** The file: UTF-8 with a BOM (Excel then reads Cyrillic right), `;`-separated, CRLF lines. */
export function customersCsv(rows: Customer[], names: Names): string {
  const lines = [m.customers.csv.header.map((h) => csvCell(h)).join(';')]
  for (const c of rows)
    lines.push(
      [
        csvCell(c.id, false),
        csvCell(c.name),
        phones(c.phone),
        csvCell(c.email.join(', ')),
        csvCell(decimal(c.balance), false),
        csvCell(c.paid_lesson_count, false),
        csvCell(dateTime(c.next_lesson_date), false),
        csvCell(names.status(c)),
        csvCell(names.source(c)),
        csvCell(dateTime(c.b_date), false),
      ].join(';'),
    )
  return `\uFEFF${lines.join('\r\n')}\r\n`
}

/** Hands the text to the browser as a download. */
export function download(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
