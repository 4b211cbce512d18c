/** The outcome of parsing one wire value: the value, or a failure the caller turns into its own message. */
export type Parsed<T> = { ok: true; value: T } | { ok: false }

export const fail: { readonly ok: false } = Object.freeze({ ok: false })

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value }
}
