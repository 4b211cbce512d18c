import { readFileSync } from 'node:fs'
import { decodeCsv, parseCsv, separatorOf } from '../import/csv.js'
import { normHeader } from '../import/csv-headers.js'
import { type CsvImportResult, CsvOptionError, type Dedupe, importCsv } from '../import/csv-import.js'
import { models } from '../models/index.js'
import { defineCommand, failure, parseId, parseOptions, required, usageError } from './command.js'
import { inOperatorTransaction } from './operator-call.js'

const DEDUPE = ['phone', 'email', 'name', 'none'] as const

export const importCsvCommand = defineCommand({
  synopsis: 'import csv --model customer|group|pay FILE [options]',
  summary: 'create (or update) records from a CSV file through the API rules, all rows or none',
  details: [
    '--model M          what the rows are: customer, group, pay (any model with create works)',
    'FILE               the CSV: a header row, then one record a row; `;`, `,` or tab between values;',
    '                   UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1251',
    'Columns are found by header: the field name (name, phone, custom_school), its Russian label',
    '(Имя, Телефон, Дата рождения) or a usual export header (ФИО, Почта, Комментарий, Преподаватель …);',
    'see docs/operations.md for the list. References take an id or a name (Педагог: Иванова Анна).',
    '--map "H=f,H2=f2"  read column H as field f (f empty: leave the column out)',
    '--ignore-unknown   leave out columns no field is found for (else they stop the import)',
    '--set f=v          a value for every row that has none (repeatable): --set is_study=0',
    '--branch N         the branch of rows that name none (default: the first branch)',
    '--dedupe D         phone | email | name | none: rows matching a record already here or a row',
    '                   before them (default: phone for customers, none for other models)',
    '--on-duplicate A   skip (default) or update the record found (phones and e-mails are added)',
    '--partial          write the rows that pass even when others are refused',
    '--dry-run          check every row the same way, write nothing',
    '--errors N         refused lines listed (default 20 on a dry run, all otherwise)',
    '--json             the result as one JSON document',
    'Without --partial the rows are written in one transaction only when none is refused; any refused',
    'row (listed with its line and the fields at fault) means nothing is written, exit status 1.',
  ],
  parse(argv) {
    const valued = new Set([
      '--model',
      '--file',
      '--map',
      '--set',
      '--branch',
      '--dedupe',
      '--on-duplicate',
      '--errors',
    ])
    // The file is the one positional argument (`--file FILE` also works).
    const positional = argv.filter((a, i) => !a.startsWith('-') && !valued.has(argv[i - 1] ?? ''))
    const v = parseOptions(
      argv.filter((a) => !positional.includes(a)),
      {
        model: { type: 'string' },
        file: { type: 'string' },
        map: { type: 'string', multiple: true },
        set: { type: 'string', multiple: true },
        branch: { type: 'string' },
        dedupe: { type: 'string' },
        'on-duplicate': { type: 'string' },
        'ignore-unknown': { type: 'boolean', default: false },
        partial: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        errors: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    )
    if (positional.length > 1 || (positional.length === 1 && v.file !== undefined))
      throw usageError('give one CSV file')
    const slug = required(v.model, 'model')
    const model = models.get(slug)
    if (!model?.actions.includes('create'))
      throw usageError(`--model: "${slug}" is not a model records can be created in`)
    const map = new Map<string, string>()
    for (const pair of (v.map ?? []).flatMap((m) => m.split(','))) {
      const at = pair.lastIndexOf('=')
      if (at < 1) throw usageError(`--map: expected Header=field, got "${pair}"`)
      map.set(normHeader(pair.slice(0, at)), pair.slice(at + 1).trim())
    }
    const set: Record<string, string> = {}
    for (const pair of v.set ?? []) {
      const at = pair.indexOf('=')
      if (at < 1) throw usageError(`--set: expected field=value, got "${pair}"`)
      set[pair.slice(0, at).trim()] = pair.slice(at + 1)
    }
    const dedupe = (v.dedupe ?? (slug === 'customer' ? 'phone' : 'none')) as Dedupe
    if (!DEDUPE.includes(dedupe)) throw usageError(`--dedupe: expected ${DEDUPE.join(', ')}, got "${dedupe}"`)
    const onDuplicate = v['on-duplicate'] ?? 'skip'
    if (onDuplicate !== 'skip' && onDuplicate !== 'update')
      throw usageError(`--on-duplicate: expected skip or update, got "${onDuplicate}"`)
    if (dedupe !== 'none' && !model.fields[dedupe])
      throw usageError(`--dedupe ${dedupe}: ${slug} records have no ${dedupe}`)
    if (v.errors !== undefined && !/^\d+$/.test(v.errors))
      throw usageError(`--errors: expected a number, got "${v.errors}"`)
    return {
      slug,
      file: required(v.file ?? positional[0], 'file'),
      map,
      set,
      branch: v.branch === undefined ? null : parseId(v.branch, 'branch'),
      dedupe,
      onDuplicate: onDuplicate as 'skip' | 'update',
      ignoreUnknown: v['ignore-unknown'],
      partial: v.partial,
      dryRun: v['dry-run'],
      errors: v.errors === undefined ? (v['dry-run'] ? 20 : Number.POSITIVE_INFINITY) : Number(v.errors),
      json: v.json,
    }
  },
  async run({ db, args, out, tz }) {
    let bytes: Buffer
    try {
      bytes = readFileSync(args.file)
    } catch (e) {
      throw failure(`cannot read ${args.file}: ${e instanceof Error ? e.message : String(e)}`)
    }
    const { text, encoding } = decodeCsv(bytes)
    let rows: ReturnType<typeof parseCsv>
    try {
      rows = parseCsv(text)
    } catch (e) {
      throw failure(`${args.file}: ${e instanceof Error ? e.message : String(e)}`)
    }
    const [header, ...data] = rows
    if (!header) throw failure(`${args.file} is empty`)
    const model = models.get(args.slug)!
    const result = await importCsv(
      (work) => inOperatorTransaction(db, tz, args.branch, work),
      model,
      models,
      header.cells.map((c) => c.trim()),
      data,
      args,
    ).catch((e: unknown) => {
      throw e instanceof CsvOptionError ? usageError(e.message) : e
    })
    if (args.json) out.json({ file: args.file, encoding, ...result })
    else report(out, args, result, encoding, separatorOf(text))
    if (result.unknown.length > 0 && !args.ignoreUnknown)
      throw failure(
        `${result.unknown.length} column(s) of ${args.file} are not understood (above): map them with ` +
          '--map "Header=field", or give --ignore-unknown to leave them out. Nothing was written.',
      )
    if (result.refused > 0)
      throw failure(
        `${result.refused} of ${result.rows} rows were refused` +
          (args.dryRun ? '' : args.partial ? '; the others were written' : '; nothing was written'),
      )
  },
})

function report(
  out: { line(s: string): void },
  args: {
    slug: string
    file: string
    dryRun: boolean
    partial: boolean
    errors: number
    ignoreUnknown: boolean
  },
  r: CsvImportResult,
  encoding: string,
  separator: string,
) {
  const sep = separator === '\t' ? 'tab' : `"${separator}"`
  out.line(`${args.file}: ${r.rows} rows, ${encoding}, ${sep}-separated.`)
  out.line(
    `Columns: ${r.columns.map((c) => `${c.header || '(no header)'} → ${c.field ?? '(left out)'}`).join(', ')}`,
  )
  for (const u of r.unknown) out.line(`  column not understood: ${u}`)
  if (r.unknown.length > 0 && !args.ignoreUnknown) return
  const would = args.dryRun || (r.refused > 0 && !args.partial)
  const verb = (done: string, maybe: string) => (would ? maybe : done)
  out.line(
    `${args.dryRun ? 'Dry run, nothing written: ' : would ? 'Nothing written (rows were refused): ' : ''}${r.created} ${verb('created', 'to create')}, ` +
      `${r.updated} ${verb('updated', 'to update')}, ${r.skipped} ${verb('skipped', 'to skip')} as duplicates, ` +
      `${r.refused} refused (${args.slug}).`,
  )
  let listed = 0
  for (const l of r.lines) {
    if (l.outcome === 'skipped') out.line(`  line ${l.line} skipped: ${l.reason}`)
    if (l.outcome !== 'refused') continue
    if (listed++ >= args.errors) continue
    const detail = Object.entries(l.errors ?? {})
      .map(([k, v]) => (k ? `${k}: ` : '') + v.join(' '))
      .join('; ')
    out.line(`  line ${l.line} refused: ${detail}`)
  }
  if (listed > args.errors)
    out.line(`  … and ${listed - args.errors} more refused lines (--errors N lists more)`)
}
