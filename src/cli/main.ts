import { bootstrap } from '../auth/users.js'
import { ConfigError, loadConfig } from '../config.js'
import { connect } from '../db/connect.js'
import { migrate } from '../db/migrate.js'
import { backup, restore } from './backup.js'
import { branchCreate } from './branches.js'
import { CliError, type Command, defineCommand, parseOptions, type StandaloneCommand } from './command.js'
import { importAlfacrm } from './import.js'
import { importCsvCommand } from './import-csv.js'
import { type Output, streamOutput } from './output.js'
import { seed } from './seed.js'
import { userRevokeTokens, userRotateKey, userSetPassword } from './user-keys.js'
import { userCreate, userList, userUpdate } from './users.js'
import { webhookAdd, webhookList, webhookRemove, webhookTest } from './webhooks.js'

const migrateCommand = defineCommand({
  synopsis: 'migrate [--json]',
  summary: 'apply pending database migrations (every command does this first)',
  parse: (argv) => ({ json: parseOptions(argv, { json: { type: 'boolean', default: false } }).json }),
  async run({ args, out, migrated }) {
    if (args.json) return out.json({ migrations: migrated })
    if (migrated.length === 0) return out.line('Database is up to date.')
    for (const name of migrated) out.line(`Applied migration ${name}.`)
  },
})

/** The operator's commands by name. */
const COMMANDS: Record<string, Command | StandaloneCommand> = {
  'user create': userCreate,
  'user list': userList,
  'user update': userUpdate,
  'user rotate-key': userRotateKey,
  'user revoke-tokens': userRevokeTokens,
  'user set-password': userSetPassword,
  'branch create': branchCreate,
  'webhook add': webhookAdd,
  'webhook list': webhookList,
  'webhook remove': webhookRemove,
  'webhook test': webhookTest,
  migrate: migrateCommand,
  seed,
  'import alfacrm': importAlfacrm,
  'import csv': importCsvCommand,
  backup,
  restore,
}

const HELP = new Set(['--help', '-h', 'help'])

function usage(): string {
  return [
    'Usage: npm run cli -- <command> [options]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).flatMap((c) => [`  ${c.synopsis}`, `      ${c.summary}`]),
    '',
    "Run `<command> --help` for its options. The database is the server's: DATA_DIR (SQLite)",
    'or DATABASE_URL (PostgreSQL). Every command but backup and restore migrates it first.',
  ].join('\n')
}

function commandHelp(c: Command | StandaloneCommand): string {
  return [
    `Usage: npm run cli -- ${c.synopsis}`,
    '',
    `  ${c.summary}`,
    ...(c.details ?? []).map((d) => `  ${d}`),
  ].join('\n')
}

/** `user --help`: the commands of a group, or null when `group` names none. */
function groupHelp(group: string): string | null {
  const members = Object.entries(COMMANDS).filter(([name]) => name.startsWith(`${group} `))
  if (members.length === 0) return null
  return [
    `Usage: npm run cli -- ${group} <command> [options]`,
    '',
    ...members.flatMap(([, c]) => [`  ${c.synopsis}`, `      ${c.summary}`]),
    '',
    `Run \`${group} <command> --help\` for its options.`,
  ].join('\n')
}

/** Two-word names (`user create`) first, then one-word ones (`migrate`). */
function resolve(argv: string[]): { command: Command | StandaloneCommand; rest: string[] } | null {
  for (const words of [2, 1]) {
    const command = COMMANDS[argv.slice(0, words).join(' ')]
    if (argv.length >= words && command) return { command, rest: argv.slice(words) }
  }
  return null
}

async function main(argv: string[], out: Output, err: Output): Promise<number> {
  const first = argv[0]
  if (first === undefined || HELP.has(first)) {
    ;(first === undefined ? err : out).line(usage())
    return first === undefined ? 2 : 0
  }
  const found = resolve(argv)
  if (!found && HELP.has(argv[1] ?? '') && groupHelp(first)) {
    out.line(groupHelp(first)!)
    return 0
  }
  if (!found) throw new CliError(`unknown command "${argv.slice(0, 2).join(' ')}"\n\n${usage()}`, 2)
  const { command, rest } = found
  if (rest.some((a) => HELP.has(a) && a !== 'help')) {
    out.line(commandHelp(command))
    return 0
  }
  const args = command.parse(rest)
  const config = loadConfig()
  if ('standalone' in command) {
    await command.run({ config, args, out, err })
    return 0
  }
  const db = connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 })
  try {
    const migrated = await migrate(db)
    // The same first-start rule as the server's (§7.30), so a command run before the server's first
    // start cannot leave a database without the configured admin.
    if (await bootstrap(db.kysely, config.adminEmail, config.adminApiKey)) {
      err.line(`Empty database: created branch 1 and admin ${config.adminEmail} from ALFACRM_ADMIN_EMAIL.`)
    }
    await command.run({ db, args, out, tz: config.tz, migrated, config })
    return 0
  } finally {
    await db.close()
  }
}

const out = streamOutput(process.stdout)
const err = streamOutput(process.stderr)
main(process.argv.slice(2), out, err).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    if (e instanceof CliError) {
      err.line(`parta: ${e.message}`)
      process.exitCode = e.exitCode
    } else if (e instanceof ConfigError) {
      err.line(e.message)
      process.exitCode = 2
    } else {
      err.line(`parta: ${e instanceof Error ? e.message : String(e)}`)
      process.exitCode = 1
    }
  },
)
