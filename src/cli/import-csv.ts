import { readFileSync } from 'node:fs'
import { parseCsv } from '../import/csv.js'
import { models } from '../models/index.js'
import { CliError, defineCommand, failure, parseOptions, required, usageError } from './command.js'
import { asOperator } from './operator-call.js'

export const importCsv = defineCommand({
  synopsis: 'import csv --model customer FILE [--json]',
  summary: 'create records from a CSV file, one a row, through the API rules (new ids)',
  details: [
    '--model M     the model (customer, group, teacher …) the rows are records of',
    'FILE          the CSV: a header row of field names (name, is_study, phone, custom_school …), then',
    '              one record a row; `,` or `;` between values; a list is written as JSON: ["a","b"]',
    'Each row is created as `<model>/create` would create it; a refused row is reported with its line',
    'and the fields at fault, and the others are still created (exit status 1 when any was refused).',
  ],
  parse(argv) {
    // The file is the one positional argument (`--file FILE` also works).
    const positional = argv.filter(
      (a, i) => !a.startsWith('-') && !['--model', '--file'].includes(argv[i - 1] ?? ''),
    )
    const v = parseOptions(
      argv.filter((a) => !positional.includes(a)),
      { model: { type: 'string' }, file: { type: 'string' }, json: { type: 'boolean', default: false } },
    )
    if (positional.length > 1 || (positional.length === 1 && v.file !== undefined))
      throw usageError('give one CSV file')
    const slug = required(v.model, 'model')
    const model = models.get(slug)
    if (!model?.actions.includes('create'))
      throw usageError(`--model: "${slug}" is not a model records can be created in`)
    return { slug, file: required(v.file ?? positional[0], 'file'), json: v.json }
  },
  async run({ db, args, out, tz }) {
    let text: string
    try {
      text = readFileSync(args.file, 'utf8')
    } catch (e) {
      throw failure(`cannot read ${args.file}: ${e instanceof Error ? e.message : String(e)}`)
    }
    let rows: ReturnType<typeof parseCsv>
    try {
      rows = parseCsv(text)
    } catch (e) {
      throw failure(`${args.file}: ${e instanceof Error ? e.message : String(e)}`)
    }
    const [header, ...data] = rows
    if (!header) throw failure(`${args.file} is empty`)
    const keys = header.cells.map((c) => c.trim())
    const created: Array<{ line: number; id: number }> = []
    const refused: Array<{ line: number; reason: string }> = []
    for (const row of data) {
      const body: Record<string, unknown> = {}
      keys.forEach((key, i) => {
        const cell = row.cells[i] ?? ''
        if (key === '' || cell === '') return
        if (/^\s*\[/.test(cell)) {
          try {
            body[key] = JSON.parse(cell)
            return
          } catch {}
        }
        body[key] = cell
      })
      if (row.cells.length > keys.length) {
        refused.push({ line: row.line, reason: `${row.cells.length} values for ${keys.length} columns` })
        continue
      }
      try {
        const r = await asOperator(db, tz, args.slug, 'create', { query: {}, body })
        created.push({ line: row.line, id: Number((r.model as { id: number }).id) })
      } catch (e) {
        if (!(e instanceof CliError)) throw e
        refused.push({ line: row.line, reason: e.message })
      }
    }
    if (args.json) out.json({ created, refused })
    else {
      out.line(`Created ${created.length} ${args.slug} records from ${data.length} rows.`)
      for (const r of refused) out.line(`  line ${r.line} refused: ${r.reason}`)
    }
    if (refused.length > 0) throw failure(`${refused.length} of ${data.length} rows were refused`)
  },
})
