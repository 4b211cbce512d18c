import net from 'node:net'
import path from 'node:path'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly databaseUrl: string | null
  readonly logLevel: LogLevel
  readonly tz: string
  readonly tokenTtl: number
  readonly maxPageSize: number
  readonly rateLimitRps: number
  readonly loginRateLimit: number
  readonly strictInput: boolean
  readonly maxBodyBytes: number
  readonly adminEmail: string | null
  readonly adminApiKey: string | null
  readonly workers: number
  /** Memory for the replies of read actions kept while nothing changes (http/dispatch `reply`); 0 = off. */
  readonly replyMemoBytes: number
  /** Milliseconds a client has to send a whole request (headers and body); 408 after it. */
  readonly requestTimeoutMs: number
  /** Milliseconds a connection may stay idle (between requests, or sending nothing) before it is closed. */
  readonly idleTimeoutMs: number
  /** Open connections at most; further ones are closed as they arrive. */
  readonly maxConnections: number
  /** Proxies whose `X-Forwarded-For` is believed (addresses, CIDRs, `loopback` …); empty = none. */
  readonly trustProxy: readonly string[]
  /** SQLite: reader threads, so a slow read holds one of them, not every request (db/readers); 0 = none. */
  readonly sqliteReaders: number
  /** Read requests handled at once per process (http/read-gate); 0: no limit. */
  readonly readConcurrency: number
  /** A statement running longer is stopped and answered with a clear error; 0 = no limit. */
  readonly statementTimeoutMs: number
  /** Outgoing webhooks (issue 16): how deliveries are sent and retried (webhooks/worker). */
  readonly webhooks: WebhookConfig
}

export interface WebhookConfig {
  /** Milliseconds between looks for due deliveries when there was nothing to send; 0 = no worker. */
  readonly pollMs: number
  /** Milliseconds a receiver has to answer (connect, headers and body). */
  readonly timeoutMs: number
  /** The first retry's delay; each further one doubles it (with jitter) up to `retryMaxMs`. */
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  /** Milliseconds after the first failed attempt at which a delivery is given up and its endpoint disabled. */
  readonly retryHorizonMs: number
  /** Days a sent or given-up delivery stays in the delivery log (`webhook-delivery`). */
  readonly keepDays: number
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`)
  }
}

type Env = Record<string, string | undefined>

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Reads the environment once; every problem is reported together (STYLE: fail loudly at the edges). */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []
  const read = (name: string): string | undefined => {
    const v = env[name]?.trim()
    return v === undefined || v === '' ? undefined : v
  }
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const raw = read(name)
    if (raw === undefined) return dflt
    const n = Number(raw)
    if (!/^-?\d+$/.test(raw) || n < min || n > max) {
      problems.push(`${name}=${raw}: expected an integer from ${min} to ${max}`)
      return dflt
    }
    return n
  }
  const tz = read('TZ') ?? 'Europe/Moscow'
  if (!isTimeZone(tz)) problems.push(`TZ=${tz}: not a known IANA time zone`)
  const logLevel = (read('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL=${logLevel}: expected one of ${LOG_LEVELS.join(', ')}`)
  const strict = read('STRICT_INPUT') ?? '0'
  if (strict !== '0' && strict !== '1') problems.push(`STRICT_INPUT=${strict}: expected 0 or 1`)
  const databaseUrl = read('DATABASE_URL') ?? null
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL: expected a postgres:// or postgresql:// URL')
  }
  const adminEmail = read('ALFACRM_ADMIN_EMAIL') ?? null
  const adminApiKey = read('ALFACRM_ADMIN_API_KEY') ?? null
  if ((adminEmail === null) !== (adminApiKey === null)) {
    problems.push('ALFACRM_ADMIN_EMAIL and ALFACRM_ADMIN_API_KEY must be set together')
  }
  if (adminApiKey !== null && adminApiKey.length < 16)
    problems.push('ALFACRM_ADMIN_API_KEY: at least 16 characters')

  const trustProxy = (read('TRUST_PROXY') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
  for (const p of trustProxy)
    if (!isProxyAddress(p))
      problems.push(
        `TRUST_PROXY: ${p} is not an IP address, a CIDR range, loopback, linklocal or uniquelocal`,
      )

  const workers = int('WORKERS', 1, 1, 64)
  if (workers > 1 && databaseUrl === null)
    problems.push(
      `WORKERS=${workers}: SQLite allows one writing process; use WORKERS=1, or PostgreSQL (DATABASE_URL) for several`,
    )

  const config: Config = {
    port: int('PORT', 8080, 0, 65535),
    host: read('HOST') ?? '0.0.0.0',
    dataDir: path.resolve(read('DATA_DIR') ?? './data'),
    databaseUrl,
    logLevel,
    tz,
    tokenTtl: int('TOKEN_TTL', 3600, 1, 10 * 365 * 86400),
    maxPageSize: int('MAX_PAGE_SIZE', 50, 1, 10000),
    rateLimitRps: int('RATE_LIMIT_RPS', 0, 0, 1_000_000),
    loginRateLimit: int('LOGIN_RATE_LIMIT', 10, 1, 1_000_000),
    strictInput: strict === '1',
    maxBodyBytes: int('MAX_BODY_BYTES', 1_048_576, 1024, 1024 * 1024 * 1024),
    adminEmail,
    adminApiKey,
    workers,
    replyMemoBytes: int('REPLY_MEMO_MB', 16, 0, 4096) * 1024 * 1024,
    requestTimeoutMs: int('REQUEST_TIMEOUT_S', 30, 1, 3600) * 1000,
    idleTimeoutMs: int('IDLE_TIMEOUT_S', 72, 1, 3600) * 1000,
    maxConnections: int('MAX_CONNECTIONS', 1024, 1, 1_000_000),
    trustProxy,
    sqliteReaders: int('SQLITE_READERS', 4, 0, 64),
    readConcurrency: int('READ_CONCURRENCY', 0, 0, 100_000),
    statementTimeoutMs: int('STATEMENT_TIMEOUT_MS', 10_000, 0, 3_600_000),
    webhooks: Object.freeze({
      pollMs: int('WEBHOOK_POLL_MS', 1000, 0, 3_600_000),
      timeoutMs: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 600_000),
      retryBaseMs: int('WEBHOOK_RETRY_BASE_MS', 10_000, 1, 86_400_000),
      retryMaxMs: int('WEBHOOK_RETRY_MAX_MS', 3_600_000, 1, 86_400_000),
      // At least 24 h by default (issue 16); tests shorten it to see an endpoint disabled.
      retryHorizonMs: int('WEBHOOK_RETRY_HORIZON_S', 86_400, 1, 30 * 86_400) * 1000,
      keepDays: int('WEBHOOK_KEEP_DAYS', 30, 1, 3650),
    }),
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(config)
}

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** What proxy-addr (Fastify's `trustProxy`) accepts: an address, `address/bits`, or a named range. */
function isProxyAddress(p: string): boolean {
  if (PROXY_KEYWORDS.has(p)) return true
  const [address = '', bits, ...rest] = p.split('/')
  const family = net.isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (bits === undefined) return true
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}
