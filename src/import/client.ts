/**
 * A polite client of an Alfa CRM v2api server (or another Parta): at most `rps` requests a second,
 * a timeout on every request, retries with back-off on 429, 5xx and network errors (honouring
 * `Retry-After`), and a new login when the token is refused (401). It never prints the api key or the
 * token: messages name the path and the status only.
 */
export interface ClientOptions {
  url: string
  email: string
  apiKey: string
  rps: number
  timeoutMs?: number
  /** Attempts per request before giving up (default 8). */
  attempts?: number
  /** Longest wait between attempts, in ms (default 30 s). */
  maxBackoffMs?: number
  onNotice?: (message: string) => void
}

export class SourceError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message)
  }
}

export class SourceClient {
  /** Requests sent, retries and logins included. */
  requests = 0
  retries = 0
  logins = 0
  private token: string | null = null
  private nextSlot = 0
  private readonly base: string

  constructor(private readonly opts: ClientOptions) {
    this.base = opts.url.replace(/\/+$/, '')
  }

  /** Waits for the next free slot of the rate limit. */
  private async throttle(): Promise<void> {
    const gap = 1000 / Math.max(0.01, this.opts.rps)
    const now = Date.now()
    const at = Math.max(now, this.nextSlot)
    this.nextSlot = at + gap
    if (at > now) await sleep(at - now)
  }

  private async send(path: string, body: unknown, withToken: boolean): Promise<Response> {
    await this.throttle()
    this.requests++
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
    if (withToken && this.token) headers['x-alfacrm-token'] = this.token
    return fetch(`${this.base}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
    })
  }

  async login(): Promise<void> {
    const res = await this.request(
      '/v2api/auth/login',
      { email: this.opts.email, api_key: this.opts.apiKey },
      false,
    )
    const token = (res as { token?: unknown }).token
    if (typeof token !== 'string' || token === '')
      throw new SourceError('login: the source answered no token')
    this.token = token
    this.logins++
  }

  /** POSTs `body` to `path` and returns the parsed JSON answer. */
  async post(path: string, body: Record<string, unknown>): Promise<unknown> {
    if (!this.token) await this.login()
    return this.request(path, body, true)
  }

  private async request(path: string, body: unknown, withToken: boolean): Promise<unknown> {
    const attempts = this.opts.attempts ?? 8
    let relogged = false
    for (let attempt = 1; ; attempt++) {
      let res: Response
      try {
        res = await this.send(path, body, withToken)
      } catch (e) {
        if (attempt >= attempts) throw new SourceError(`${path}: ${describe(e)} (after ${attempt} attempts)`)
        await this.backoff(path, attempt, null, describe(e))
        continue
      }
      if (res.status === 401 && withToken && !relogged) {
        await res.body?.cancel()
        this.opts.onNotice?.(`${path}: 401, logging in again`)
        relogged = true
        this.token = null
        await this.login()
        continue
      }
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel()
        if (attempt >= attempts)
          throw new SourceError(`${path}: HTTP ${res.status} (after ${attempt} attempts)`)
        await this.backoff(path, attempt, res.headers.get('retry-after'), `HTTP ${res.status}`)
        continue
      }
      const text = await res.text()
      if (res.status !== 200)
        throw new SourceError(`${path}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status)
      try {
        return JSON.parse(text)
      } catch {
        throw new SourceError(`${path}: the answer is not JSON`)
      }
    }
  }

  private async backoff(
    path: string,
    attempt: number,
    retryAfter: string | null,
    why: string,
  ): Promise<void> {
    this.retries++
    const max = this.opts.maxBackoffMs ?? 30_000
    let wait = Math.min(max, 250 * 2 ** (attempt - 1))
    if (retryAfter !== null) {
      const secs = Number(retryAfter)
      if (Number.isFinite(secs)) wait = Math.min(max, Math.max(0, secs * 1000))
      else {
        const at = Date.parse(retryAfter)
        if (Number.isFinite(at)) wait = Math.min(max, Math.max(0, at - Date.now()))
      }
    }
    this.opts.onNotice?.(`${path}: ${why}, retrying in ${(wait / 1000).toFixed(1)} s`)
    await sleep(wait)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function describe(e: unknown): string {
  if (e instanceof Error) return e.name === 'TimeoutError' ? 'timed out' : e.message
  return String(e)
}
