import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import type { Db } from '../../src/db/connect.js'
import { jsonOrText } from '../helpers/server.js'
import { JSON_TYPE } from '../helpers/wire.js'
import { changedTables, type Dump, dumpDatabase, rowChanges } from './dump.js'

/** One hostile request: every byte of the path, headers and body is the caller's. */
export interface Attack {
  method?: string
  /** The path as sent, query included (it need not start with /v2api). */
  path: string
  headers?: Record<string, string>
  body?: string | Buffer
}

export interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
  body: any
  ms: number
}

/** No reply may take longer: a request that does is a hang. */
export const REQUEST_TIMEOUT_MS = 15_000

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })

/** Sends an attack through plain node:http with a timeout; Content-Length is added for a body. */
export function send(base: string, a: Attack): Promise<Answer> {
  const url = new URL(base)
  const headers: Record<string, string> = { ...a.headers }
  if (a.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'transfer-encoding'))
    headers['Content-Length'] = String(Buffer.byteLength(a.body))
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: url.hostname, port: url.port, path: a.path, method: a.method ?? 'POST', headers, agent },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = res.statusCode ?? 0
          resolve({ status, headers: res.headers, text, body: jsonOrText(text), ms: Date.now() - started })
        })
        res.on('error', reject)
      },
    )
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      req.destroy(new Error(`no reply within ${REQUEST_TIMEOUT_MS} ms: ${a.method ?? 'POST'} ${a.path}`))
    })
    req.on('error', reject)
    req.end(a.body)
  })
}

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
}

/** The messages §3.7 allows for each status of the plain error body. */
const MESSAGES: Record<number, RegExp> = {
  400: /^(Invalid JSON data in request body\.|Malformed HTTP request\.|Отсутствуют обязательные параметры: .+|Неверное значение параметра «[^»]+»\.|Неизвестный параметр «[^»]*»\.)$/s,
  401: /^Your request was made with invalid credentials\.$/,
  403: /^(Not Authorized|Access Denied)$/,
  404: /^(Page not found\.|Not Found)$/,
  405: /^Method Not Allowed\. This URL can only handle the following request methods: GET, POST\.$/,
  408: /^Request timed out\.$/,
  413: /^Request body is too large\.$/,
  429: /^Rate limit exceeded\.$/,
  431: /^Request header fields are too large\.$/,
}

const isInt = (v: unknown) => Number.isInteger(v)
const keys = (v: unknown) => Object.keys(v as object)

function assertSuccess(body: any, what: string): void {
  if (Array.isArray(body)) return // calendar views (§7.27)
  assert.ok(typeof body === 'object' && body !== null, `${what}: 200 without a JSON object`)
  const k = keys(body).join(',')
  if (k === 'total,count,page,items') {
    assert.ok(isInt(body.total) && isInt(body.page) && Array.isArray(body.items), what)
    assert.equal(body.count, body.items.length, what)
    return
  }
  if (k === 'token,expires_in') return
  if (k === 'count,income,refund,expense,salary,net') {
    // pay/total [ext]: a count and money strings.
    assert.ok(isInt(body.count), what)
    for (const m of ['income', 'refund', 'expense', 'salary', 'net'])
      assert.match(body[m], /^-?\d+\.\d{2}$/, what)
    return
  }
  assert.equal(body.success, true, `${what}: 200 with ${k}`)
  assert.deepEqual(body.errors, [], what)
  assert.ok(k === 'success,errors' || k === 'success,errors,model', `${what}: 200 with ${k}`)
  if (k === 'success,errors,model') assert.ok(isInt(body.model?.id), `${what}: model without id`)
}

function assertInvalid(body: any, what: string): void {
  assert.deepEqual(keys(body), ['success', 'errors', 'model', 'name', 'message', 'code', 'status'], what)
  assert.equal(body.success, false, what)
  assert.equal(body.model, null, what)
  assert.deepEqual([body.name, body.code, body.status], ['Unprocessable Entity', 0, 422], what)
  const lists = Object.values(body.errors as Record<string, unknown>)
  assert.ok(lists.length > 0, `${what}: 422 without errors`)
  for (const list of lists) {
    assert.ok(Array.isArray(list) && list.length > 0, what)
    for (const m of list) assert.equal(typeof m, 'string', what)
  }
  assert.equal(body.message, (lists[0] as string[])[0], what)
}

/**
 * §3: a 200 in one of the success envelopes, a 422 save envelope, or the plain error body with its
 * status and a message of §3.7 — never a 500 — with the JSON Content-Type and an X-Request-Id.
 */
export function assertSpecShape(r: Answer, what: string): void {
  const tag = `${what} → ${r.status} ${r.text.slice(0, 300)}`
  assert.ok(r.status < 500, tag)
  assert.equal(r.headers['content-type'], JSON_TYPE, tag)
  assert.ok(r.headers['x-request-id'], `${tag}: no X-Request-Id`)
  if (r.status === 200) {
    assertSuccess(r.body, tag)
    return
  }
  if (r.status === 422) {
    assertInvalid(r.body, tag)
    return
  }
  const pattern = MESSAGES[r.status]
  assert.ok(pattern, `${tag}: a status the spec does not use`)
  assert.deepEqual(keys(r.body), ['name', 'message', 'code', 'status'], tag)
  assert.deepEqual([r.body.name, r.body.code, r.body.status], [REASON[r.status], 0, r.status], tag)
  assert.match(r.body.message, pattern, tag)
  if (r.status === 405) assert.equal(r.headers.allow, 'GET, POST', tag)
  if (r.status === 429) assert.ok(Number(r.headers['retry-after']) >= 1, tag)
}

/**
 * Sends attacks one by one and watches the database: a dump after every request must equal the last
 * one unless the request was a write the server accepted (200), which makes the new baseline.
 */
export class Watch {
  private baseline: Dump | undefined
  private changes: number | null = null
  sent = 0
  /** Milliseconds spent waiting for replies and dumping the database. */
  replyMs = 0
  dumpMs = 0

  constructor(
    private readonly db: Db,
    private readonly base: string,
  ) {}

  /** Takes the database as it is now as the baseline (after a test repairs it directly). */
  async rebase() {
    this.baseline = await dumpDatabase(this.db)
    this.changes = await rowChanges(this.db)
  }

  async attack(a: Attack, isWrite: boolean, what = `${a.method ?? 'POST'} ${a.path.slice(0, 150)}`) {
    if (!this.baseline) {
      this.baseline = await dumpDatabase(this.db)
      this.changes = await rowChanges(this.db)
    }
    const r = await send(this.base, a)
    this.replyMs += r.ms
    this.sent++
    const tag = `${what} ${String(a.body ?? '').slice(0, 600)}`
    assertSpecShape(r, tag)
    const started = Date.now()
    const changes = await rowChanges(this.db)
    if (changes !== null && changes === this.changes) return r
    const after = await dumpDatabase(this.db)
    this.dumpMs += Date.now() - started
    this.changes = changes
    // A write route's 200, or any save, delete or login reply (a mutated path may still reach a write).
    const wrote =
      r.status === 200 && (isWrite || r.body?.success === true || typeof r.body?.token === 'string')
    if (wrote) this.baseline = after
    else
      assert.deepEqual(changedTables(this.baseline, after), [], `${tag} → ${r.status}: the database changed`)
    return r
  }
}

/**
 * Writes raw bytes on a fresh TCP connection and reads the reply until the server closes it or the
 * reply is complete: for requests node:http refuses to send (bad methods, broken headers, no Host).
 */
export function sendBytes(base: string, bytes: string): Promise<Answer> {
  const url = new URL(base)
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.end(bytes))
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no reply within ${REQUEST_TIMEOUT_MS} ms: ${bytes.slice(0, 80)}`))
    }, REQUEST_TIMEOUT_MS)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(parseReply(Buffer.concat(chunks), Date.now() - started))
    })
  })
}

function parseReply(raw: Buffer, ms: number): Answer {
  const end = raw.indexOf('\r\n\r\n')
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers: http.IncomingHttpHeaders = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  let body = end < 0 ? Buffer.alloc(0) : raw.subarray(end + 4)
  if (/chunked/i.test(String(headers['transfer-encoding']))) body = unchunk(body)
  const text = body.toString('utf8')
  const status = Number(statusLine.split(' ')[1] ?? 0)
  return { status, headers, text, body: jsonOrText(text), ms }
}

function unchunk(raw: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const eol = raw.indexOf('\r\n', at)
    const size = Number.parseInt(raw.subarray(at, eol).toString('latin1'), 16)
    if (!(size > 0)) return Buffer.concat(parts)
    parts.push(raw.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
}
