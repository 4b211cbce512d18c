import type { Parsed } from './result.js'
import { fail, ok } from './result.js'

/**
 * A form or query container while it is built. Keys keep insertion order (as PHP arrays do), and
 * numeric keys stay keys: `a[99999999]=1` never allocates a sparse array.
 */
type FormNode = { entries: Map<string, FormNode | string>; nextIndex: number }

// Brackets after the name; PHP drops a variable nested deeper than its limit, and so do we.
const MAX_DEPTH = 5
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const INDEX = /^(?:0|[1-9]\d{0,8})$/
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded'

/** `+` is a space; a malformed percent sequence is kept as written instead of throwing. */
function decodeComponent(s: string): string {
  return s.replace(/\+/g, ' ').replace(PERCENT_RUN, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}

/** `a[b][]` → ['a', 'b', '']; undefined when the pair must be dropped. */
function splitKey(key: string): string[] | undefined {
  const open = key.indexOf('[')
  const name = open > 0 && key.indexOf(']', open) > 0 ? key.slice(0, open) : key
  const path = [name]
  const brackets = /\[([^\]]*)\]/y
  brackets.lastIndex = name.length
  for (let m = brackets.exec(key); m; m = brackets.exec(key)) path.push(m[1] ?? '')
  if (name === '' || path.length - 1 > MAX_DEPTH) return undefined
  return path.some((part) => FORBIDDEN_KEYS.has(part)) ? undefined : path
}

const newNode = (): FormNode => ({ entries: new Map(), nextIndex: 0 })

/** PHP: `[]` appends after the largest numeric key so far. */
function resolveKey(node: FormNode, part: string): string {
  const key = part === '' ? String(node.nextIndex) : part
  if (INDEX.test(key)) node.nextIndex = Math.max(node.nextIndex, Number(key) + 1)
  return key
}

function assign(root: FormNode, path: string[], value: string): void {
  let node = root
  const last = path.length - 1
  for (const [i, part] of path.entries()) {
    const key = resolveKey(node, part)
    if (i === last) {
      node.entries.set(key, value)
      return
    }
    const child = node.entries.get(key)
    // A later nested key replaces an earlier plain value, as in PHP.
    const next = typeof child === 'object' ? child : newNode()
    node.entries.set(key, next)
    node = next
  }
}

const toPlain = (entry: FormNode | string): unknown =>
  typeof entry === 'string' ? entry : toListOrObject(entry)

function toObject(node: FormNode): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, entry] of node.entries) out[key] = toPlain(entry)
  return out
}

function toListOrObject(node: FormNode): unknown[] | Record<string, unknown> {
  const isList = [...node.entries.keys()].every((key) => INDEX.test(key))
  return isList ? [...node.entries.values()].map(toPlain) : toObject(node)
}

/**
 * §1.7 PHP conventions: `a[]=1&a[]=2` and `a[0]=1&a[1]=2` → arrays (numeric indices in order of
 * appearance), `d[x]=1` → object, a repeated plain key keeps the last value, commas are not split.
 * Pairs naming `__proto__`/`constructor`/`prototype`, or nested deeper than 5 brackets, are dropped.
 */
export function parseQueryString(qs: string): Record<string, unknown> {
  const root = newNode()
  for (const pair of qs.replace(/^\?/, '').split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const rawKey = eq < 0 ? pair : pair.slice(0, eq)
    const path = splitKey(decodeComponent(rawKey))
    if (path) assign(root, path, eq < 0 ? '' : decodeComponent(pair.slice(eq + 1)))
  }
  return toObject(root)
}

function isForm(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === FORM_MEDIA_TYPE
}

/**
 * Whether broken JSON sent as a form (curl's `-d` default) is really a form: `a=1&b[]=2`. A body that
 * starts like JSON, or whose keys hold JSON's braces and quotes, is a JSON typo, not a form naming a
 * key `{"name":` — reading it as one would silently drop every filter of the request.
 */
function looksLikeForm(text: string): boolean {
  if (/^[[{"]/.test(text)) return false
  return text.split('&').every((pair) => {
    const key = pair.split('=', 1)[0] ?? ''
    return pair === '' || (key !== '' && !/[{}"]/.test(key))
  })
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** §1.6: the body is read the same whatever the Content-Type says, except for the form fallback. */
export function parseBody(raw: string, contentType: string | undefined): Parsed<Record<string, unknown>> {
  const text = (raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw).trim()
  if (text === '') return ok({})
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return isForm(contentType) && looksLikeForm(text) ? ok(parseQueryString(text)) : fail
  }
  if (parsed === null || parsed === '' || (Array.isArray(parsed) && parsed.length === 0)) return ok({})
  return isPlainObject(parsed) ? ok(parsed) : fail
}

// With the `u` flag a surrogate pair is one code point, so only a lone surrogate matches.
const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * Whether a parsed value holds a string with a lone UTF-16 surrogate (`"\ud800x"`, valid JSON) anywhere
 * inside it. Such text has no UTF-8 form: SQLite would store invalid bytes and PostgreSQL U+FFFD, so
 * writes refuse it on both.
 */
export function hasLoneSurrogate(value: unknown): boolean {
  const stack = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return true
    } else if (v !== null && typeof v === 'object') {
      for (const item of Object.values(v)) stack.push(item)
    }
  }
  return false
}
