import crypto from 'node:crypto'

/**
 * Sliding-window counters kept in the process (§2.7). Each process limits on its own; behind N
 * processes a client can reach at most N times the limit, which the README states.
 *
 * Keys come from clients (an IP and an e-mail, a token): each is kept as its SHA-256, and at most
 * `maxKeys` are kept; past that the oldest go first. Evicting a key forgets its attempts, so the bound
 * is set far above what the limited action (a scrypt verification, ~50 ms) lets anyone send in a window.
 */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>()
  private sweptAt = 0

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Records an attempt; returns 0 when allowed, else the seconds to wait. */
  hit(key: string, now = Date.now()): number {
    this.sweep(now)
    const k = crypto.createHash('sha256').update(key).digest('base64')
    const list = (this.hits.get(k) ?? []).filter((t) => t > now - this.windowMs)
    if (list.length >= this.limit) {
      this.hits.set(k, list)
      return Math.max(1, Math.ceil((list[0]! + this.windowMs - now) / 1000))
    }
    list.push(now)
    if (!this.hits.has(k)) this.makeRoom(now)
    this.hits.set(k, list)
    return 0
  }

  /** Keys kept now (tests and the soak benchmark read it). */
  get size(): number {
    return this.hits.size
  }

  private makeRoom(now: number): void {
    if (this.hits.size < this.maxKeys) return
    this.sweptAt = 0
    this.sweep(now)
    for (const k of this.hits.keys()) {
      if (this.hits.size < this.maxKeys) break
      this.hits.delete(k)
    }
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < this.windowMs) return
    this.sweptAt = now
    for (const [k, list] of this.hits) if (list.every((t) => t <= now - this.windowMs)) this.hits.delete(k)
  }
}
