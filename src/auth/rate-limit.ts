/**
 * Sliding-window counters kept in the process (§2.7). Each process limits on its own; behind N
 * processes a client can reach at most N times the limit, which the README states.
 */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>()
  private sweptAt = 0

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records an attempt; returns 0 when allowed, else the seconds to wait. */
  hit(key: string, now = Date.now()): number {
    this.sweep(now)
    const list = (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs)
    if (list.length >= this.limit) {
      this.hits.set(key, list)
      return Math.max(1, Math.ceil((list[0]! + this.windowMs - now) / 1000))
    }
    list.push(now)
    this.hits.set(key, list)
    return 0
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < this.windowMs) return
    this.sweptAt = now
    for (const [k, list] of this.hits) if (list.every((t) => t <= now - this.windowMs)) this.hits.delete(k)
  }
}
