import { ROLES, type Role } from '../auth/roles.js'
import { createUser } from '../auth/users.js'
import type { AnyDb } from '../engine/model.js'
import { defineCommand, failure, parseId, parseOptions, required } from './command.js'
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
    '--branches L   comma-separated ids of existing branches (ignored for admins)',
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
