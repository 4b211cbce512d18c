/**
 * RFC 4180 CSV: fields separated by `,` (or `;` when the header has more of them), optionally quoted
 * with `"` (a quote inside doubled), CRLF or LF line ends, a UTF-8 byte order mark ignored. Returns the
 * rows with the line each starts on.
 */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const firstLine = src.slice(0, src.search(/\r?\n|$/))
  const sep = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ','
  const rows: Array<{ line: number; cells: string[] }> = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  let i = 0
  const endRow = () => {
    cells.push(cell)
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ line: rowLine, cells })
    cells = []
    cell = ''
  }
  while (i < src.length) {
    const ch = src[i]!
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') {
        cell += '"'
        i += 2
        continue
      }
      if (ch === '"') quoted = false
      else {
        if (ch === '\n') line++
        cell += ch
      }
      i++
      continue
    }
    if (ch === '"' && cell === '') quoted = true
    else if (ch === sep) {
      cells.push(cell)
      cell = ''
    } else if (ch === '\r' && src[i + 1] === '\n') {
      i++
      continue
    } else if (ch === '\n') {
      endRow()
      line++
      rowLine = line
    } else cell += ch
    i++
  }
  if (quoted) throw new Error(`line ${rowLine}: a quoted value is not closed`)
  if (cell !== '' || cells.length > 0) endRow()
  return rows
}
