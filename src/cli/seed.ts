import { loadConfig } from '../config.js'
import { models } from '../models/index.js'
import { refreshAll } from '../seed/caches.js'
import { seedDemo } from '../seed/demo.js'
import { generate } from '../seed/generate.js'
import { Progress } from '../seed/progress.js'
import { defineCommand, failure, parseOptions, usageError } from './command.js'

const integer = (raw: string | undefined, option: string, min: number, fallback: number) => {
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw failure(`--${option}: expected an integer ≥ ${min}, got "${raw}"`)
  return Number(raw)
}

export const seed = defineCommand({
  synopsis: 'seed (--demo | --customers N) [--seed S] [--json]',
  summary: 'fill an empty database: a small demo school, or N customers with their lessons and pays',
  details: [
    '--demo           a small school made through the API: 2 branches, teachers, groups, a term of',
    '                 lessons, leads in the funnel, subscriptions, pays, conducted lessons',
    '--customers N    a school for N customers written in bulk (~N/10 groups, ~20 lesson places,',
    '                 ~2 pays and ~9 log rows per customer), for benchmarks',
    '--seed S         the random seed (default 1): the same seed on the same day gives the same data',
    '--check K        customers whose balances are checked against the API formula (default 200)',
    '--refresh-caches also rebuild every balance with the API formula (slow; for comparison)',
    'The bulk load builds secondary indexes at the end: a seed that is interrupted leaves an',
    'incomplete database, to be thrown away.',
  ],
  parse(argv) {
    const v = parseOptions(argv, {
      demo: { type: 'boolean', default: false },
      customers: { type: 'string' },
      seed: { type: 'string' },
      check: { type: 'string' },
      'refresh-caches': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    })
    if (v.demo === (v.customers !== undefined)) throw usageError('give either --demo or --customers N')
    return {
      demo: v.demo,
      customers: integer(v.customers, 'customers', 1, 0),
      seed: integer(v.seed, 'seed', 0, 1),
      check: integer(v.check, 'check', 0, 200),
      refresh: v['refresh-caches'],
      json: v.json,
    }
  },
  async run({ db, args, out, tz }) {
    const held = await schoolData(db)
    if (held)
      throw failure(
        `the database already holds a school (it has ${held}): seed fills an empty database only — ` +
          'use a fresh DATA_DIR or database',
      )
    if (args.demo) {
      const report = await seedDemo(db, { seed: args.seed, models }).catch((e: unknown) => {
        throw failure(
          `seed --demo stopped: ${e instanceof Error ? e.message : String(e)}. The database now holds part ` +
            'of the demo: throw it away and seed a fresh one.',
        )
      })
      if (args.json) return out.json(report)
      out.line(`Demo school made in ${report.seconds.toFixed(1)} s through ${report.requests} API calls:`)
      for (const [what, n] of Object.entries(report.made)) out.line(`  ${what}: ${n}`)
      const config = loadConfig()
      const who = report.admin
        ? `Log in as ${report.admin.email} with the API key ${report.admin.apiKey} (shown once; store it now):`
        : `Log in as an administrator (${report.actingAdmin}) with its API key:`
      out.line(who)
      const key = report.admin?.apiKey ?? '<api key>'
      out.line(
        `  curl -s -X POST http://localhost:${config.port}/v2api/auth/login -H 'Content-Type: application/json' ` +
          `-d '{"email":"${report.admin?.email ?? report.actingAdmin}","api_key":"${key}"}'`,
      )
      if (report.admin)
        out.line(
          `Sign in to the staff app at http://localhost:${config.port}/ as ${report.admin.email} with the ` +
            `password ${report.admin.password} (shown once; change it in the app's user menu).`,
        )
      return
    }
    const config = loadConfig()
    const report = await generate(db, {
      customers: args.customers,
      seed: args.seed,
      tz,
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      models,
      sample: args.check,
    })
    let refresh: number | null = null
    if (args.refresh) {
      const started = performance.now()
      const progress = new Progress('refreshCustomers', args.customers)
      await refreshAll(db, tz, models, (n) => progress.update(n))
      progress.done()
      refresh = (performance.now() - started) / 1000
    }
    if (report.mismatches.length > 0) {
      const first = report.mismatches[0]!
      throw failure(
        `${report.mismatches.length} of ${report.checked} checked customers have caches that differ from ` +
          `refreshCustomers, e.g. ${JSON.stringify(first)}`,
      )
    }
    if (args.json) return out.json({ ...report, refreshSeconds: refresh })
    const s = report.seconds
    out.line(
      `Seeded ${args.customers} customers in ${s.total.toFixed(1)} s ` +
        `(writing ${s.generate.toFixed(1)} s, finishing ${s.finish.toFixed(1)} s, checking ${s.check.toFixed(1)} s).`,
    )
    out.line(`Term ${report.term.start} – ${report.term.end}, today ${report.term.today}.`)
    for (const [table, n] of Object.entries(report.rows)) out.line(`  ${table}: ${n}`)
    out.line(`Balances of ${report.checked} sampled customers equal refreshCustomers.`)
    if (refresh !== null)
      out.line(`Rebuilding every balance with refreshCustomers took ${refresh.toFixed(1)} s.`)
  },
})

/** Tables a school's data starts in; a bootstrapped database (branch 1 and an admin) has none of it. */
const SCHOOL_TABLES = ['customers', 'subjects', 'groups', 'teachers', 'lessons', 'pays'] as const

/** The first table of school data that has rows, or null when the database is empty. */
async function schoolData(db: import('../db/connect.js').Db): Promise<string | null> {
  for (const table of SCHOOL_TABLES) {
    const row = await db.kysely.selectFrom(table).select('id').limit(1).executeTakeFirst()
    if (row) return table
  }
  return null
}
