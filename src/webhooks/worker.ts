import crypto from 'node:crypto'
import os from 'node:os'
import { sql } from 'kysely'
import type { WebhookConfig } from '../config.js'
import type { Db } from '../db/connect.js'
import type { Eb } from '../engine/model.js'
import { nowParts } from '../wire/dates.js'
import { touchWebhooks } from './outbox.js'
import { sendSigned } from './send.js'

export interface WorkerDeps {
  db: Db
  config: WebhookConfig
  tz: string
  log: { warn(obj: unknown, msg: string): void; info(obj: unknown, msg: string): void }
}

/** Endpoints served per round; each sends one delivery at a time, so at most this many requests at once. */
const ROUND = 32
/** Deliveries of one endpoint claimed together and sent one after another. */
const BATCH = 50

interface Claimed {
  id: number
  webhook_id: number
  branch_id: number | null
  entity: string
  entity_id: number
  event: string
  attempts: number
  first_ms: number
  user_id: number
  fields_old: string
  fields_new: string
  date_time: string
  url: string
  secret: string
}

/** How often the delivery log is pruned, and how many rows one statement removes. */
const PRUNE_EVERY_MS = 10 * 60_000
const PRUNE_CHUNK = 1000

/**
 * The delivery worker of one server process. Each round finds the active endpoints whose oldest pending
 * delivery is due, leases a batch of each one's oldest pending deliveries (see `claim`), and sends each
 * batch one delivery after another — an endpoint gets its changes in commit order, the next only after
 * the previous was accepted — while the endpoints are served in parallel. A failure ends the batch: that
 * delivery waits for its retry and the rest wait behind it. The worker runs again at once while there
 * is work, else after `pollMs`. Never on a request's path.
 */
export class DeliveryWorker {
  private readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`
  private readonly stopping = new AbortController()
  private wake: (() => void) | null = null
  private running: Promise<void> | null = null
  /** Longer than any send (timeout) with room for recording its outcome. */
  private readonly leaseMs: number

  constructor(private readonly deps: WorkerDeps) {
    this.leaseMs = deps.config.timeoutMs * 2 + 5000
  }

  start(): void {
    if (this.running || this.deps.config.pollMs === 0) return
    this.running = this.loop()
  }

  /** Stops taking work, aborts sends in flight and hands their deliveries back at once. */
  async stop(): Promise<void> {
    this.stopping.abort()
    this.wake?.()
    await this.running
    this.running = null
    await this.deps.db.kysely
      .updateTable('webhook_deliveries')
      .set({ lease_ms: 0, lease_owner: '' })
      .where('lease_owner', '=', this.owner)
      .where('status', '=', 'pending')
      .execute()
      .catch(() => {})
  }

  private async loop(): Promise<void> {
    let pruned = 0
    while (!this.stopping.signal.aborted) {
      let sent = 0
      try {
        sent = await this.round()
        if (Date.now() - pruned >= PRUNE_EVERY_MS) {
          pruned = Date.now()
          await this.prune()
        }
      } catch (err) {
        if (!this.stopping.signal.aborted) this.deps.log.warn({ err }, 'webhook delivery round failed')
      }
      if (sent === 0 && !this.stopping.signal.aborted) await this.sleep(this.deps.config.pollMs)
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  /**
   * The delivery log is kept `keepDays` after a delivery was sent or given up (pending ones are never
   * dropped), removed a thousand rows a statement so the writer is never held long.
   */
  async prune(): Promise<number> {
    const before = Date.now() - this.deps.config.keepDays * 86_400_000
    let removed = 0
    for (;;) {
      const r = await this.deps.db.kysely
        .deleteFrom('webhook_deliveries')
        .where('id', 'in', (eb: Eb) =>
          eb
            .selectFrom('webhook_deliveries')
            .select('id')
            .where('status', 'in', ['delivered', 'failed'])
            .where('due_ms', '<', before)
            .limit(PRUNE_CHUNK),
        )
        .executeTakeFirst()
      const n = Number(r.numDeletedRows)
      removed += n
      if (n < PRUNE_CHUNK || this.stopping.signal.aborted) return removed
    }
  }

  /** One round; returns how many deliveries it sent. */
  async round(): Promise<number> {
    const now = Date.now()
    // A plain read first (a reader thread on SQLite, as a SELECT outside a transaction): an idle round
    // neither waits for the writer nor changes the data version the read caches go by.
    const db = this.deps.db.kysely
    const heads = await db
      .selectFrom('webhook_deliveries as d')
      .select('d.webhook_id')
      .where('d.id', 'in', (eb: Eb) =>
        eb
          .selectFrom('webhooks as w')
          .select((w: Eb) =>
            w
              .selectFrom('webhook_deliveries as x')
              .select((x: Eb) => x.fn.min('x.id').as('head'))
              .whereRef('x.webhook_id', '=', 'w.id')
              .where('x.status', '=', 'pending')
              .as('head'),
          )
          .where('w.is_active', '=', 1),
      )
      .where('d.due_ms', '<=', now)
      .where('d.lease_ms', '<=', now)
      .limit(ROUND)
      .execute()
    const sent = await Promise.all(heads.map((h) => this.serve(Number(h.webhook_id))))
    return sent.reduce((a, b) => a + b, 0)
  }

  /** Claims the next deliveries of one endpoint and sends them in order; returns how many it sent. */
  private async serve(webhookId: number): Promise<number> {
    const claimed = await this.claim(webhookId)
    const { ids } = claimed
    if (ids.length === 0) return 0
    const rows = (await this.deps.db.kysely
      .selectFrom('webhook_deliveries as d')
      .innerJoin('log as l', 'l.id', 'd.log_id')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select([
        'd.id',
        'd.webhook_id',
        'd.branch_id',
        'd.entity',
        'd.entity_id',
        'd.event',
        'd.attempts',
        'd.first_ms',
        'l.user_id',
        'l.fields_old',
        'l.fields_new',
        'l.date_time',
        'w.url',
        'w.secret',
      ])
      .where('d.id', 'in', ids)
      .orderBy('d.id')
      .execute()) as Claimed[]
    let accepted: Array<{ id: number; status: number }> = []
    let sentCount = 0
    let until = claimed.until
    try {
      for (const [i, row] of rows.entries()) {
        // Each send must end within the lease: renewed (for the rest of the batch) when it would not.
        if (Date.now() + this.deps.config.timeoutMs + 1000 > until) {
          await this.delivered(accepted)
          accepted = []
          const renewed = await this.renew(rows.slice(i).map((r) => Number(r.id)))
          if (renewed === null) break
          until = renewed
        }
        const sent = await sendSigned(
          row.url,
          row.secret,
          payload(row),
          row.id,
          this.deps.config.timeoutMs,
          this.stopping.signal,
        )
        if (sent.ok) {
          accepted.push({ id: Number(row.id), status: sent.status! })
          sentCount++
          continue
        }
        // A send cut short by shutdown is not an attempt: `stop` hands the deliveries back.
        if (!this.stopping.signal.aborted) await this.failed(row, sent.status, sent.detail)
        break
      }
    } finally {
      await this.delivered(accepted)
      await this.release(ids)
    }
    return sentCount
  }

  /**
   * Leases up to BATCH pending deliveries of the endpoint, oldest first, when its oldest is due and
   * none is leased. On PostgreSQL the endpoint's row is locked for the claim (SKIP LOCKED: a process
   * finding it locked leaves the endpoint to the one holding it), so two processes never hold
   * deliveries of one endpoint at once; SQLite has one writer. A process that dies leaves its lease
   * to expire, after which the deliveries are claimed again (at least once).
   */
  private claim(webhookId: number): Promise<{ ids: number[]; until: number }> {
    const now = Date.now()
    const until = now + this.leaseMs
    const none = { ids: [], until }
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      if (this.deps.db.dialect === 'postgres') {
        const locked = await sql`SELECT id FROM webhooks WHERE id = ${webhookId} AND is_active = 1
          FOR UPDATE SKIP LOCKED`.execute(trx)
        if (locked.rows.length === 0) return none
      }
      const next = await trx
        .selectFrom('webhook_deliveries')
        .select(['id', 'due_ms', 'lease_ms'])
        .where('webhook_id', '=', webhookId)
        .where('status', '=', 'pending')
        .orderBy('id')
        .limit(BATCH)
        .execute()
      const head = next[0]
      if (!head || Number(head.due_ms) > now || next.some((r) => Number(r.lease_ms) > now)) return none
      const ids = next.map((r) => Number(r.id))
      await trx
        .updateTable('webhook_deliveries')
        .set({ lease_ms: until, lease_owner: this.owner })
        .where('id', 'in', ids)
        .execute()
      return { ids, until }
    })
  }

  /** Extends the lease of the rest of a batch; null when another process holds any of it now. */
  private async renew(ids: number[]): Promise<number | null> {
    const until = Date.now() + this.leaseMs
    const r = await this.deps.db.kysely
      .updateTable('webhook_deliveries')
      .set({ lease_ms: until })
      .where('id', 'in', ids)
      .where('status', '=', 'pending')
      .where('lease_owner', '=', this.owner)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === ids.length ? until : null
  }

  /** Hands back the deliveries of a batch that were not sent (after a failure or at shutdown). */
  private async release(ids: number[]): Promise<void> {
    await this.deps.db.kysely
      .updateTable('webhook_deliveries')
      .set({ lease_ms: 0, lease_owner: '' })
      .where('id', 'in', ids)
      .where('status', '=', 'pending')
      .where('lease_owner', '=', this.owner)
      .execute()
  }

  private wall(ms: number): string {
    return nowParts(this.deps.tz, new Date(ms)).dateTime
  }

  /** Records the accepted deliveries of a batch: one statement per answer status (usually one). */
  private async delivered(accepted: Array<{ id: number; status: number }>): Promise<void> {
    if (accepted.length === 0) return
    const at = this.wall(Date.now())
    for (const status of new Set(accepted.map((a) => a.status))) {
      const ids = accepted.filter((a) => a.status === status).map((a) => a.id)
      await this.deps.db.kysely
        .updateTable('webhook_deliveries')
        .set((eb) => ({
          status: 'delivered',
          attempts: eb('attempts', '+', 1),
          last_status_code: status,
          last_error: '',
          last_attempt_at: at,
          delivered_at: at,
          next_attempt_at: null,
          lease_ms: 0,
          lease_owner: '',
        }))
        .where('id', 'in', ids)
        .where('lease_owner', '=', this.owner)
        .execute()
    }
  }

  /**
   * Another attempt after an exponential back-off with jitter, until the retry horizon has passed since
   * the first failure: then the delivery is failed and its endpoint disabled, saying why.
   */
  private async failed(row: Claimed, status: number | null, detail: string): Promise<void> {
    const { retryBaseMs, retryMaxMs, retryHorizonMs } = this.deps.config
    const now = Date.now()
    const attempts = Number(row.attempts) + 1
    const first = Number(row.first_ms) || now
    const exhausted = now - first >= retryHorizonMs
    const backoff = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts - 1, 30))
    const due = now + Math.round(backoff * (0.5 + Math.random() * 0.5))
    const error = detail.slice(0, 1000)
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('webhook_deliveries')
        .set({
          status: exhausted ? 'failed' : 'pending',
          attempts,
          last_status_code: status,
          last_error: error,
          last_attempt_at: this.wall(now),
          next_attempt_at: exhausted ? null : this.wall(due),
          first_ms: first,
          due_ms: due,
          lease_ms: 0,
          lease_owner: '',
        })
        .where('id', '=', row.id)
        .where('lease_owner', '=', this.owner)
        .executeTakeFirst()
      if (!exhausted || Number(r.numUpdatedRows) === 0) return
      const hours = Math.round((now - first) / 360_000) / 10
      const reason = `Disabled at ${this.wall(now)}: delivery ${row.id} failed ${attempts} times over ${hours} h; last error: ${error}`
      await trx
        .updateTable('webhooks')
        .set({ is_active: 0, status: 'disabled', status_reason: reason.slice(0, 1000) })
        .where('id', '=', row.webhook_id)
        .execute()
      await touchWebhooks(trx)
      this.deps.log.warn(
        { webhook: row.webhook_id, delivery: row.id },
        'webhook disabled after the retry limit',
      )
    })
  }
}

/** Alfa CRM's webhook shape (§5.11 values), plus the delivery id for the receiver's dedupe. */
export function payload(
  row: Omit<Claimed, 'url' | 'secret' | 'attempts' | 'first_ms' | 'webhook_id'>,
): string {
  return JSON.stringify({
    branch_id: row.branch_id === null ? null : Number(row.branch_id),
    event: row.event,
    entity: row.entity,
    entity_id: Number(row.entity_id),
    fields_old: JSON.parse(row.fields_old),
    fields_new: JSON.parse(row.fields_new),
    fields_rel: [],
    user_id: Number(row.user_id),
    datetime: row.date_time,
    delivery_id: Number(row.id),
  })
}
