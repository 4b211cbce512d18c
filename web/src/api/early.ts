/**
 * Reads started before the app's code is in. The boot script (`web/src/boot.ts`, a few kilobytes) asks
 * the server who is signed in and, on a page whose first read it can tell from the address alone, that
 * read too — while the browser is still fetching and running the app's half a megabyte of script. The
 * client (`V2Api.post`) then takes such a reply instead of sending the same call again: a call matches
 * when its address and its JSON body are the very same text. Each reply is taken once, and only while
 * it is young, so nothing older than a page load is ever shown as current.
 */

/** A reply as it came: what `V2Api.post` reads from a `fetch` Response. */
export interface RawReply {
  status: number
  statusText: string
  text: string
}

interface Early {
  started: number
  reply: Promise<RawReply>
  settled: RawReply | null
}

/** An early reply older than this is not used (the call is sent again). */
const MAX_AGE_MS = 10_000
/** The boot script starts two or three; the bound keeps a mistake from growing the table. */
const MAX_EARLY = 8

const early = new Map<string, Early>()
const keyOf = (url: string, body: string) => `${url}\n${body}`

/** The headers of the app's calls: JSON, and the one a cross-site form cannot send (with the cookie). */
export function callHeaders(token?: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) headers['x-alfacrm-token'] = token
  else headers['x-parta-csrf'] = '1'
  return headers
}

/** POSTs a JSON text; the reply's status and text, or a rejection for a network error or the timeout. */
export async function postText(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<RawReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body,
    credentials: 'same-origin',
    signal: AbortSignal.timeout(timeoutMs),
  })
  return { status: res.status, statusText: res.statusText, text: await res.text() }
}

/** Starts a call of the signed-in browser now, for the app to take later (`takeEarly`). */
export function startEarly(url: string, body: object): void {
  if (early.size >= MAX_EARLY) return
  const text = JSON.stringify(body)
  const entry: Early = {
    started: Date.now(),
    reply: postText(url, text, callHeaders(), 30_000),
    settled: null,
  }
  entry.reply.then(
    (r) => {
      entry.settled = r
    },
    () => undefined,
  )
  early.set(keyOf(url, text), entry)
}

function take(url: string, body: string): Early | null {
  const key = keyOf(url, body)
  const entry = early.get(key)
  if (!entry) return null
  early.delete(key)
  return Date.now() - entry.started <= MAX_AGE_MS ? entry : null
}

/** The early reply of this very call (once), settled or still on its way; null when there is none. */
export function takeEarly(url: string, body: string): Promise<RawReply> | null {
  return take(url, body)?.reply ?? null
}

/**
 * The early reply of this call if it has already come (once): what lets the first render show the data
 * at once instead of a loading state. A reply still on its way stays for `takeEarly`.
 */
export function peekEarly(url: string, body: string): RawReply | null {
  const entry = early.get(keyOf(url, body))
  if (!entry?.settled) return null
  return take(url, body)?.settled ?? null
}

/** Forgets every early call: a sign-in makes another session, whose calls the early ones were not. */
export function dropEarly(): void {
  early.clear()
}

/** Resolves when every early call has come (refused or not). */
export function earlySettled(): Promise<void> {
  return Promise.all([...early.values()].map((e) => e.reply.catch(() => undefined))).then(() => undefined)
}
