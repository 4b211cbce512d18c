import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Registry } from '../engine/model.js'
import { type AppError, fail, toWire } from '../errors.js'
import { resolveRoute } from './route.js'

/**
 * [ext] `POST /v2api/batch`: up to MAX_BATCH read calls in one request, for a client that needs many
 * small lists at once (the staff app's dictionaries, every page of a week's lessons). Each entry runs
 * in-process as if it had been sent alone with the caller's credentials (`app.inject`): the same
 * checks, roles, branches, paging, reply memo and error bodies. Only read actions are run; any other
 * entry is answered 400 and never run, so a batch writes nothing.
 */
export const MAX_BATCH = 20

/** Entries run at the same time, at most. */
const CONCURRENCY = 4

/** The headers an entry inherits: credentials, the CSRF header, strict mode. Origin was checked once. */
const INHERITED = ['x-alfacrm-token', 'cookie', 'x-parta-csrf', 'x-strict', 'host'] as const

/** A path as the client would put it after `/v2api/`: no query, no escapes, no dot segments. */
const PATH = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*\/?$/

export interface BatchEntry {
  path: string
  query: Record<string, unknown>
  /** The body as JSON text; undefined sends none. */
  body: string | undefined
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The entries of a batch body `{"requests": [{"path", "query"?, "body"?}, …]}`. A body of another
 * shape is a 400 naming `requests`; more than MAX_BATCH entries, a 400 saying so.
 */
export function parseBatch(value: Record<string, unknown>): BatchEntry[] {
  const list = value.requests
  if (!Array.isArray(list)) throw fail.missing('requests')
  if (list.length > MAX_BATCH) throw fail.batchSize(MAX_BATCH)
  return list.map((e) => {
    if (!isObject(e) || typeof e.path !== 'string') throw fail.badParam('requests')
    const query = e.query ?? {}
    if (!isObject(query)) throw fail.badParam('requests')
    return { path: e.path, query, body: e.body === undefined ? undefined : JSON.stringify(e.body) }
  })
}

/** A query object in PHP's bracket form (`id[0]=1&id[1]=2`, `d[x]=1`), as the server reads queries. */
export function encodeQuery(query: Record<string, unknown>): string {
  const parts: string[] = []
  const add = (key: string, v: unknown): void => {
    if (v === null || v === undefined) return
    if (Array.isArray(v)) for (const [i, x] of v.entries()) add(`${key}[${i}]`, x)
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) add(`${key}[${k}]`, x)
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`)
  }
  for (const [k, v] of Object.entries(query)) add(k, v)
  return parts.join('&')
}

interface Answered {
  status: number
  /** The reply's JSON text, exactly as the route sent it. */
  json: string
}

const refused = (err: AppError): Answered => {
  const w = toWire(err)
  return { status: w.status, json: JSON.stringify(w.body) }
}

/**
 * Runs the entries in order of the list, a few at a time, and answers `{"replies": [{"status", "body"}]}`
 * in that order: each body is the reply's own JSON text, spliced in unchanged. An entry not started
 * before `deadline` (the request timeout, counted from the batch's arrival) is answered 408 unrun.
 */
export async function runBatch(
  app: FastifyInstance,
  models: Registry,
  req: FastifyRequest,
  entries: BatchEntry[],
  deadline: number,
): Promise<string> {
  const headers: Record<string, string> = {}
  for (const name of INHERITED) {
    const v = req.headers[name]
    if (typeof v === 'string') headers[name] = v
  }
  const one = async (entry: BatchEntry, i: number): Promise<Answered> => {
    if (!PATH.test(entry.path)) return refused(fail.route())
    const url = `/v2api/${entry.path}`
    const route = resolveRoute(url, models)
    if (!route) return refused(fail.route())
    if (route.kind !== 'action' || !route.isRead) return refused(fail.notBatchable())
    if (Date.now() > deadline) return refused(fail.protocol('timeout'))
    const qs = encodeQuery(entry.query)
    // The entry's log lines carry the batch's request id and its place in the list.
    const id = `${req.id}.${i}`
    const res = await app.inject({
      method: 'POST',
      url: qs ? `${url}?${qs}` : url,
      headers: {
        ...headers,
        ...(id.length <= 128 ? { 'x-request-id': id } : {}),
        ...(entry.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(entry.body === undefined ? {} : { payload: entry.body }),
    })
    return { status: res.statusCode, json: res.payload || 'null' }
  }
  const out: Answered[] = new Array(entries.length)
  let next = 0
  const worker = async () => {
    while (next < entries.length) {
      const i = next++
      out[i] = await one(entries[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker))
  return `{"replies":[${out.map((r) => `{"status":${r.status},"body":${r.json}}`).join(',')}]}`
}
