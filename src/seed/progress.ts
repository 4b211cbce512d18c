/**
 * A one-line progress bar on stderr, redrawn with `\r` at most every 200 ms; when stderr is not a
 * terminal (CI, a parent process), a plain line every tenth of the way instead.
 */
export class Progress {
  private readonly started = Date.now()
  private shown = 0
  private tenth = -1

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number): void {
    const now = Date.now()
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1
    const elapsed = (now - this.started) / 1000
    const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : 0
    const text = `${this.label} ${done}/${this.total} ${(fraction * 100).toFixed(0)}% · ${elapsed.toFixed(1)} s, ~${eta.toFixed(0)} s left`
    if (this.stream.isTTY) {
      if (now - this.shown < 200 && done < this.total) return
      this.shown = now
      const width = 30
      const filled = Math.round(fraction * width)
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`)
      return
    }
    const tenth = Math.floor(fraction * 10)
    if (tenth === this.tenth) return
    this.tenth = tenth
    this.stream.write(`${text}\n`)
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\n')
  }
}
