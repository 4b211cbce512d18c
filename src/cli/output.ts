/** Where a command prints its result: process.stdout in the CLI, a buffer in tests. */
export interface Output {
  line(text: string): void
  /** One JSON document on one line (`--json`). */
  json(value: unknown): void
}

export function streamOutput(stream: { write(chunk: string): unknown }): Output {
  return {
    line: (text) => stream.write(`${text}\n`),
    json: (value) => stream.write(`${JSON.stringify(value)}\n`),
  }
}

/** Plain-text columns, left-aligned, for people reading a terminal. */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [format(headers), ...rows.map(format)]
}
