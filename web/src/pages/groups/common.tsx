import { notifications } from '@mantine/notifications'
import { type QueryKey, useQueryClient } from '@tanstack/react-query'
import { useEffect, useMemo, useRef, useState } from 'react'
import { useLocation, useSearch } from 'wouter'
import { errorText, fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'

/** The API's largest page (§4.2). */
export const PAGE_SIZE = 50

/** After a write: refetch every read of these models in the current branch, and say so. */
export function useRefresh() {
  const qc = useQueryClient()
  const { branch } = useSession()
  return (models: string[], message?: string) => {
    for (const model of models) void qc.invalidateQueries({ queryKey: [branch, model] as QueryKey })
    if (message) notifications.show({ color: 'green', message })
  }
}

export function notifyError(err: unknown) {
  notifications.show({ color: 'red', message: errorText(err) })
}

/**
 * A failed save: a 422's messages go next to their fields (`setErrors`), anything else into a
 * notification.
 */
export function showSaveError(err: unknown, setErrors: (e: Record<string, string>) => void) {
  const f = fieldErrors(err)
  if (Object.keys(f).length > 0) {
    setErrors(f)
    notifications.show({ color: 'red', message: m.errors.checkFields })
  } else notifications.show({ color: 'red', message: errorText(err) })
}

/**
 * A list's filters kept in the URL query string (a reload or a shared link shows the same list, Back
 * returns to the previous one). Every key is a string; absent = ''. Any change but the page's goes back to
 * the first page.
 */
export function useUrlState<K extends string>(
  keys: readonly K[],
): [Record<K | 'page', string>, (patch: Partial<Record<K | 'page', string>>, replace?: boolean) => void] {
  const search = useSearch()
  const [location, navigate] = useLocation()
  const state = useMemo(() => {
    const p = new URLSearchParams(search)
    const out = { page: p.get('page') ?? '' } as Record<K | 'page', string>
    for (const k of keys) out[k] = p.get(k) ?? ''
    return out
  }, [search, keys])
  const update = (patch: Partial<Record<K | 'page', string>>, replace = false) => {
    const next: Record<string, string> = { ...state, page: '', ...patch }
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries(next)) if (v) p.set(k, v)
    const qs = p.toString()
    navigate(`${location}${qs ? `?${qs}` : ''}`, { replace })
  }
  return [state, update]
}

/** 0-based page from the URL's 1-based `page`. */
export function pageOf(v: string): number {
  const n = Number(v)
  return Number.isInteger(n) && n > 1 ? n - 1 : 0
}

/** A text box whose value reaches `onSearch` a moment after the last keystroke; it follows the URL too. */
export function useDebouncedSearch(value: string, onSearch: (q: string, replace: boolean) => void) {
  const [text, setText] = useState(value)
  const written = useRef(value)
  const cb = useRef(onSearch)
  cb.current = onSearch
  useEffect(() => {
    if (value !== written.current) {
      written.current = value
      setText(value)
    }
  }, [value])
  useEffect(() => {
    if (text === written.current) return
    const timer = setTimeout(() => {
      const replace = written.current.trim() !== ''
      written.current = text
      cb.current(text, replace)
    }, 250)
    return () => clearTimeout(timer)
  }, [text])
  return [text, setText] as const
}

/** `18:00:00` or `18:00` → `18:00`. */
export function hm(value: string | null | undefined): string {
  const t = /(\d{1,2}):(\d{2})/.exec(value ?? '')
  return t ? `${t[1]!.padStart(2, '0')}:${t[2]}` : ''
}

/** The day before an ISO date (`yyyy-mm-dd`). */
export function dayBefore(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() - 1)
  return d.toISOString().slice(0, 10)
}

/** An ISO date plus days. */
export function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** The later of two ISO dates. */
export function later(a: string, b: string): string {
  return a > b ? a : b
}
