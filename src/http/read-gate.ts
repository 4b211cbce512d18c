import { fail } from '../errors.js'

/**
 * At most `limit` read requests of this process at once (0: no limit, the default); the others wait
 * their turn, first come first served, and are refused as busy after `timeoutMs`. Writes never wait here.
 *
 * Why it exists: every request's steps (checks, statements, serialising) take turns on one event loop;
 * with fifty reads in flight a write's every step waits behind a step of each of them. Measured (bench
 * "varied reads + N writes/s", 100 000 customers): on a machine at load 11–12, before writes were grouped
 * into shared COMMITs, a limit of 8 took the writes' p50 from 379/361 to 73/141 ms; on a quiet machine
 * after that change, a limit of 8 was no better than none (writes p50 13.6/14.7 against 9.2/10.2 ms,
 * reads 283/222 against 337/306 req/s). Hence off unless set (`READ_CONCURRENCY`).
 */
export class ReadGate {
  private running = 0
  private readonly waiting: Array<{ admit: () => void; timer: NodeJS.Timeout }> = []

  constructor(
    private readonly limit: number,
    private readonly timeoutMs: number,
  ) {}

  /** Whether reads are limited at all: with no limit (0) nothing need enter or leave. */
  get limited(): boolean {
    return this.limit > 0
  }

  /** Admits a read, at once or in turn; the returned function lets the next one in (once). */
  async enter(): Promise<() => void> {
    if (this.running < this.limit || this.limit === 0) {
      this.running++
      return this.leaver()
    }
    await new Promise<void>((resolve, reject) => {
      const entry = {
        admit: () => {
          clearTimeout(entry.timer)
          resolve()
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1)
          reject(fail.busy())
        }, this.timeoutMs),
      }
      this.waiting.push(entry)
    })
    return this.leaver()
  }

  /** Reads admitted and not yet left, and reads waiting (tests, diagnostics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length }
  }

  private leaver(): () => void {
    let left = false
    return () => {
      if (left) return
      left = true
      const next = this.waiting.shift()
      // The slot passes straight to the next read: `running` stays as it is.
      if (next) next.admit()
      else this.running--
    }
  }
}
