import type { Parsed } from './result.js'
import { fail, ok } from './result.js'

// Internal forms: date `yyyy-mm-dd`, datetime `yyyy-mm-dd hh:mm:ss` (wall clock in TZ, §5.5), time `HH:MM:SS`.

type Ymd = { y: number; m: number; d: number }
type Hms = { h: number; mi: number; s: number }
type DateTimeParts = { date: Ymd; time: Hms; offsetMinutes: number | undefined }

const DATE_DMY = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/
const DATE_ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})$/
const TIME_SRC = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?`
const TIME = new RegExp(`^${TIME_SRC}$`)
const DATE_TIME = new RegExp(
  String.raw`^(\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{1,2}-\d{1,2})(?:T|\s+)${TIME_SRC}\s*(Z|[+-]\d{2}:?\d{2})?$`,
  'i',
)
const OFFSET = /^([+-])(\d{2}):?(\d{2})$/
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

function daysInMonth(y: number, m: number): number {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  return m === 2 && leap ? 29 : (DAYS_IN_MONTH[m - 1] ?? 0)
}

/** §5.4: the date must exist and the year must be 1900–2100. */
function checkDate(y: number, m: number, d: number): Ymd | undefined {
  if (y < 1900 || y > 2100 || m < 1 || m > 12) return undefined
  return d >= 1 && d <= daysInMonth(y, m) ? { y, m, d } : undefined
}

function checkTime(h: number, mi: number, s: number): Hms | undefined {
  return h <= 23 && mi <= 59 && s <= 59 ? { h, mi, s } : undefined
}

function matchDate(s: string): Ymd | undefined {
  const dmy = DATE_DMY.exec(s)
  if (dmy) return checkDate(Number(dmy[3]), Number(dmy[2]), Number(dmy[1]))
  const iso = DATE_ISO.exec(s)
  if (iso) return checkDate(Number(iso[1]), Number(iso[2]), Number(iso[3]))
  return undefined
}

function matchTime(h: string | undefined, mi: string | undefined, s: string | undefined): Hms | undefined {
  return checkTime(Number(h), Number(mi), Number(s ?? 0))
}

function matchOffset(zone: string | undefined): number | undefined | false {
  if (zone === undefined) return undefined
  if (zone.toUpperCase() === 'Z') return 0
  const m = OFFSET.exec(zone)
  const hours = Number(m?.[2])
  const minutes = Number(m?.[3])
  if (!m || hours > 23 || minutes > 59) return false
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes)
}

function matchDateTime(s: string): DateTimeParts | undefined {
  const m = DATE_TIME.exec(s)
  if (!m) return undefined
  const date = matchDate(m[1] ?? '')
  const time = matchTime(m[2], m[3], m[4])
  const offsetMinutes = matchOffset(m[5])
  if (!date || !time || offsetMinutes === false) return undefined
  return { date, time, offsetMinutes }
}

const ymd = ({ y, m, d }: Ymd): string => `${pad(y, 4)}-${pad(m)}-${pad(d)}`
const hms = ({ h, mi, s }: Hms): string => `${pad(h)}:${pad(mi)}:${pad(s)}`

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(tz: string): Intl.DateTimeFormat {
  let formatter = formatters.get(tz)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(tz, formatter)
  }
  return formatter
}

/** The wall clock of instant `at` in time zone `tz`, as `yyyy-mm-dd hh:mm:ss`. */
function wallClock(tz: string, at: Date): string {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {}
  for (const part of formatterFor(tz).formatToParts(at)) parts[part.type] = part.value
  const { year = '', month, day, hour, minute, second } = parts
  return `${year.padStart(4, '0')}-${month}-${day} ${hour}:${minute}:${second}`
}

/** §5.4: `dd.mm.yyyy`, `yyyy-mm-dd`, or a datetime (§5.5) whose date is taken as written. */
export function parseDate(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return fail
  const s = v.trim()
  const date = matchDate(s) ?? matchDateTime(s)?.date
  return date ? ok(ymd(date)) : fail
}

export function formatDate(d: string | null, style: 'dmy' | 'iso'): string | null {
  if (d === null) return null
  const iso = d.slice(0, 10)
  return style === 'iso' ? iso : `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`
}

/** §5.5: a Z or ±hh:mm offset is converted into the wall clock of `tz`; a bare date is midnight. */
export function parseDateTime(v: unknown, tz: string): Parsed<string> {
  if (typeof v !== 'string') return fail
  const s = v.trim()
  const bareDate = matchDate(s)
  if (bareDate) return ok(`${ymd(bareDate)} 00:00:00`)
  const parts = matchDateTime(s)
  if (!parts) return fail
  if (parts.offsetMinutes === undefined) return ok(`${ymd(parts.date)} ${hms(parts.time)}`)
  const { date, time } = parts
  const instant = Date.UTC(date.y, date.m - 1, date.d, time.h, time.mi, time.s) - parts.offsetMinutes * 60_000
  const wall = wallClock(tz, new Date(instant))
  return matchDate(wall.slice(0, 10)) ? ok(wall) : fail
}

/** §5.6: `H:MM`, `HH:MM`, `HH:MM:SS`, or a datetime whose time part is used as written. */
export function parseTime(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return fail
  const s = v.trim()
  const m = TIME.exec(s)
  const time = m ? matchTime(m[1], m[2], m[3]) : matchDateTime(s)?.time
  return time ? ok(hms(time)) : fail
}

/** Accepts `HH:MM` or `HH:MM:SS`. */
export function formatTime(t: string, style: 'hm' | 'hms'): string {
  const hm = t.slice(0, 5)
  return style === 'hm' ? hm : `${hm}:${t.slice(6, 8) || '00'}`
}

/** The last second `nowParts` formatted: every request asks for the clock, most within the same second. */
let lastClock: { tz: string; second: number; parts: { date: string; dateTime: string } } | null = null

export function nowParts(tz: string, at: Date = new Date()): { date: string; dateTime: string } {
  const second = Math.floor(at.getTime() / 1000)
  if (lastClock?.second === second && lastClock.tz === tz) return { ...lastClock.parts }
  const dateTime = wallClock(tz, at)
  const parts = { date: dateTime.slice(0, 10), dateTime }
  lastClock = { tz, second, parts }
  return { ...parts }
}

// Calendar arithmetic runs on UTC midnights, so DST never shifts a day.
function toUtc(date: string): Date {
  const at = new Date(0)
  at.setUTCFullYear(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)))
  return at
}

const fromUtc = (at: Date): string =>
  ymd({ y: at.getUTCFullYear(), m: at.getUTCMonth() + 1, d: at.getUTCDate() })

export function addDays(date: string, n: number): string {
  const at = toUtc(date)
  at.setUTCDate(at.getUTCDate() + n)
  return fromUtc(at)
}

/** Keeps the day of month, clamped to the target month's last day (31.01 + 1 month → 28/29.02). */
export function addMonths(date: string, n: number): string {
  const months = Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1 + n
  const y = Math.floor(months / 12)
  const m = months - y * 12 + 1
  return ymd({ y, m, d: Math.min(Number(date.slice(8, 10)), daysInMonth(y, m)) })
}

export function addYears(date: string, n: number): string {
  return addMonths(date, 12 * n)
}

/** 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  return toUtc(date).getUTCDay() || 7
}

function secondsOf(time: string): number {
  const [h = 0, mi = 0, s = 0] = time.split(':').map(Number)
  return h * 3600 + mi * 60 + s
}

/** Whole minutes from `from` to `to` (negative when `to` is earlier), truncated toward zero. */
export function diffMinutes(from: string, to: string): number {
  return Math.trunc((secondsOf(to) - secondsOf(from)) / 60)
}

/** Wraps around midnight: 23:30:00 + 45 → 00:15:00. */
export function addMinutes(time: string, n: number): string {
  const day = 86_400
  const total = (((secondsOf(time) + n * 60) % day) + day) % day
  return hms({ h: Math.floor(total / 3600), mi: Math.floor(total / 60) % 60, s: total % 60 })
}

/** Age in full years on `today`; someone born on 29.02 turns a year older on 01.03 in common years. */
export function fullYearsBetween(dob: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(dob.slice(0, 4))
  return today.slice(5) < dob.slice(5) ? years - 1 : years
}
