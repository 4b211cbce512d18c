import { type FieldKind, type FieldOptions, makeKind, messages } from './kind.js'

export interface StringListOptions extends FieldOptions {
  /** `search`: keep a lower-cased shadow column for substring filters; `phone`: a digits-only one (§4.5). */
  index?: 'search' | 'phone'
}

/** `string[]` (§5.8): one string → one-element list; empty strings are dropped; elements ≤ 255. */
export function stringList(opts: StringListOptions = {}): FieldKind {
  return makeKind(
    {
      type: 'string[]',
      parse(input, label) {
        if (input === null) return { ok: true, value: [] }
        const list = Array.isArray(input) ? input : typeof input === 'object' ? null : [input]
        if (list === null) return { ok: false, message: messages.list(label) }
        const out: string[] = []
        for (const item of list) {
          if (typeof item !== 'string' && typeof item !== 'number')
            return { ok: false, message: messages.list(label) }
          const v = String(item).trim()
          // PostgreSQL cannot store U+0000 in text; refused on both databases alike.
          if (v.includes('\u0000')) return { ok: false, message: messages.invalid(label) }
          if ([...v].length > 255) {
            return { ok: false, message: `Значение «${label}» должно содержать максимум 255 символов.` }
          }
          if (v !== '' && !out.includes(v)) out.push(v)
        }
        return { ok: true, value: out }
      },
      toDb: (v) => JSON.stringify(v),
      extraColumns(v, column) {
        const list = v as string[]
        if (opts.index === 'phone')
          return { [`${column}_digits`]: list.map((p) => p.replace(/\D/g, '')).join(' ') }
        if (opts.index === 'search')
          return { [`${column}_search`]: list.map((s) => s.toLowerCase()).join('\n') }
        return {}
      },
      fromDb: (raw) => (typeof raw === 'string' ? (JSON.parse(raw) as string[]) : []),
      format: (v) => v,
      jsonSchema: () => ({ type: 'array', items: { type: 'string', maxLength: 255 } }),
    },
    opts,
    [],
  )
}
