import type { Parsed } from './result.js'
import { fail, ok } from './result.js'

const INT32_MIN = -2_147_483_648
const INT32_MAX = 2_147_483_647
const INT_STRING = /^[+-]?\d+$/
const PLAIN_DECIMAL = /^([+-]?)(\d+)(?:[.,](\d+))?$/
// What String(n) produces for a finite number, exponent notation included (1e-7, 1.5e+21).
const JS_NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/
// §5.3: absolute value below 10^12, in kopecks.
const MONEY_LIMIT = 100_000_000_000_000
const MONEY_MAX_INT_DIGITS = 12

type Decimal = { negative: boolean; int: string; frac: string }

/** §5.1: integers, JSON numbers without fraction (5.0), and strings of digits with an optional sign. */
export function parseInt32(v: unknown): Parsed<number> {
  let n = Number.NaN
  if (typeof v === 'number') n = v
  else if (typeof v === 'string' && INT_STRING.test(v.trim())) n = Number(v.trim())
  if (!Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) return fail
  return ok(n === 0 ? 0 : n)
}

function decimalFromJsNumber(n: number): Decimal | undefined {
  const m = Number.isFinite(n) ? JS_NUMBER.exec(String(n)) : null
  if (!m) return undefined
  const intDigits = m[2] ?? ''
  const digits = intDigits + (m[3] ?? '')
  const point = intDigits.length + Number(m[4] ?? 0)
  const shifted = point <= 0 ? '0'.repeat(-point) + digits : digits.padEnd(point, '0')
  const at = Math.max(point, 0)
  return { negative: m[1] === '-', int: shifted.slice(0, at), frac: shifted.slice(at) }
}

function decimalOf(v: unknown): Decimal | undefined {
  if (typeof v === 'number') return decimalFromJsNumber(v)
  if (typeof v !== 'string') return undefined
  const m = PLAIN_DECIMAL.exec(v.trim())
  return m ? { negative: m[1] === '-', int: m[2] ?? '', frac: m[3] ?? '' } : undefined
}

/** Rounds on the decimal digits themselves, so no binary-float error can creep in. */
function toHundredths({ negative, int, frac }: Decimal): number | undefined {
  const intDigits = int.replace(/^0+/, '')
  if (intDigits.length > MONEY_MAX_INT_DIGITS) return undefined
  const roundsUp = (frac[2] ?? '0') >= '5'
  const abs = Number(intDigits || '0') * 100 + Number(frac.slice(0, 2).padEnd(2, '0')) + (roundsUp ? 1 : 0)
  if (abs >= MONEY_LIMIT) return undefined
  return negative && abs !== 0 ? -abs : abs
}

/** §5.3: money as an integer number of kopecks; more than two decimals round half away from zero. */
export function parseMoney(v: unknown): Parsed<number> {
  const decimal = decimalOf(v)
  const kopecks = decimal && toHundredths(decimal)
  return kopecks === undefined ? fail : ok(kopecks)
}

/** §5: `number` fields keep at most two decimals, rounded like money. */
export function parseNumber(v: unknown): Parsed<number> {
  const hundredths = parseMoney(v)
  return hundredths.ok ? ok(hundredths.value / 100) : fail
}

/** §5.3: `"575.00"`, `"-0.05"`; a bigint for sums that may pass 2^53 kopecks. */
export function formatMoney(kopecks: number | bigint): string {
  if (typeof kopecks === 'bigint') {
    const abs = kopecks < 0n ? -kopecks : kopecks
    return `${kopecks < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`
  }
  const abs = Math.abs(Math.trunc(kopecks))
  const sign = kopecks < 0 && abs !== 0 ? '-' : ''
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** Exact integer division rounded half away from zero (§5.3 round2 on kopecks). Throws on non-integers. */
export function roundDiv(numerator: number | bigint, denominator: number | bigint): number {
  const n = BigInt(numerator)
  const d = BigInt(denominator)
  if (d === 0n) throw new RangeError('roundDiv: division by zero')
  const quotient = n / d
  const remainder = n % d
  const twiceRemainder = 2n * (remainder < 0n ? -remainder : remainder)
  if (twiceRemainder < (d < 0n ? -d : d)) return Number(quotient)
  return Number(quotient + (n < 0n !== d < 0n ? -1n : 1n))
}

/** round(a × b ÷ denominator) without the product ever passing through a float (§6.2 percent discounts). */
export function mulDiv(a: number, b: number, denominator: number): number {
  return roundDiv(BigInt(a) * BigInt(b), denominator)
}

const BOOL_STRINGS: Record<string, 0 | 1> = { '1': 1, '0': 0, true: 1, false: 0 }

/** §5.2 */
export function parseBool(v: unknown): Parsed<0 | 1> {
  if (v === true || v === 1) return ok(1)
  if (v === false || v === 0) return ok(0)
  if (typeof v !== 'string') return fail
  const key = v.trim().toLowerCase()
  const value = Object.hasOwn(BOOL_STRINGS, key) ? BOOL_STRINGS[key] : undefined
  return value === undefined ? fail : ok(value)
}

/** §3.8: the form of the word that goes with n — ['символ', 'символа', 'символов']. */
export function pluralRu(n: number, forms: [one: string, few: string, many: string]): string {
  const abs = Math.abs(Math.trunc(n))
  const lastTwo = abs % 100
  const last = abs % 10
  if (last === 1 && lastTwo !== 11) return forms[0]
  if (last >= 2 && last <= 4 && (lastTwo < 12 || lastTwo > 14)) return forms[1]
  return forms[2]
}
