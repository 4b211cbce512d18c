import { type ParseArgsConfig, parseArgs } from 'node:util'
import type { Config } from '../config.js'
import type { Db } from '../db/connect.js'
import type { Output } from './output.js'

/**
 * A problem the operator can fix. `usage` (exit 2): the command line itself is wrong — unknown command
 * or option, a missing option. `failure` (exit 1): the command was understood but cannot be done.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message)
  }
}

export const usageError = (message: string) => new CliError(message, 2)
export const failure = (message: string) => new CliError(message, 1)

export interface Ctx<A> {
  db: Db
  args: A
  out: Output
  /** Server time zone, for the wall-clock time of log rows (§0.3). */
  tz: string
  /** Migrations this run applied before the command (every command migrates first). */
  migrated: string[]
  config: Config
}

export interface Command<A = unknown> {
  /** `user create --email E [--json]`: the synopsis line of the usage text. */
  synopsis: string
  summary: string
  /** Options described one per line, shown by `<command> --help`. */
  details?: string[]
  parse(argv: string[]): A
  run(ctx: Ctx<A>): Promise<void>
}

/** Lets the command table hold commands with different argument types. */
export function defineCommand<A>(command: Command<A>): Command {
  return command as Command
}

type Options = NonNullable<ParseArgsConfig['options']>

/** Strict `parseArgs` (no positionals, no unknown options) whose complaints become usage errors. */
export function parseOptions<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values
  } catch (e) {
    throw usageError(e instanceof Error ? e.message : String(e))
  }
}

export function required(value: string | undefined, option: string): string {
  if (value === undefined) throw usageError(`missing required option --${option}`)
  return value
}

/** A positive integer id given on the command line. */
export function parseId(value: string, option: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw failure(`--${option}: expected a positive integer, got "${value}"`)
  }
  return Number(value)
}

/**
 * A command that opens the database itself, or must not have it migrated and bootstrapped first:
 * `backup` leaves the live database as it is, `restore` checks its target is empty before anything
 * is written to it. It gets the configuration instead of a connection.
 */
export interface StandaloneCommand<A = unknown> extends Omit<Command<A>, 'run'> {
  standalone: true
  run(ctx: { config: Config; args: A; out: Output; err: Output }): Promise<void>
}

export function defineStandalone<A>(command: StandaloneCommand<A>): StandaloneCommand {
  return command as StandaloneCommand
}
