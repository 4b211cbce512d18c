/**
 * CSV files as schools have them: exported by Excel or by a CRM, UTF-8 with or without a byte order
 * mark, UTF-16 with one (Excel's «Unicode text»), or Windows-1251 (Excel's «CSV» on a Russian Windows).
 */

/** The text of a file and the encoding it was read in. */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: string } {
  const [a, b, c] = bytes
  if (a === 0xef && b === 0xbb && c === 0xbf)
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8 (BOM)' }
  if (a === 0xff && b === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' }
  if (a === 0xfe && b === 0xff)
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' }
  } catch {
    // Not UTF-8: a Russian Excel's own code page, where every byte is a character.
    return { text: new TextDecoder('windows-1251').decode(bytes), encoding: 'windows-1251' }
  }
}

/** The separator of a file: `;`, `,` or a tab, whichever its header row has most of (`,` on a tie). */
export function separatorOf(text: string): string {
  const firstLine = text.slice(0, text.search(/\r?\n|$/)).replace(/"[^"]*"/g, '')
  const count = (ch: string) => firstLine.split(ch).length - 1
  return [';', '\t'].reduce((best, ch) => (count(ch) > count(best) ? ch : best), ',')
}

/**
 * RFC 4180 CSV: fields separated by `separatorOf(text)`, optionally quoted with `"` (a quote inside
 * doubled), CRLF or LF line ends, a byte order mark ignored. Returns the rows with the line each
 * starts on; blank lines are left out.
 */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const sep = separatorOf(src)
  const rows: Array<{ line: number; cells: string[] }> = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  let i = 0
  const endRow = () => {
    cells.push(cell)
    if (!cells.every((c) => c.trim() === '')) rows.push({ line: rowLine, cells })
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
    if (ch === '"' && cell.trim() === '') {
      quoted = true
      cell = ''
    } else if (ch === sep) {
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
