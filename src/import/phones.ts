/**
 * Phone numbers as operators type them. Parta keeps a phone as text and finds it by its digits
 * (the `phone` filter compares digits only, §4.5); an import writes Russian numbers in the one form the
 * staff app shows them, `+7 (900) 123-45-67`, and compares numbers by `phoneKey`.
 */

/** The 10 digits after the country code of a Russian number (`8…`, `+7…`, or 10 digits from 9), else null. */
function russian(raw: string): string | null {
  const digits = raw.replace(/\D/g, '')
  if (digits.length === 11 && (digits[0] === '7' || digits[0] === '8')) return digits.slice(1)
  if (digits.length === 10 && digits[0] === '9' && !raw.trim().startsWith('+')) return digits
  return null
}

/** `8 (900) 123-45-67`, `+79001234567`, `9001234567` → `+7 (900) 123-45-67`; other numbers as typed. */
export function normalizePhone(raw: string): string {
  const d = russian(raw)
  if (d === null) return raw.trim().replace(/\s+/g, ' ')
  return `+7 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`
}

/** What makes two numbers the same: `79001234567` for any form of a Russian number, else its digits. */
export function phoneKey(raw: string): string {
  const d = russian(raw)
  return d === null ? raw.replace(/\D/g, '') : `7${d}`
}

/**
 * The phones of one cell: a JSON list, or numbers separated by `,`, `;`, `/` or line breaks; each
 * normalised, blanks and repeats (by key) left out.
 */
export function splitPhones(cell: string): string[] {
  let parts: unknown[]
  try {
    parts = /^\s*\[/.test(cell) ? (JSON.parse(cell) as unknown[]) : cell.split(/[,;/\n]+/)
  } catch {
    parts = cell.split(/[,;/\n]+/)
  }
  const out: string[] = []
  const keys = new Set<string>()
  for (const p of parts) {
    const text = String(p ?? '').trim()
    if (text === '') continue
    const key = phoneKey(text)
    if (key !== '' && keys.has(key)) continue
    keys.add(key)
    out.push(normalizePhone(text))
  }
  return out
}
