import { addDays, isoWeekday } from '../wire/dates.js'
import type { Rng } from './random.js'

/**
 * The generated school's time frame, relative to "today" in the server's time zone: a term that began
 * ten weeks ago on a Monday and runs three more weeks, so there are conducted lessons behind and
 * planned ones ahead, and a history of three years for customers' creation dates.
 */
export interface Term {
  today: string
  start: string
  end: string
  founded: string
}

export const TERM_WEEKS_BEHIND = 10
export const TERM_WEEKS_AHEAD = 3

export function termAround(today: string): Term {
  const monday = addDays(today, 1 - isoWeekday(today))
  const start = addDays(monday, -7 * TERM_WEEKS_BEHIND)
  return { today, start, end: addDays(monday, 7 * TERM_WEEKS_AHEAD - 1), founded: addDays(today, -3 * 365) }
}

export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000)
}

/** A date in [from, to] (inclusive); `from` when the range is empty. */
export function dateIn(rng: Rng, from: string, to: string): string {
  const span = daysBetween(from, to)
  return span <= 0 ? from : addDays(from, rng.int(0, span))
}

const two = (n: number) => String(n).padStart(2, '0')

/** A wall-clock datetime on the date during opening hours (09:00–21:00). */
export function timeOn(rng: Rng, date: string): string {
  return `${date} ${two(rng.int(9, 20))}:${two(rng.int(0, 59))}:${two(rng.int(0, 59))}`
}

export const clock = (minutes: number) => `${two(Math.floor(minutes / 60))}:${two(minutes % 60)}:00`
