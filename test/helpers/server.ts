import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before } from 'node:test'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import { bootstrap } from '../../src/auth/users.js'
import { loadConfig } from '../../src/config.js'
import { connect, type Db } from '../../src/db/connect.js'
import { migrate } from '../../src/db/migrate.js'
import { datetimeZone } from '../../src/fields/datetime.js'
import { models } from '../../src/models/index.js'

export const ADMIN = { email: 'admin@school.example', api_key: '6f8e2a1c-3b4d-11ee-9a7f-2c4d6e8f0a1b' }

export interface Reply<T = any> {
  status: number
  body: T
  headers: Headers
  text: string
}

export interface Server {
  url: string
  db: Db
  dialect: 'sqlite' | 'postgres'
  /** Where its database is: another connection to it acts as another process would. */
  target: { databaseUrl: string | null; dataDir: string }
  /** POSTs JSON (or a raw string) to /v2api/{path} with the given token. */
  call<T = any>(path: string, body?: unknown, opts?: CallOptions): Promise<Reply<T>>
  /** Logs in and returns a token. */
  login(email?: string, apiKey?: string): Promise<string>
  /** A client bound to the admin's token. */
  api<T = any>(path: string, body?: unknown, opts?: CallOptions): Promise<Reply<T>>
  close(): Promise<void>
}

export interface CallOptions {
  token?: string | null
  method?: string
  headers?: Record<string, string>
  raw?: string
}

/** A reply body: the parsed JSON, null when empty, else the text itself. */
export function jsonOrText(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null
  } catch {
    return text
  }
}

/** A fresh PostgreSQL database per server when TEST_DATABASE_URL is set, else SQLite in a temp dir. */
export async function freshDatabase(): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL
  if (!base) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parta-test-'))
    return { env: { DATA_DIR: dir }, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) }
  }
  const name = `parta_t_${crypto.randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`)
  await admin.end()
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    env: { DATABASE_URL: url.toString() },
    drop: async () => {
      const c = new pg.Client({ connectionString: base })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

export async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const fresh = await freshDatabase()
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ALFACRM_ADMIN_EMAIL: ADMIN.email,
    ALFACRM_ADMIN_API_KEY: ADMIN.api_key,
    ...fresh.env,
    ...env,
  })
  datetimeZone.tz = config.tz
  const db = connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    backgroundCheckpoints: true,
    readers: config.sqliteReaders,
    statementTimeoutMs: config.statementTimeoutMs,
  })
  await migrate(db)
  await bootstrap(db.kysely, config.adminEmail, config.adminApiKey)
  const app = await buildApp({ config, db, models })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const url = `http://127.0.0.1:${port}`

  const call = async (p: string, body?: unknown, opts: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers }
    if (opts.token) headers['x-alfacrm-token'] = opts.token
    const method = opts.method ?? 'POST'
    const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body))
    const res = await fetch(`${url}/v2api/${p}`, {
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : payload,
    })
    const text = await res.text()
    return { status: res.status, body: jsonOrText(text), headers: res.headers, text }
  }
  const login = async (email = ADMIN.email, apiKey = ADMIN.api_key) => {
    const r = await call('auth/login', { email, api_key: apiKey })
    if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`)
    return r.body.token as string
  }
  const adminToken = await login()
  return {
    url,
    db,
    dialect: db.dialect,
    target: { databaseUrl: config.databaseUrl, dataDir: config.dataDir },
    call,
    login,
    api: (p, body, opts = {}) => call(p, body, { token: adminToken, ...opts }),
    close: async () => {
      await app.close()
      await db.close()
      await fresh.drop()
    },
  }
}

/** The environment of a server on a fresh database whose first start creates the suite's admin. */
export function adminEnv(
  db: { env: Record<string, string> },
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...db.env, ALFACRM_ADMIN_EMAIL: ADMIN.email, ALFACRM_ADMIN_API_KEY: ADMIN.api_key, ...extra }
}

/** Logs the suite's admin in at the server of `url` (a spawned one) and returns the token. */
export async function adminToken(url: string): Promise<string> {
  const r = await fetch(`${url}/v2api/auth/login`, { method: 'POST', body: JSON.stringify(ADMIN) })
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${await r.text()}`)
  return ((await r.json()) as { token: string }).token
}

/** Runs `body` against a server of its own, for settings the suite's server lacks; closes it after. */
export async function withServer<T>(
  env: Record<string, string>,
  body: (s: Server) => Promise<T>,
): Promise<T> {
  const s = await startServer(env)
  try {
    return await body(s)
  } finally {
    await s.close()
  }
}

/**
 * The server of the enclosing `describe`: started before its tests (then `setup` runs on it) and closed
 * after them. The returned object forwards to that server, so tests use it as they would a started one.
 */
export function suiteServer(
  env: Record<string, string> = {},
  setup?: (s: Server) => Promise<unknown>,
): Server {
  let live: Server | undefined
  before(async () => {
    live = await startServer(env)
    await setup?.(live)
  })
  after(() => live?.close())
  const current = (): Server => {
    if (!live) throw new Error('the suite server starts in before(): use it in tests and hooks')
    return live
  }
  return {
    get url() {
      return current().url
    },
    get db() {
      return current().db
    },
    get dialect() {
      return current().dialect
    },
    get target() {
      return current().target
    },
    call: (p, body, opts) => current().call(p, body, opts),
    login: (email, apiKey) => current().login(email, apiKey),
    api: (p, body, opts) => current().api(p, body, opts),
    close: () => current().close(),
  }
}
