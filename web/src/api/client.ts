/**
 * The typed v2api client: the staff app and the test suite both speak to the server through it, with
 * the routes, filters, paging and error shapes every integration uses. Types come from the model
 * declarations (models.gen.ts). It needs only `fetch`, so it runs in the browser and in Node.
 */
import { callHeaders, peekEarly, postText, type RawReply, takeEarly } from './early.js'
import { MODELS, type ModelKey, type ModelTypes } from './models.gen.js'

export type { ModelKey, ModelTypes }
export type RecordOf<K extends ModelKey> = ModelTypes[K]['record']
export type InputOf<K extends ModelKey> = ModelTypes[K]['input']
export type FilterOf<K extends ModelKey> = ModelTypes[K]['filter']

export interface ListReply<T> {
  total: number
  count: number
  page: number
  items: T[]
  /** Only with `names: 1` [ext]: per reference field, the names of the records it points at, by id. */
  names?: Names
}

/** `names` [ext] in a reply: `{ field: { id: name } }`; a field whose model the user may not read is absent. */
export type Names = Record<string, Record<string, string>>

/** The signed-in user as `auth/session` and `auth/me` describe it. */
export interface SessionUser {
  id: number
  name: string
  email: string
  role: 'admin' | 'manager' | 'teacher' | 'readonly'
  branch_ids: number[]
  /** A teacher user's own teacher record [ext]: the schedule opens on their lessons. */
  teacher_id?: number | null
}

/** A refusal in the API's own shapes: `fields` holds the per-field messages of a 422. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export interface ClientOptions {
  /** Where the server is: '' in the browser (same origin), `http://127.0.0.1:PORT` in tests. */
  base: string
  branch: number
  /** An API token (integrations, tests); without it the browser's session cookie is used. */
  token?: string
  /** Milliseconds before a call is given up (every wait has a timeout). */
  timeoutMs?: number
  /** Called on 401: the session ended (expired, signed out elsewhere, password changed). */
  onUnauthorized?: () => void
  /** Called with every answered call's path and duration, for the app's own budget checks. */
  onCall?: (path: string, ms: number) => void
}

type Body = Record<string, unknown>

/** [ext] One call of a batch: the path after `/v2api/` (`1/room/index`), its query and its body. */
export interface BatchRequest {
  path: string
  query?: Record<string, unknown>
  body?: Body
}

/** [ext] What that call alone would have answered: its status and its JSON body. */
export interface BatchReply<T = unknown> {
  status: number
  body: T
}

/** The most calls one `batch` request may hold (the server refuses more). */
export const MAX_BATCH = 20

/** A read waiting for the end of the tick, to be sent with the others of that tick. */
interface Waiting {
  path: string
  body: Body
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

/** The reads of the current tick; shared by a client and its `inBranch` copies (paths name the branch). */
interface Tick {
  waiting: Waiting[]
  timer: ReturnType<typeof setTimeout> | null
}

export class V2Api {
  private readonly tick: Tick

  constructor(
    readonly options: ClientOptions,
    tick?: Tick,
  ) {
    this.tick = tick ?? { waiting: [], timer: null }
  }

  get branch(): number {
    return this.options.branch
  }

  /** The same client in another branch. */
  inBranch(branch: number): V2Api {
    return new V2Api({ ...this.options, branch }, this.tick)
  }

  /** POSTs a JSON body; the reply is parsed, a refusal thrown as ApiError. */
  async post<T>(path: string, body: Body = {}, query: Record<string, string | number> = {}): Promise<T> {
    const qs = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString()
    const url = `${this.options.base}${path}${qs ? `?${qs}` : ''}`
    const text = JSON.stringify(body)
    const started = Date.now()
    let res: RawReply
    try {
      // A call the boot script already made (the same address and body) is not sent again.
      res =
        (this.options.token ? null : await takeEarly(url, text)) ??
        (await postText(url, text, callHeaders(this.options.token), this.options.timeoutMs ?? 30_000))
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError'
      throw new ApiError(0, timedOut ? 'timeout' : 'network')
    }
    this.options.onCall?.(path, Date.now() - started)
    return this.parse<T>(res)
  }

  /** The data of a reply, or its refusal thrown as an ApiError. */
  private parse<T>(res: RawReply): T {
    let data: unknown = null
    try {
      data = res.text ? JSON.parse(res.text) : null
    } catch {
      throw new ApiError(res.status, `Unreadable reply (${res.status})`)
    }
    if (res.status < 200 || res.status > 299) throw this.refusal(res.status, data, res.statusText)
    return data as T
  }

  /**
   * The reply of a read the boot script made and that has already come (see `early.ts`), for a query's
   * first render; undefined when there is none or it was a refusal (the query then asks as usual).
   */
  earlyIndex<K extends ModelKey>(model: K, filter: FilterOf<K>): ListReply<RecordOf<K>> | undefined {
    if (this.options.token) return undefined
    const path = `${this.options.base}${this.path(model, 'index')}`
    const res = peekEarly(path, JSON.stringify(filter))
    if (res?.status !== 200) return undefined
    try {
      return this.parse<ListReply<RecordOf<K>>>(res)
    } catch {
      return undefined
    }
  }

  /** A refusal as an ApiError (the 422's field messages kept); a 401 tells the app the session ended. */
  private refusal(status: number, data: unknown, statusText = ''): ApiError {
    const d = (data ?? {}) as { message?: string; errors?: Record<string, string[]> }
    if (status === 401) this.options.onUnauthorized?.()
    const fields = d.errors && !Array.isArray(d.errors) ? d.errors : {}
    return new ApiError(status, d.message ?? statusText, fields)
  }

  /**
   * [ext] Several reads in `batch` requests of at most MAX_BATCH calls each (sent at once): each reply is
   * what the call alone would have answered, refusals included, in the order asked.
   */
  async batch(requests: BatchRequest[]): Promise<BatchReply[]> {
    const chunks: BatchRequest[][] = []
    for (let i = 0; i < requests.length; i += MAX_BATCH) chunks.push(requests.slice(i, i + MAX_BATCH))
    const replies = await Promise.all(
      chunks.map((chunk) => this.post<{ replies: BatchReply[] }>('/v2api/batch', { requests: chunk })),
    )
    return replies.flatMap((r) => r.replies)
  }

  /**
   * A read sent with the other reads asked for in the same tick: alone it is a plain call, with others
   * they go as one `batch` (several when more than MAX_BATCH). The reply or refusal is the call's own.
   */
  private soon<T>(path: string, body: Body): Promise<T> {
    return new Promise((resolve, reject) => {
      this.tick.waiting.push({ path, body, resolve: resolve as (v: unknown) => void, reject })
      this.tick.timer ??= setTimeout(() => this.flush(), 0)
    })
  }

  private flush(): void {
    const waiting = this.tick.waiting.splice(0)
    this.tick.timer = null
    if (waiting.length === 1) {
      const [only] = waiting as [Waiting]
      this.post(only.path, only.body).then(only.resolve, only.reject)
      return
    }
    const requests = waiting.map((w) => ({ path: w.path.slice('/v2api/'.length), body: w.body }))
    this.batch(requests).then(
      (replies) =>
        waiting.forEach((w, i) => {
          const r = replies[i]
          if (r && r.status >= 200 && r.status < 300) w.resolve(r.body)
          else w.reject(r ? this.refusal(r.status, r.body) : new ApiError(0, 'network'))
        }),
      (err) => {
        for (const w of waiting) w.reject(err)
      },
    )
  }

  private path(model: ModelKey | string, action: string): string {
    const info = (MODELS as Record<string, { scope: string }>)[model]
    return info?.scope === 'global'
      ? `/v2api/${model}/${action}`
      : `/v2api/${this.options.branch}/${model}/${action}`
  }

  index<K extends ModelKey>(model: K, filter: FilterOf<K> = {} as FilterOf<K>) {
    return this.post<ListReply<RecordOf<K>>>(this.path(model, 'index'), filter as Body)
  }

  /**
   * Like `index`, but sent with the other batched reads of the same tick (`all`, the app's dictionaries):
   * one `batch` request for all of them, or a plain call when it is alone.
   */
  indexBatched<K extends ModelKey>(model: K, filter: FilterOf<K> = {} as FilterOf<K>) {
    return this.soon<ListReply<RecordOf<K>>>(this.path(model, 'index'), filter as Body)
  }

  /**
   * Every record of a filter (`onPage` sees the progress), at most `limit` records: page 0 (batched with
   * the other reads of its tick), then every remaining page at once in one batch.
   */
  async all<K extends ModelKey>(
    model: K,
    filter: FilterOf<K> = {} as FilterOf<K>,
    opts: { limit?: number; onPage?: (done: number, total: number) => void } = {},
  ): Promise<RecordOf<K>[]> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY
    const page = (n: number) => this.indexBatched(model, { ...filter, page: n } as FilterOf<K>)
    let last = await page(0)
    const out: RecordOf<K>[] = [...last.items]
    opts.onPage?.(out.length, last.total)
    const size = last.items.length
    const wanted = Math.min(last.total, limit)
    if (size === 0 || out.length >= wanted) return out.slice(0, limit)
    const pages = Math.ceil(wanted / size)
    const rest = await Promise.all(Array.from({ length: pages - 1 }, (_, i) => page(i + 1)))
    for (const r of rest) {
      out.push(...r.items)
      opts.onPage?.(out.length, r.total)
      last = r
    }
    // The list grew while it was read: go on page by page until a page comes back short.
    for (let n = pages; last.items.length >= size && out.length < Math.min(last.total, limit); n++) {
      last = await this.index(model, { ...filter, page: n } as FilterOf<K>)
      out.push(...last.items)
      opts.onPage?.(out.length, last.total)
    }
    return out.slice(0, limit)
  }

  /** One record by id, or null when it does not exist or is not visible. */
  async get<K extends ModelKey>(model: K, id: number, filter: FilterOf<K> = {} as FilterOf<K>) {
    const r = await this.index(model, { ...filter, id } as FilterOf<K>)
    return r.items[0] ?? null
  }

  async create<K extends ModelKey>(model: K, input: InputOf<K>, query: Record<string, number> = {}) {
    const r = await this.post<{ model: RecordOf<K> }>(this.path(model, 'create'), input as Body, query)
    return r.model
  }

  async update<K extends ModelKey>(model: K, id: number, input: InputOf<K>) {
    const r = await this.post<{ model: RecordOf<K> }>(this.path(model, 'update'), input as Body, { id })
    return r.model
  }

  async remove(model: ModelKey, id: number): Promise<void> {
    await this.post(this.path(model, 'delete'), {}, { id })
  }

  async restore<K extends ModelKey>(model: K, id: number) {
    const r = await this.post<{ model: RecordOf<K> }>(this.path(model, 'restore'), {}, { id })
    return r.model
  }

  /** A model's other actions (`pay/total`, calendar views …). */
  call<T>(model: ModelKey | string, action: string, body: Body = {}, query: Record<string, number> = {}) {
    return this.post<T>(this.path(model, action), body, query)
  }

  // The staff app's session (cookie) endpoints.
  signIn(email: string, password: string) {
    return this.post<{ user: SessionUser; expires_in: number }>('/v2api/auth/session', { email, password })
  }

  me() {
    return this.post<{ user: SessionUser }>('/v2api/auth/me')
  }

  signOut() {
    return this.post<{ success: true }>('/v2api/auth/sign-out')
  }

  changePassword(password: string, newPassword: string) {
    return this.post<{ success: true }>('/v2api/auth/password', {
      current_password: password,
      new_password: newPassword,
    })
  }
}
