import path from 'node:path'
import { loadConfig } from '../config.js'
import { importAlfa, schoolTables } from '../import/alfacrm.js'
import { SourceClient } from '../import/client.js'
import { models } from '../models/index.js'
import { CliError, defineCommand, failure, parseOptions, required, usageError } from './command.js'
import { formatTable } from './output.js'

export const importAlfacrm = defineCommand({
  synopsis: 'import alfacrm --url URL --email E --api-key K [options]',
  summary: 'copy a school from an Alfa CRM v2api server into this database, keeping every id',
  details: [
    '--url URL        the source, e.g. https://school.s20.online',
    '--email E        a source user with API access (an administrator, to read users and the log)',
    '--api-key K      its API key (never printed)',
    '--branches 1,3   only these source branches (default: all)',
    '--models a,b     only these models, by slug (customer, lesson, pay …); the rest are left alone',
    '--since DATE     lessons, pays and log rows from this date on (implies --merge)',
    '--dry-run        read and check everything, write nothing',
    '--rps N          at most N requests a second to the source (default 4)',
    '--merge          write into a database that already holds a school (same ids are overwritten)',
    '--resume         go on from the checkpoint of an interrupted import',
    '--checkpoint F   the checkpoint file (default: alfacrm-import.json in DATA_DIR or the cwd)',
    '--json           the summary as one JSON document',
  ],
  parse(argv) {
    const v = parseOptions(argv, {
      url: { type: 'string' },
      email: { type: 'string' },
      'api-key': { type: 'string' },
      branches: { type: 'string' },
      models: { type: 'string' },
      since: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      rps: { type: 'string' },
      merge: { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      checkpoint: { type: 'string' },
      json: { type: 'boolean', default: false },
    })
    const rps = v.rps === undefined ? 4 : Number(v.rps)
    if (!Number.isFinite(rps) || rps <= 0)
      throw usageError(`--rps: expected a positive number, got "${v.rps}"`)
    const branches = v.branches?.split(',').map((b) => {
      if (!/^\d+$/.test(b.trim())) throw usageError(`--branches: expected ids like 1,3, got "${v.branches}"`)
      return Number(b)
    })
    if (v.since !== undefined && !/^(\d{4}-\d{2}-\d{2}|\d{2}\.\d{2}\.\d{4})$/.test(v.since))
      throw usageError(`--since: expected a date (2025-09-01 or 01.09.2025), got "${v.since}"`)
    const url = required(v.url, 'url')
    if (!/^https?:\/\//.test(url)) throw usageError(`--url: expected http(s)://…, got "${url}"`)
    return {
      url,
      email: required(v.email, 'email'),
      apiKey: required(v['api-key'], 'api-key'),
      branches: branches ?? null,
      models: v.models ? v.models.split(',').map((m) => m.trim()) : null,
      since: v.since ?? null,
      dryRun: v['dry-run'],
      rps,
      merge: v.merge || v.since !== undefined,
      resume: v.resume,
      checkpoint: v.checkpoint,
      json: v.json,
    }
  },
  async run({ db, args, out, tz }) {
    const config = loadConfig()
    const checkpoint =
      args.checkpoint ?? path.join(config.databaseUrl ? process.cwd() : config.dataDir, 'alfacrm-import.json')
    if (!args.merge && !args.resume && !args.dryRun) {
      const held = await schoolTables(db)
      if (held.length > 0)
        throw failure(
          `the database already holds a school (${held.join(', ')}): import into an empty database, or ` +
            'give --merge to overwrite records with the same ids',
        )
    }
    const log = (line: string) => process.stderr.write(`${line}\n`)
    const client = new SourceClient({
      url: args.url,
      email: args.email,
      apiKey: args.apiKey,
      rps: args.rps,
      onNotice: (m) => log(`  source: ${m}`),
    })
    const result = await importAlfa(db, client, models, {
      source: args.url,
      branches: args.branches,
      models: args.models,
      since: args.since,
      dryRun: args.dryRun,
      merge: args.merge,
      checkpoint,
      resume: args.resume,
      tz,
      progress: log,
    }).catch((e: unknown) => {
      throw failure(
        `import stopped: ${e instanceof Error ? e.message : String(e)}. Run it again with --resume to go on.`,
      )
    })
    if (args.json) return out.json(result)
    out.line(
      `${args.dryRun ? 'Checked (dry run, nothing written)' : 'Imported'} in ${result.seconds.toFixed(1)} s ` +
        `through ${result.requests} requests.`,
    )
    for (const line of formatTable(
      ['model', 'source', 'imported', 'skipped', 'reasons'],
      result.reports.map((r) => [
        r.slug,
        String(r.source),
        String(r.imported),
        String(r.skipped),
        Object.entries(r.reasons)
          .map(([k, n]) => `${n}× ${k}`)
          .join('; '),
      ]),
    ))
      out.line(line)
    if (result.problems.length > 0) {
      out.line(`${result.problems.length} source values could not be represented (stored as the default):`)
      for (const p of result.problems.slice(0, 50))
        out.line(`  ${p.slug} ${p.id} ${p.field} = ${JSON.stringify(p.value)}: ${p.message}`)
      if (result.problems.length > 50) out.line(`  … and ${result.problems.length - 50} more (see --json)`)
    }
    if (!args.dryRun) {
      if (result.differences.length === 0)
        out.line(`Balances of all ${result.customersCompared} customers equal the source's.`)
      else {
        out.line(`${result.differences.length} customer figures differ from the source's:`)
        for (const d of result.differences.slice(0, 100))
          out.line(
            `  customer ${d.id} ${d.key}: source ${JSON.stringify(d.source)}, here ${JSON.stringify(d.target)}`,
          )
        // The data is in, but not faithfully: a script must not take this for a clean import.
        throw new CliError('the import finished, but some customer figures differ from the source (above)', 1)
      }
    }
  },
})
