import { ROLES, type Role } from '../auth/roles.js'
import { createUser } from '../auth/users.js'
import type { AnyDb } from '../engine/model.js'
import { defineCommand, failure, parseId, parseOptions, required, usageError } from './command.js'
import { asOperator } from './operator-call.js'
import { logCreated } from './operator-log.js'
import { formatTable } from './output.js'

const MAX_TEXT = 255 // §7.30: email, name and api_key are string(255)
export const KEY_WARNING = 'Store it now: it is shown only once and kept only as a hash.'

export const userCreate = defineCommand({
  synopsis: 'user create --email E [--api-key K] [--name N] [--role R] [--branches 1,2] [--json]',
  summary: 'create an API user and print its api key once',
  details: [
    '--api-key K    at least 16 characters; a random key is generated when omitted',
    '--name N       defaults to the e-mail',
    `--role R       one of ${ROLES.join(', ')} (default manager)`,
    '--branches L   comma-separated ids of existing branches (ignored for admins); other roles',
    '               get branch 1 when none are given',
    'An admin created on a database without branches also creates branch 1, as the first start does.',
  ],
  parse(argv) {
    const v = parseOptions(argv, {
      email: { type: 'string' },
      'api-key': { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string', default: 'manager' },
      branches: { type: 'string', default: '' },
      json: { type: 'boolean', default: false },
    })
    const email = checkText(required(v.email, 'email'), 'email')
    const name = v.name === undefined ? undefined : checkText(v.name, 'name')
    const apiKey = v['api-key'] === undefined ? undefined : checkApiKey(v['api-key'])
    return {
      email,
      name,
      apiKey,
      role: checkRole(v.role),
      branchIds: parseBranchIds(v.branches),
      json: v.json,
    }
  },
  async run({ db, args, out, tz }) {
    const created = await db.kysely.transaction().execute(async (trx) => {
      await assertEmailFree(trx, args.email)
      await assertBranchesExist(trx, args.branchIds)
      const madeBranch = args.role === 'admin' && (await ensureFirstBranch(trx, tz))
      if (madeBranch && !args.json) out.line('No branch yet: created branch 1 (Основной филиал).')
      // A manager, teacher or readonly user of no branch could do nothing at all (every call a 403).
      if (args.role !== 'admin' && args.branchIds.length === 0)
        args.branchIds = await firstBranch(trx, args.role)
      const user = await createUser(trx, args).catch((e: unknown) => {
        throw isUniqueViolation(e) ? emailTaken(args.email) : e
      })
      const attributes = { name: args.name ?? args.email, email: args.email, role: args.role }
      const flags = { is_v2api: 1, branch_ids: args.branchIds, is_active: 1 }
      await logCreated(trx, tz, {
        entity: 'User',
        entityId: user.id,
        attributes: { ...attributes, ...flags },
        visibility: 'admin',
      })
      return user
    })
    const { id, apiKey } = created
    if (args.json)
      return out.json({ id, email: args.email, role: args.role, branch_ids: args.branchIds, api_key: apiKey })
    out.line(`Created user ${id} <${args.email}>, role ${args.role}, branches [${args.branchIds.join(',')}].`)
    out.line(`API key: ${apiKey}`)
    out.line(KEY_WARNING)
  },
})

export const userList = defineCommand({
  synopsis: 'user list [--json]',
  summary: 'list users (never their keys)',
  parse: (argv) => ({ json: parseOptions(argv, { json: { type: 'boolean', default: false } }).json }),
  async run({ db, args, out }) {
    const rows = await db.kysely
      .selectFrom('users')
      .select(['id', 'email', 'name', 'role', 'is_active', 'is_v2api', 'branch_ids'])
      .orderBy('id')
      .execute()
    const users = rows.map((r) => ({
      id: Number(r.id),
      email: String(r.email),
      name: String(r.name),
      role: String(r.role),
      is_active: Number(r.is_active),
      is_v2api: Number(r.is_v2api),
      branch_ids: JSON.parse(String(r.branch_ids)) as number[],
    }))
    if (args.json) return out.json(users)
    if (users.length === 0) return out.line('No users.')
    const headers = ['id', 'email', 'name', 'role', 'is_active', 'is_v2api', 'branch_ids']
    const cells = users.map((u) => [
      u.id,
      u.email,
      u.name,
      u.role,
      u.is_active,
      u.is_v2api,
      u.branch_ids.join(','),
    ])
    for (const line of formatTable(
      headers,
      cells.map((c) => c.map(String)),
    ))
      out.line(line)
  },
})

export function checkText(value: string, option: string): string {
  const text = value.trim()
  if (text === '') throw failure(`--${option} must not be empty`)
  if ([...text].length > MAX_TEXT) throw failure(`--${option} must be at most ${MAX_TEXT} characters`)
  return text
}

export function checkApiKey(key: string): string {
  if ([...key].length < 16) throw failure('--api-key must be at least 16 characters')
  if ([...key].length > MAX_TEXT) throw failure(`--api-key must be at most ${MAX_TEXT} characters`)
  return key
}

function checkRole(role: string): Role {
  const found = ROLES.find((r) => r === role)
  if (!found) throw failure(`--role "${role}" is not a role; expected one of ${ROLES.join(', ')}`)
  return found
}

function parseBranchIds(list: string): number[] {
  const parts = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  return [...new Set(parts.map((p) => parseId(p, 'branches')))]
}

async function assertEmailFree(db: AnyDb, email: string): Promise<void> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('email_lc', '=', email.toLowerCase())
    .executeTakeFirst()
  if (row) throw emailTaken(email)
}

const emailTaken = (email: string) =>
  failure(`a user with e-mail ${email} already exists (e-mails are case-insensitive)`)

/** Branch 1, the default of a non-admin user created without `--branches`; refused when it is missing. */
async function firstBranch(db: AnyDb, role: string): Promise<number[]> {
  const one = await db.selectFrom('branches').select('id').where('id', '=', 1).executeTakeFirst()
  if (!one)
    throw failure(
      `a ${role} needs --branches: there is no branch 1 (create one with \`branch create --name N\`)`,
    )
  return [1]
}

/** On a database without branches, branch 1 as the first start makes it; true when it was made. */
async function ensureFirstBranch(db: AnyDb, tz: string): Promise<boolean> {
  if (await db.selectFrom('branches').select('id').limit(1).executeTakeFirst()) return false
  const name = 'Основной филиал'
  const row = await db
    .insertInto('branches')
    .values({ name, is_active: 1, subject_ids: '[]', weight: 0 })
    .returning('id')
    .executeTakeFirstOrThrow()
  const attributes = { name, is_active: 1, subject_ids: [], weight: 0 }
  await logCreated(db, tz, { entity: 'Branch', entityId: Number(row.id), attributes, visibility: 'all' })
  return true
}

async function assertBranchesExist(db: AnyDb, ids: number[]): Promise<void> {
  if (ids.length === 0) return
  const rows = await db.selectFrom('branches').select('id').where('id', 'in', ids).execute()
  const found = new Set(rows.map((r) => Number(r.id)))
  const missing = ids.filter((id) => !found.has(id))
  if (missing.length > 0) throw failure(`--branches: no branch with id ${missing.join(', ')}`)
}

/** SQLite and PostgreSQL name a unique-index violation differently. */
function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505'
}

export const userUpdate = defineCommand({
  synopsis: 'user update (--email E | --id N) [--role R] [--branches 1,2] [--name N] [--active 0|1] [--json]',
  summary: 'change a user: role, branches, name, or whether it may log in',
  details: [
    `--role R       one of ${ROLES.join(', ')}`,
    '--branches L   comma-separated ids of existing branches (replaces the list)',
    '--name N       the name shown in the log and the staff app',
    '--active 0|1   0 stops the user logging in and revokes its tokens; 1 lets it in again',
    "The rules are the API's: the last active admin cannot be demoted or deactivated.",
  ],
  parse(argv) {
    const v = parseOptions(argv, {
      email: { type: 'string' },
      id: { type: 'string' },
      role: { type: 'string' },
      branches: { type: 'string' },
      name: { type: 'string' },
      active: { type: 'string' },
      json: { type: 'boolean', default: false },
    })
    const who = parseWho(v)
    if (v.active !== undefined && v.active !== '0' && v.active !== '1')
      throw failure(`--active: expected 0 or 1, got "${v.active}"`)
    const body: Record<string, unknown> = {}
    if (v.role !== undefined) body.role = checkRole(v.role)
    if (v.branches !== undefined) body.branch_ids = parseBranchIds(v.branches)
    if (v.name !== undefined) body.name = checkText(v.name, 'name')
    if (v.active !== undefined) body.is_active = Number(v.active)
    if (Object.keys(body).length === 0)
      throw usageError('nothing to change: give --role, --branches, --name or --active')
    return { who, body, json: v.json }
  },
  async run({ db, args, out, tz }) {
    const row = await findUser(db.kysely, args.who)
    const reply = await asOperator(db, tz, 'user', 'update', {
      query: { id: String(row.id) },
      body: args.body,
    })
    const user = reply.model as Record<string, unknown>
    if (args.json) return out.json(user)
    const branches = (user.branch_ids as number[]).join(',')
    out.line(
      `Updated user ${user.id} <${user.email}>: role ${user.role}, branches [${branches}], ` +
        `${user.is_active === 1 ? 'active' : 'inactive (its tokens are revoked)'}.`,
    )
  },
})

/** A user named on the command line by e-mail or id. */
export type Who = { email: string } | { id: number }

export function parseWho(v: { email?: string | undefined; id?: string | undefined }): Who {
  if ((v.email === undefined) === (v.id === undefined))
    throw usageError('give exactly one of --email or --id')
  return v.id === undefined ? { email: checkText(v.email ?? '', 'email') } : { id: parseId(v.id, 'id') }
}

export async function findUser(db: AnyDb, who: Who): Promise<{ id: number; email: string }> {
  const q = db.selectFrom('users').select(['id', 'email'])
  const row = await ('id' in who
    ? q.where('id', '=', who.id)
    : q.where('email_lc', '=', who.email.toLowerCase())
  ).executeTakeFirst()
  if (!row) throw failure(`no user with ${'id' in who ? `id ${who.id}` : `e-mail ${who.email}`}`)
  return { id: Number(row.id), email: String(row.email) }
}
