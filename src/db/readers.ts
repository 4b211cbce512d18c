import { Worker } from 'node:worker_threads'
import type { CompiledQuery, QueryResult } from 'kysely'
import { fail } from '../errors.js'
import type { ReaderReply, ReaderRequest, StatementRequest } from './reader-worker.js'

/** Texts a reader is told to keep, and their characters, at most; a longer text is never kept. */
const MAX_TEXTS = 2000
const MAX_TEXT_CHARS = 4_000_000
const MAX_KEPT_TEXT = 200_000

interface Pending {
  resolve(reply: ReaderReply): void
  reject(err: unknown): void
  timer: NodeJS.Timeout | null
}

/**
 * A statement whose rows may come back as arrays of their columns' values in the order it selects them,
 * when a reader runs it: a reader builds and the main thread copies no object per row (a page of 50
 * customers: 0.33 ms instead of 0.6 to read, 0.10 instead of 0.17 to serialise). Elsewhere (the
 * writer, PostgreSQL) its rows are objects as usual, so its reader must take both.
 */
export type ArrayRows = CompiledQuery & { arrays?: true }

/** A reader thread (db/reader-worker) and the statements it has not answered yet. */
export class Reader {
  readonly pending = new Map<number, Pending>()
  /** Its connection is open: statements' time limits run from then (a thread takes a while to start). */
  ready = false
  /** Given up on (a statement over the time limit): it finishes that statement and exits, unused. */
  abandoned = false
  /**
   * SQL texts this reader has been sent, by the number that stands for them in later messages: a page's
   * statements are the same few shapes, some of them tens of kilobytes (the upcoming lessons of 50
   * customers); a message with the number cost 38 µs of CPU against 45–60 µs with a 22 kB text.
   */
  readonly known = new Map<string, number>()
  knownChars = 0
  nextText = 1
  /** A read-only transaction to begin before its first statement, sent with it (one message less). */
  beginPending = false
  constructor(readonly worker: Worker) {}
  post(m: ReaderRequest) {
    if (!this.abandoned) this.worker.postMessage(m)
  }
}

/** A read waiting for a reader: refused as busy after the time limit. */
interface Waiter {
  resolve(r: Reader): void
  reject(e: unknown): void
  timer: NodeJS.Timeout | null
}

export interface ReaderOptions {
  dataDir: string
  /** Reader threads at most; they start as reads need them. */
  size: number
  /** A statement running longer is given up on (0: never), and so is a wait for a reader. */
  timeoutMs: number
}

/**
 * SQLite reads off the writer connection and off the event loop: read-only transactions and plain
 * SELECTs run on reader threads, each with its own connection on the same WAL file. A slow read then
 * holds one reader while writes (on the writer, db/connect) and other reads go on; WAL gives every
 * read transaction a snapshot of what was committed when it began, so none sees a write's group
 * before its COMMIT and every read sees each write acknowledged before it began.
 *
 * The time limit: better-sqlite3 offers neither sqlite3_interrupt nor a progress handler, so a running
 * statement cannot be stopped. A statement over the limit is answered with a clear error at once and
 * its reader abandoned: terminate() takes effect when the statement returns to JavaScript, so that
 * thread still runs to the end of the statement (using a core and its snapshot). A new reader replaces
 * it; at most `size` abandoned readers may be finishing, and while that many are, with no live reader
 * left, a read is answered "busy" at once instead of waiting.
 */
export class ReaderPool {
  private readonly idle: Reader[] = []
  private readonly waiting: Waiter[] = []
  private live = 0
  private abandoned = 0
  private nextId = 1
  private closed = false

  constructor(private readonly opts: ReaderOptions) {}

  /** A reader of its own until `release`: at once if one is idle or may start, else in turn. */
  acquire(): Promise<Reader> {
    if (this.closed) return Promise.reject(new Error('the database is closed'))
    const ready = this.idle.pop() ?? this.spawn()
    if (ready) return Promise.resolve(ready)
    if (this.live === 0) return Promise.reject(fail.busy())
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: null }
      if (this.opts.timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1)
          reject(fail.busy())
        }, this.opts.timeoutMs)
      }
      this.waiting.push(waiter)
    })
  }

  release(reader: Reader): void {
    if (reader.abandoned) return
    if (this.closed) {
      reader.post('stop')
      return
    }
    const next = this.waiting.shift()
    if (!next) {
      this.idle.push(reader)
      return
    }
    if (next.timer) clearTimeout(next.timer)
    next.resolve(reader)
  }

  /** Starts (`begin`) or ends a read-only transaction on the reader; its next statement follows it. */
  transaction(reader: Reader, step: 'begin' | 'commit' | 'rollback'): void {
    if (step === 'begin') reader.beginPending = true
    // Begun and ended with no statement between: nothing was sent, so nothing to end.
    else if (reader.beginPending) reader.beginPending = false
    else reader.post({ tx: step })
  }

  run<R>(reader: Reader, compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (reader.abandoned) return Promise.reject(fail.tooSlow(this.opts.timeoutMs))
    const id = this.nextId++
    const reply = new Promise<ReaderReply>((resolve, reject) => {
      reader.pending.set(id, { resolve, reject, timer: reader.ready ? this.limit(reader) : null })
    })
    // A reader with work keeps the process alive; an idle one does not (see spawn).
    reader.worker.ref()
    reader.post({
      id,
      ...this.textOf(reader, compiled.sql),
      params: compiled.parameters,
      begin: reader.beginPending,
      ...((compiled as ArrayRows).arrays ? { arrays: true } : {}),
    })
    reader.beginPending = false
    return reply.then((r) => {
      if ('error' in r) throw Object.assign(new Error(r.error.message), { code: r.error.code })
      if ('rows' in r) return { rows: r.rows as R[] }
      return { numAffectedRows: BigInt(r.changes), insertId: BigInt(r.lastInsertRowid), rows: [] }
    })
  }

  /**
   * How a statement's text travels: its number when the reader knows it, else the text with the number
   * it gets (the reader's table of texts is bounded like the statements it prepares; when full, both
   * sides start over). A text too long to be worth keeping goes in full every time.
   */
  private textOf(reader: Reader, sql: string): Pick<StatementRequest, 'text' | 'sql' | 'forget'> {
    const known = reader.known.get(sql)
    if (known !== undefined) return { text: known }
    if (sql.length > MAX_KEPT_TEXT) return { sql }
    let forget = false
    if (reader.known.size >= MAX_TEXTS || reader.knownChars + sql.length > MAX_TEXT_CHARS) {
      reader.known.clear()
      reader.knownChars = 0
      forget = true
    }
    const text = reader.nextText++
    reader.known.set(sql, text)
    reader.knownChars += sql.length
    return forget ? { text, sql, forget } : { text, sql }
  }

  /** One statement on a reader of its own, outside a transaction. */
  async once<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const reader = await this.acquire()
    try {
      return await this.run<R>(reader, compiled)
    } finally {
      this.release(reader)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    for (const w of this.waiting.splice(0)) {
      if (w.timer) clearTimeout(w.timer)
      w.reject(new Error('the database is closed'))
    }
    const stopping = this.idle.splice(0).map(
      (r) =>
        new Promise<void>((resolve) => {
          r.worker.once('exit', () => resolve())
          r.worker.ref()
          r.post('stop')
          setTimeout(() => void r.worker.terminate(), 1000).unref()
        }),
    )
    await Promise.all(stopping)
  }

  private spawn(): Reader | null {
    if (this.live >= this.opts.size || this.abandoned >= this.opts.size) return null
    const worker = new Worker(new URL('./reader-worker.js', import.meta.url), {
      workerData: { dataDir: this.opts.dataDir },
      // Its garbage is short-lived (a statement's rows, sent and dropped): a young generation of V8's
      // default size (up to 16 MB a semi-space, grown under load) kept ~25 MB per reader resident.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    })
    worker.unref()
    const reader = new Reader(worker)
    this.live++
    worker.on('message', (m: ReaderReply | 'ready') => {
      if (m === 'ready') {
        reader.ready = true
        for (const p of reader.pending.values()) p.timer = this.limit(reader)
        return
      }
      const p = reader.pending.get(m.id)
      if (!p) return
      reader.pending.delete(m.id)
      if (p.timer) clearTimeout(p.timer)
      if (reader.pending.size === 0) worker.unref()
      p.resolve(m)
    })
    worker.on('error', (err) => this.abandon(reader, err))
    worker.on('exit', () => {
      if (!reader.abandoned) this.abandon(reader, new Error('a reader thread stopped'))
      this.abandoned--
      const i = this.idle.indexOf(reader)
      if (i >= 0) this.idle.splice(i, 1)
      this.serveWaiting()
    })
    return reader
  }

  /** The timer that gives up on the reader's statement after the time limit. */
  private limit(reader: Reader): NodeJS.Timeout | null {
    const ms = this.opts.timeoutMs
    return ms > 0 ? setTimeout(() => this.abandon(reader, fail.tooSlow(ms)), ms) : null
  }

  private abandon(reader: Reader, err: unknown): void {
    if (reader.abandoned) return
    reader.abandoned = true
    this.live--
    this.abandoned++
    for (const p of reader.pending.values()) {
      if (p.timer) clearTimeout(p.timer)
      p.reject(err)
    }
    reader.pending.clear()
    reader.worker.unref()
    void reader.worker.terminate()
    this.serveWaiting()
  }

  /** Readers started for reads waiting while capacity came back (an abandoned reader exited). */
  private serveWaiting(): void {
    while (this.waiting.length > 0 && !this.closed) {
      const reader = this.spawn()
      if (!reader) return
      this.release(reader)
    }
  }
}
