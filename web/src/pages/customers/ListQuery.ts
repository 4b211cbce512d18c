import type { FilterOf } from '../../api/client'

/**
 * The customers list's state as it lives in the URL query string (tab, search, filters, sort, page), so
 * a reload or a shared link shows the same list and Back returns to the previous one; and that state as
 * the `customer/index` filter it asks for.
 */
export type Tab = 'students' | 'leads' | 'archive'
export const TABS: Tab[] = ['students', 'leads', 'archive']

/** The API's page size maximum (§4.2); the list never asks for more. */
export const PAGE_SIZE = 50

/** Columns the API can order by (`sort=name`, `sort=-name`). */
export type SortKey = 'name' | 'balance' | 'b_date'
export const SORT_KEYS: SortKey[] = ['name', 'balance', 'b_date']

export interface ListState {
  tab: Tab
  /** The search box as typed. */
  q: string
  studyStatus: string
  leadStatus: string
  source: string
  /** A user id, as a string. */
  assigned: string
  debtors: boolean
  noNextLesson: boolean
  /** Subscription (monthly or weekly) ending between these days, `yyyy-mm-dd` or '' (the dashboard's link). */
  tillFrom: string
  tillTo: string
  /** Created between these days, `yyyy-mm-dd` or '' (the dashboard's new leads of the week). */
  createdFrom: string
  createdTo: string
  sort: { key: SortKey; desc: boolean } | null
  /** 0-based (the URL shows it 1-based). */
  page: number
}

/** The URL keys; everything absent is the default. */
const KEY = {
  tab: 'tab',
  q: 'q',
  studyStatus: 'study_status',
  leadStatus: 'lead_status',
  source: 'source',
  assigned: 'assigned',
  debtors: 'debtors',
  noNextLesson: 'no_next_lesson',
  tillFrom: 'till_from',
  tillTo: 'till_to',
  createdFrom: 'created_from',
  createdTo: 'created_to',
  sort: 'sort',
  page: 'page',
} as const

const id = (v: string | null) => (v && /^\d+$/.test(v) ? v : '')
const day = (v: string | null) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : '')

export function readState(search: string): ListState {
  const p = new URLSearchParams(search)
  const tab = p.get(KEY.tab)
  const sort = p.get(KEY.sort) ?? ''
  const sortKey = sort.replace(/^-/, '') as SortKey
  const page = Number(p.get(KEY.page))
  return {
    tab: TABS.includes(tab as Tab) ? (tab as Tab) : 'students',
    q: p.get(KEY.q) ?? '',
    studyStatus: id(p.get(KEY.studyStatus)),
    leadStatus: id(p.get(KEY.leadStatus)),
    source: id(p.get(KEY.source)),
    assigned: id(p.get(KEY.assigned)),
    debtors: p.get(KEY.debtors) === '1',
    noNextLesson: p.get(KEY.noNextLesson) === '1',
    tillFrom: day(p.get(KEY.tillFrom)),
    tillTo: day(p.get(KEY.tillTo)),
    createdFrom: day(p.get(KEY.createdFrom)),
    createdTo: day(p.get(KEY.createdTo)),
    sort: SORT_KEYS.includes(sortKey) ? { key: sortKey, desc: sort.startsWith('-') } : null,
    page: Number.isInteger(page) && page > 1 ? page - 1 : 0,
  }
}

export function writeState(s: ListState): string {
  const p = new URLSearchParams()
  if (s.tab !== 'students') p.set(KEY.tab, s.tab)
  if (s.q) p.set(KEY.q, s.q)
  if (s.studyStatus) p.set(KEY.studyStatus, s.studyStatus)
  if (s.leadStatus) p.set(KEY.leadStatus, s.leadStatus)
  if (s.source) p.set(KEY.source, s.source)
  if (s.assigned) p.set(KEY.assigned, s.assigned)
  if (s.debtors) p.set(KEY.debtors, '1')
  if (s.noNextLesson) p.set(KEY.noNextLesson, '1')
  if (s.tillFrom) p.set(KEY.tillFrom, s.tillFrom)
  if (s.tillTo) p.set(KEY.tillTo, s.tillTo)
  if (s.createdFrom) p.set(KEY.createdFrom, s.createdFrom)
  if (s.createdTo) p.set(KEY.createdTo, s.createdTo)
  if (s.sort) p.set(KEY.sort, `${s.sort.desc ? '-' : ''}${s.sort.key}`)
  if (s.page > 0) p.set(KEY.page, String(s.page + 1))
  return p.toString()
}

/** The tab's own filter (§4.7 tri-states): students, leads, or every archived customer. */
export function tabFilter(tab: Tab): { is_study: 0 | 1 | 2; removed: 0 | 2 } {
  if (tab === 'leads') return { is_study: 0, removed: 0 }
  if (tab === 'archive') return { is_study: 2, removed: 2 }
  return { is_study: 1, removed: 0 }
}

/**
 * What the search box asks for: a phone when it is only digits (at least 3, spaces, `+`, brackets and
 * dashes ignored: `123-45-67`, `+7 (999) 123`), a name otherwise.
 */
export function searchFilter(q: string): { phone?: string; name?: string } {
  const text = q.trim()
  if (!text) return {}
  const digits = text.replace(/[\s+()-]/g, '')
  // A whole Russian number matches however it was stored: `8 912 …` and `+7 912 …` alike.
  if (/^[78]\d{10}$/.test(digits)) return { phone: digits.slice(1) }
  if (/^\d{3,}$/.test(digits)) return { phone: digits }
  return { name: text }
}

/** A `customer/index` filter (with the `sort` and `has_next_lesson` extensions). */
export type CustomerQuery = FilterOf<'customer'>

/** The `customer/index` filter of a state, without paging (the list and the CSV export share it). */
export function listFilter(s: ListState): CustomerQuery {
  const f: CustomerQuery = { ...tabFilter(s.tab), ...searchFilter(s.q) }
  if (s.studyStatus && s.tab !== 'leads') f.study_status_id = Number(s.studyStatus)
  if (s.leadStatus && s.tab !== 'students') f.lead_status_id = Number(s.leadStatus)
  if (s.source) f.lead_source_id = Number(s.source)
  if (s.assigned) f.assigned_id = Number(s.assigned)
  if (s.debtors) f.balance_contract_to = '-0.01'
  if (s.noNextLesson) f.has_next_lesson = 0
  if (s.tillFrom) f.tariff_till_from = s.tillFrom
  if (s.tillTo) f.tariff_till_to = s.tillTo
  if (s.createdFrom) f.date_from = s.createdFrom
  if (s.createdTo) f.date_to = s.createdTo
  if (s.sort) f.sort = `${s.sort.desc ? '-' : ''}${s.sort.key}`
  return f
}

/** The `customer/index` body of the list's page as the address `search` shows it (the boot script asks it early). */
export function listRead(s: ListState): CustomerQuery {
  return { ...listFilter(s), page: s.page, count: PAGE_SIZE }
}

export const firstListRead = (search: string): CustomerQuery => listRead(readState(search))

/** Whether anything narrows the tab (a search or a filter): the empty state offers to clear it. */
export function isNarrowed(s: ListState): boolean {
  return !!(
    s.q.trim() ||
    s.studyStatus ||
    s.leadStatus ||
    s.source ||
    s.assigned ||
    s.debtors ||
    s.noNextLesson ||
    s.tillFrom ||
    s.tillTo ||
    s.createdFrom ||
    s.createdTo
  )
}
