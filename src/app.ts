import crypto from 'node:crypto'
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { login } from './auth/login.js'
import { SlidingWindow } from './auth/rate-limit.js'
import { authenticateToken, isTokenShaped, type TokenKind } from './auth/tokens.js'
import type { Config } from './config.js'
import type { Db } from './db/connect.js'
import { Memo, type Reading } from './db/memo.js'
import type { Registry, User } from './engine/model.js'
import { compactTallies, TALLY_FOLD_EVERY_MS } from './engine/tally.js'
import { AppError, fail, toWire } from './errors.js'
import { runAuthEndpoint } from './http/auth-endpoints.js'
import { parseBatch, runBatch } from './http/batch.js'
import { answer, authorize, type CallEnv, checkRole } from './http/dispatch.js'
import { registerDocs } from './http/docs.js'
import { KEY_HEADER, PURGE_EVERY_MS, purgeExpired, REPLAYED_HEADER, readKey } from './http/idempotency.js'
import { ReadGate } from './http/read-gate.js'
import { type Route, resolveRoute } from './http/route.js'
import { checkCsrf, presentedToken } from './http/session-cookie.js'
import { registerWebApp } from './http/web-app.js'
import { DeliveryWorker } from './webhooks/worker.js'
import { parseBody, parseQueryString } from './wire/body.js'

/** Reads a request stream that Fastify left unread, refusing more than `limit` bytes. */
function readRaw(req: FastifyRequest, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (!declared && !req.headers['transfer-encoding']) return Promise.resolve('')
  if (declared > limit) return Promise.reject(fail.tooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.raw.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        req.raw.removeAllListeners('data')
        reject(fail.tooLarge())
      } else chunks.push(c)
    })
    req.raw.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.raw.on('error', reject)
  })
}

/** What the checks before the body found; login and sign-in have no user, session endpoints no access. */
interface Checked {
  route: Route
  user: User | null
  access: { branch: number; allowed: number[] } | null
  reading: Reading | null
  /** The token the user presented, how it was issued, and whether it came from the session cookie. */
  signedIn: { user: User; token: string; kind: TokenKind; fromCookie: boolean } | null
}

export interface AppDeps {
  config: Config
  db: Db
  models: Registry
}

const JSON_TYPE = 'application/json; charset=UTF-8'
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/
/** A query parameter whose name says it may hold a secret (`token`, `api_key` …): its value is not logged. */
const SECRET_PARAM = /([?&][^=&]*(?:token|key|secret|password)[^=&]*=)[^&]*/gi

/**
 * HTTP the parser refuses (bad method token, broken headers, headers over the size limit) never reaches
 * a route; it still gets the §3.6 body, and the connection is closed as the parser cannot go on.
 */
function answerBrokenRequest(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const problem =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? 'headersTooLarge'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'timeout'
        : 'malformed'
  const w = toWire(fail.protocol(problem))
  const body = JSON.stringify(w.body)
  const head = [
    `HTTP/1.1 ${w.status} ${w.body.name}`,
    `content-type: ${JSON_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${crypto.randomUUID()}`,
    'connection: close',
  ]
  if (socket.writable) socket.end(`${head.join('\r\n')}\r\n\r\n${body}`)
  else socket.destroy()
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The Content-Type as the client sent it; the header is normalised so every body reaches us. */
    sentContentType?: string
    /** What the checks before the body found (route, user, access), made before the body is read. */
    checked?: Checked
    /** Lets the next read in (http/read-gate), for a read admitted by the gate. */
    leaveGate?: () => void
  }
}

/** Builds the server without listening: tests and main share it (STYLE). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, models } = deps
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: {
        paths: ['req.headers["x-alfacrm-token"]', 'req.headers.authorization', 'req.headers.cookie'],
        remove: true,
      },
      // Never a token or an api key in a log line (STYLE), even one a client put in the query string.
      serializers: {
        req: (req: FastifyRequest) => ({
          method: req.method,
          url: req.url.replace(SECRET_PARAM, '$1[redacted]'),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    exposeHeadRoutes: false,
    // Graceful shutdown: a request that still reaches us on an open connection is served, not refused
    // with the framework's own 503 body (§3.6); its reply closes the connection (see onSend).
    return503OnClosing: false,
    bodyLimit: config.maxBodyBytes,
    // §1.10: echo a well-formed X-Request-Id, else make one; every log line of the request carries it.
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID()
    },
    // Slow clients: the whole request within REQUEST_TIMEOUT_S (checked every second), and a
    // connection that sends nothing for IDLE_TIMEOUT_S is closed.
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.idleTimeoutMs,
    connectionTimeout: config.idleTimeoutMs + 1000,
    // Only the configured proxies' X-Forwarded-For is believed (req.ip: the login limiter, logs).
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    http: {
      // §1.1: the host name is whatever the server is reached by, so a request without Host is served.
      requireHostHeader: false,
      headersTimeout: Math.min(config.requestTimeoutMs, 20_000),
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    // A path that cannot be percent-decoded matches no route (§1.2). No route, so no onSend hook either.
    frameworkErrors: (_err, req, reply) => sendError(req, reply.header('x-request-id', req.id), fail.route()),
    clientErrorHandler: answerBrokenRequest,
  })
  // Handlers first: routes and plugins take the error handler in force when they are registered.
  // Fastify knows only some methods: a route's path with another one (TRACE, PROPFIND) is still a 405.
  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, resolveRoute(req.url.split('?')[0] ?? '', models) ? fail.method() : fail.route()),
  )
  app.setErrorHandler(async (err: { code?: string; statusCode?: number }, req, reply) => {
    // A body over MAX_BODY_BYTES is refused while it is read; the checks before the body still come
    // first (§1.11), so a bad token stays a 401.
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(req, reply, fail.tooLarge())
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return sendError(req, reply, fail.json())
    return sendError(req, reply, err)
  })
  const env: CallEnv = {
    db,
    models,
    tz: config.tz,
    maxPageSize: config.maxPageSize,
    strict: config.strictInput,
    // Totals, page starts, token users, branches, custom fields: 8 MB at most, keys included.
    memo: new Memo(),
    replies: new Memo(5000, config.replyMemoBytes),
  }
  const readGate = new ReadGate(config.readConcurrency, config.requestTimeoutMs)
  // Injected requests (the batch's entries) end here; real ones also on the response's `close`.
  app.addHook('onResponse', async (req) => req.leaveGate?.())
  // Token users and branches (see preBody): few values, bounded like the memo.
  const authMemo = new Memo(1000, 1024 * 1024)
  const loginLimiter = new SlidingWindow(config.loginRateLimit, 60_000)
  const loginDeps = { db: db.kysely, tokenTtl: config.tokenTtl, limiter: loginLimiter, tz: config.tz }
  const tokenLimiter = config.rateLimitRps > 0 ? new SlidingWindow(config.rateLimitRps, 1000) : null

  // §1.6: the body is read as text whatever the Content-Type says, and parsed by our rules later
  // (after authentication, step 9 of §1.11).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  app.addHook('onRequest', async (req) => {
    const ct = req.headers['content-type']
    req.sentContentType = ct
    req.headers['content-type'] = 'text/plain'
  })
  // Once closing, every reply closes its connection: a keep-alive client must not hold the server
  // open after its in-flight request is answered (the server only drops connections idle at close).
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id)
    if (closing) reply.header('connection', 'close')
  })

  const send = (reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}) =>
    reply.code(status).headers(headers).type(JSON_TYPE).send(JSON.stringify(body))

  const sendError = (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    if (!(err instanceof AppError)) req.log.error({ err }, 'unexpected error')
    const w = toWire(err)
    return send(reply, w.status, w.body, w.headers)
  }

  /** Steps 1–8 of §1.11: everything that does not need the body. */
  const preBody = async (req: FastifyRequest): Promise<Checked> => {
    const path = req.url.split('?')[0] ?? ''
    const route = resolveRoute(path, models)
    if (!route) throw fail.route()
    if (req.method !== 'GET' && req.method !== 'POST') throw fail.method()
    const none = { user: null, access: null, reading: null, signedIn: null }
    if (route.kind === 'login') return { route, ...none }
    // A browser sends the sign-in on its own too: a cross-site one would sign the victim in as the attacker.
    if (route.kind === 'auth' && route.endpoint === 'session') {
      checkCsrf(req)
      return { route, ...none }
    }
    const { token, fromCookie } = presentedToken(req)
    if (fromCookie) checkCsrf(req)
    if (!isTokenShaped(token)) throw fail.token()
    const reading = { memo: env.memo, version: await db.version() }
    // The token's user and the branches are kept under the version of the tables they come from, so
    // they stay kept across other writes (a write would otherwise re-read both after every commit).
    const auth = { memo: authMemo, version: await db.authVersion() }
    const found = await authenticateToken(db.kysely, token, auth)
    // The cookie holds session tokens only: an api token planted in it (by a sibling subdomain) is refused.
    if (!found || (fromCookie && found.kind !== 'session')) throw fail.token()
    const { user } = found
    const signedIn = { user, token, kind: found.kind, fromCookie }
    // The session endpoints and the batch are for any signed-in user: no branch, no role (each entry of
    // a batch is checked as the call it is).
    const access = route.kind === 'action' ? await authorize(env, route, user, auth) : null
    if (tokenLimiter) {
      const wait = tokenLimiter.hit(token)
      if (wait > 0) throw fail.rate(wait)
    }
    if (route.kind === 'action') checkRole(route, user)
    return { route, user, access, reading, signedIn }
  }

  /** The body as sent, and parsed. */
  const readBody = async (req: FastifyRequest) => {
    // Fastify parses bodies of POST only; a GET body is read like a POST body (§1.5).
    const raw =
      typeof req.body === 'string'
        ? req.body
        : req.method === 'GET'
          ? await readRaw(req, config.maxBodyBytes)
          : ''
    const r = parseBody(raw, req.sentContentType)
    if (!r.ok) throw fail.json()
    return { raw, value: r.value }
  }

  app.route({
    method: [...METHODS],
    url: '/v2api/*',
    // The checks that need no body run before it is read: a request without a valid token cannot
    // hold a connection by sending a large body slowly. Its reply closes the connection, as the rest
    // of the body is never read.
    onRequest: async (req, reply) => {
      try {
        req.checked = await preBody(req)
        // Signed-in reads are admitted a few at a time, so writes do not queue behind all of them
        // (http/read-gate); a request refused by the checks never waits for a turn.
        const { route } = req.checked
        if (readGate.limited && route.kind === 'action' && route.isRead) {
          const leave = await readGate.enter()
          req.leaveGate = leave
          // The turn ends with the response, sent or not: a client gone while the read waited (or ran)
          // must not keep it. `close` comes once per response; one already gone has sent it.
          reply.raw.once('close', leave)
          if (reply.raw.destroyed || req.raw.socket?.destroyed) leave()
        }
      } catch (err) {
        if (req.headers['content-length'] || req.headers['transfer-encoding'])
          reply.header('connection', 'close')
        return sendError(req, reply, err)
      }
    },
    handler: async (req, reply) => {
      try {
        const { route, user, access, reading, signedIn } = req.checked!
        // §1.11: login is handled before the body checks, so an unreadable login body is just
        // missing credentials (403), never a 400.
        if (route.kind === 'login') {
          const body = await readBody(req).then(
            (b) => b.value,
            () => ({}),
          )
          return send(reply, 200, await login(loginDeps, body, req.ip))
        }
        if (route.kind === 'auth') {
          // Like login, an unreadable sign-in body is missing credentials (403).
          const body =
            route.endpoint === 'session'
              ? await readBody(req).then(
                  (b) => b.value,
                  () => ({}),
                )
              : (await readBody(req)).value
          const secure = req.protocol === 'https'
          const call = { endpoint: route.endpoint, signedIn, body, ip: req.ip, secure }
          const r = await runAuthEndpoint(loginDeps, call)
          if (r.cookie) reply.header('set-cookie', r.cookie)
          return send(reply, 200, r.body, { 'cache-control': 'no-store' })
        }
        if (route.kind === 'batch') {
          const entries = parseBatch((await readBody(req)).value)
          // REQUEST_TIMEOUT_S counts from the batch's arrival: an entry is not started after it.
          const deadline = Date.now() - reply.elapsedTime + config.requestTimeoutMs
          const text = await runBatch(app, models, req, entries, deadline)
          return reply.code(200).type(JSON_TYPE).send(text)
        }
        const body = await readBody(req)
        const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : ''
        const strict = env.strict || req.headers['x-strict'] === '1'
        const input = { query: parseQueryString(rawQuery), body: body.value }
        const sent = { contentType: req.sentContentType ?? '', query: rawQuery, body: body.raw }
        const idempotencyKey = route.isRead ? null : readKey(req.headers[KEY_HEADER])
        const r = await answer(
          { ...env, strict },
          {
            route,
            user: user!,
            access: access!,
            input,
            reading: reading!,
            sent,
            idempotencyKey,
            method: req.method,
          },
        )
        if (r.replayed) reply.header(REPLAYED_HEADER, 'true')
        return reply.code(r.status).type(JSON_TYPE).send(r.bytes)
      } catch (err) {
        return sendError(req, reply, err)
      }
    },
  })

  app.get('/healthz', async (_req, reply) => {
    try {
      await db.kysely.selectFrom('branches').select('id').limit(1).execute()
      return send(reply, 200, { status: 'ok' })
    } catch {
      return send(reply, 503, { status: 'unavailable' })
    }
  })

  // Expired idempotency keys go in the background, never on a request's path (bounded table).
  const purge = () =>
    purgeExpired(db).catch((err) => app.log.warn({ err }, 'purging expired idempotency keys failed'))
  const purging = setInterval(purge, PURGE_EVERY_MS)
  purging.unref()
  app.addHook('onReady', async () => {
    void purge()
  })
  app.addHook('onClose', async () => clearInterval(purging))

  // Kept counts' deltas folded in the background (engine/tally), only after new ones arrived.
  const compacted = new Map<string, number>()
  const fold = () =>
    compactTallies(db, models.values(), compacted).catch((err) =>
      app.log.warn({ err }, 'folding kept counts failed'),
    )
  const folding = setInterval(fold, TALLY_FOLD_EVERY_MS)
  folding.unref()
  app.addHook('onClose', async () => clearInterval(folding))

  // Webhook deliveries run in the background of every server process, from its start to its close.
  const deliveries = new DeliveryWorker({ db, config: config.webhooks, tz: config.tz, log: app.log })
  app.addHook('onReady', async () => deliveries.start())
  app.addHook('onClose', async () => deliveries.stop())

  registerDocs(app, models)
  registerWebApp(app, (req, reply) => sendError(req, reply, fail.route()))
  app.server.maxConnections = config.maxConnections
  return app
}
