import { m } from '../i18n'

/**
 * How the app shows values: dates `dd.mm.yyyy`, money with two decimals and the currency sign, phones
 * grouped. The API sends dates as `yyyy-mm-dd`, `dd.mm.yyyy` or `yyyy-mm-dd hh:mm:ss` by field (§5).
 */

/**
 * A non-negative number to the kopeck as Intl rounds it: its shortest decimal form (`1.005`, not the binary
 * 1.00499…), a half away from zero. Whole part and the two decimals.
 */
function toKopeck(abs: number): [string, string] {
  const text = String(abs)
  if (abs >= 1e21) return [BigInt(abs).toString(), '00']
  if (text.includes('e')) return ['0', '00'] // below 1e-6
  const [whole = '0', frac = ''] = text.split('.')
  const k = BigInt(whole + `${frac}00`.slice(0, 2)) + ((frac[2] ?? '0') >= '5' ? 1n : 0n)
  const digits = k.toString().padStart(3, '0')
  return [digits.slice(0, -2), digits.slice(-2)]
}

/**
 * `"-1234.50"` → `-1 234,50 ₽` (no-break spaces), exactly as Intl's `ru-RU` currency format writes it, but
 * without Intl: a new page's first formatter costs it 15–100 ms (measured in chromium) of loading locale
 * data, on the path of the first page. Empty for null.
 */
export function money(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return ''
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isFinite(n)) return String(value)
  const [whole, frac] = toKopeck(Math.abs(n))
  const sign = n < 0 || Object.is(n, -0) ? '-' : ''
  return `${sign}${whole.replace(/\B(?=(\d{3})+$)/g, '\u00a0')},${frac}\u00a0${m.money.sign}`
}

/** A money string as a number of kopecks, exactly (no float rounding). */
export function kopecks(value: string): number {
  const neg = value.trim().startsWith('-')
  const [whole = '0', frac = ''] = value.replace('-', '').trim().split('.')
  const k = Number(whole) * 100 + Number(`${frac}00`.slice(0, 2))
  return neg ? -k : k
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})/
const DMY = /^(\d{2})\.(\d{2})\.(\d{4})/

/** Any date or datetime the API sends → `dd.mm.yyyy`. */
export function date(value: string | null | undefined): string {
  if (!value) return ''
  const iso = ISO.exec(value)
  if (iso) return `${iso[3]}.${iso[2]}.${iso[1]}`
  return DMY.test(value) ? value.slice(0, 10) : value
}

/** A datetime → `dd.mm.yyyy hh:mm`. */
export function dateTime(value: string | null | undefined): string {
  if (!value) return ''
  const time = /\d{2}:\d{2}/.exec(value.slice(10))
  return time ? `${date(value)} ${time[0]}` : date(value)
}

/** Any date the API sends → `yyyy-mm-dd` (for filters and date inputs). */
export function isoDate(value: string | null | undefined): string {
  if (!value) return ''
  const dmy = DMY.exec(value)
  if (dmy) return `${dmy[3]}-${dmy[2]}-${dmy[1]}`
  return value.slice(0, 10)
}

/** Today in the browser's calendar as `yyyy-mm-dd`. */
export function today(): string {
  const d = new Date()
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** `79991234567`, `8 999 123 45 67` → `+7 (999) 123-45-67`; other numbers as entered. */
export function phone(value: string | null | undefined): string {
  if (!value) return ''
  const digits = value.replace(/\D/g, '')
  if (digits.length === 11 && (digits[0] === '7' || digits[0] === '8'))
    return `+7 (${digits.slice(1, 4)}) ${digits.slice(4, 7)}-${digits.slice(7, 9)}-${digits.slice(9)}`
  if (digits.length === 10 && digits[0] === '9')
    return `+7 (${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6, 8)}-${digits.slice(8)}`
  return value
}

/** A Russian plural: plural(5, ['урок', 'урока', 'уроков']) → 'уроков'. */
export function plural(n: number, forms: [string, string, string]): string {
  const a = Math.abs(n) % 100
  const b = a % 10
  if (a > 10 && a < 20) return forms[2]
  if (b > 1 && b < 5) return forms[1]
  if (b === 1) return forms[0]
  return forms[2]
}
