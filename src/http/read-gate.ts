import { fail } from '../errors.js'

/**
 * At most `limit` read requests of this process at once; the others wait their turn, first come first
 * served, and are refused as busy after `timeoutMs`. Writes never wait here.
 *
 * Why: every request's steps (checks, statements, serialising) take turns on one event loop. With fifty
 * reads in flight, a write's every step waits behind a step of each of them, so a write that needs a few
 * milliseconds of work took hundreds under read load (bench: "varied reads + 50 writes/s"). Reads
 * admitted a few at a time keep that queue short: a write waits behind a handful of steps, and the reads
 * themselves finish in about the same time, queued before they start instead of interleaved.
 */
export class ReadGate {
  private running = 0
  private readonly waiting: Array<{ admit: () => void; timer: NodeJS.Timeout }> = []

  constructor(
    private readonly limit: number,
    private readonly timeoutMs: number,
  ) {}

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
