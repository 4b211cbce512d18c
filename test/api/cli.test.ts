import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { verifyApiKey } from '../../src/auth/secrets.js'
import { issueToken } from '../../src/auth/tokens.js'
import { connect, type Db } from '../../src/db/connect.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const PG_URL = process.env.TEST_DATABASE_URL

interface Target {
  env: NodeJS.ProcessEnv
  db: Db
  drop(): Promise<void>
}

/** A database of its own: SQLite in a temp DATA_DIR, or a new PostgreSQL database with TEST_DATABASE_URL. */
async function freshTarget(): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parta-cli-'))
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir }
  for (const name of ['DATABASE_URL', 'ALFACRM_ADMIN_EMAIL', 'ALFACRM_ADMIN_API_KEY']) delete env[name]
  let dropDatabase = async () => {}
  if (PG_URL) {
    const name = `parta_cli_${randomBytes(6).toString('hex')}`
    await withAdmin((c) => c.query(`CREATE DATABASE ${name}`))
    const url = new URL(PG_URL)
    url.pathname = `/${name}`
    env.DATABASE_URL = url.toString()
    dropDatabase = () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  }
  const db = connect({ databaseUrl: env.DATABASE_URL ?? null, dataDir, poolSize: 2 })
  return {
    env,
    db,
    async drop() {
      await db.close()
      await dropDatabase()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

async function withAdmin(fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await fn(client)
  } finally {
    await client.end()
  }
}

interface Run {
  code: number
  stdout: string
  stderr: string
}

function cli(target: Target, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: target.env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

async function ok(target: Target, ...args: string[]): Promise<string> {
  const r = await cli(target, ...args)
  assert.equal(r.code, 0, `${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

async function storedHash(t: Target, id: number): Promise<string> {
  const row = await t.db.kysely
    .selectFrom('users')
    .select('api_key_hash')
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
  return String(row.api_key_hash)
}

const KEY = 'operator-key-0123456789'
let t: Target

before(async () => {
  t = await freshTarget()
})
after(async () => {
  await t.drop()
})

test('user create prints a generated api key once; --json prints one parseable object', async () => {
  // A manager of no branch could do nothing: without branch 1 to default to, the command says why.
  const refused = await cli(t, 'user', 'create', '--email', 'first@example.com')
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /a manager needs --branches: there is no branch 1/)
  const branch = JSON.parse(await ok(t, 'branch', 'create', '--name', 'Север', '--json')) as { id: number }
  const human = await ok(t, 'user', 'create', '--email', 'first@example.com')
  const key = /API key: (\S+)/.exec(human)?.[1]
  assert.match(key ?? '', /^[0-9a-f-]{36}$/)
  assert.equal(human.split(key ?? '').length, 2, 'the key is printed exactly once')
  assert.match(human, /role manager, branches \[1\]/, 'a non-admin without --branches gets branch 1')

  const out = await ok(
    t,
    'user',
    'create',
    '--email',
    'json@example.com',
    '--role',
    'teacher',
    '--branches',
    `${branch.id}`,
    '--json',
  )
  const user = JSON.parse(out) as Record<string, unknown>
  assert.deepEqual(Object.keys(user), ['id', 'email', 'role', 'branch_ids', 'api_key'])
  assert.equal(user.email, 'json@example.com')
  assert.equal(user.role, 'teacher')
  assert.deepEqual(user.branch_ids, [branch.id])
  assert.equal(await verifyApiKey(String(user.api_key), await storedHash(t, Number(user.id))), true)
})

test('user create refuses an e-mail that exists in another letter case', async () => {
  await ok(t, 'user', 'create', '--email', 'Dup@Example.com')
  const r = await cli(t, 'user', 'create', '--email', 'dup@example.COM')
  assert.equal(r.code, 1)
  assert.match(r.stderr, /already exists/)
  assert.equal(r.stdout, '')
})

test('user create names the bad value: role, short key, unknown branch, missing e-mail', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--email', 'r@example.com', '--role', 'boss'], /role "boss"/],
    [['--email', 'k@example.com', '--api-key', 'short'], /--api-key must be at least 16/],
    [['--email', 'b@example.com', '--branches', '999'], /no branch with id 999/],
    [['--email', '  '], /--email must not be empty/],
    [['--name', 'No Email'], /missing required option --email/],
  ]
  for (const [args, message] of cases) {
    const r = await cli(t, 'user', 'create', ...args)
    assert.ok(r.code === 1 || r.code === 2, `${args.join(' ')} exited ${r.code}`)
    assert.match(r.stderr, message)
  }
})

test('an unknown command or option exits 2 with a message; --help exits 0', async () => {
  for (const args of [['frobnicate'], ['user', 'frob'], [], ['user', 'list', '--bogus']]) {
    const r = await cli(t, ...args)
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}`)
    assert.notEqual(r.stderr.trim(), '')
  }
  assert.match(await ok(t, '--help'), /user rotate-key/)
  assert.match(await ok(t, 'user', 'create', '--help'), /--branches/)
})

test('--help works on every command and on each group of commands', async () => {
  for (const args of [['user'], ['branch']])
    assert.match(await ok(t, ...args, '--help'), /Usage: npm run cli -- \w+ <command>/)
  for (const args of [
    ['user', 'create'],
    ['user', 'update'],
    ['user', 'list'],
    ['user', 'rotate-key'],
    ['user', 'revoke-tokens'],
    ['branch', 'create'],
    ['migrate'],
    ['seed'],
    ['backup'],
    ['restore'],
  ])
    assert.match(await ok(t, ...args, '--help'), /^Usage: npm run cli -- /, args.join(' '))
})

test('user update changes role, branches, name and activity with the API rules, logged as the operator', async () => {
  const made = JSON.parse(await ok(t, 'user', 'create', '--email', 'upd@example.com', '--json')) as {
    id: number
    api_key: string
  }
  const token = await issueToken(t.db.kysely, made.id, 3600)
  const out = await ok(
    t,
    'user',
    'update',
    '--email',
    'UPD@example.com',
    '--role',
    'teacher',
    '--name',
    'Учитель',
  )
  assert.match(out, /role teacher, branches \[1\], active/)
  const inactive = await ok(t, 'user', 'update', '--id', String(made.id), '--active', '0')
  assert.match(inactive, /inactive \(its tokens are revoked\)/)
  const left = await t.db.kysely
    .selectFrom('tokens')
    .select('token_hash')
    .where('user_id', '=', made.id)
    .execute()
  assert.deepEqual(left, [], `token ${token.slice(0, 6)}… revoked`)
  const bad = await cli(t, 'user', 'update', '--email', 'upd@example.com', '--branches', '999')
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /branch_ids: Значение «Филиалы» неверно\./)
  const none = await cli(t, 'user', 'update', '--email', 'upd@example.com')
  assert.equal(none.code, 2)
  const log = await t.db.kysely
    .selectFrom('log')
    .select(['user_id', 'event'])
    .where('entity', '=', 'User')
    .where('entity_id', '=', made.id)
    .where('event', '=', 2)
    .execute()
  assert.ok(log.length >= 2 && log.every((r) => Number(r.user_id) === 0), JSON.stringify(log))

  // The last active admin keeps its role and its access, whoever asks.
  const admin = JSON.parse(
    await ok(t, 'user', 'create', '--email', 'only-admin@example.com', '--role', 'admin', '--json'),
  ) as { id: number }
  const others = await t.db.kysely
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('id', '!=', admin.id)
    .execute()
  for (const o of others) await ok(t, 'user', 'update', '--id', String(o.id), '--active', '0')
  const demote = await cli(t, 'user', 'update', '--id', String(admin.id), '--role', 'manager')
  assert.equal(demote.code, 1)
  assert.match(demote.stderr, /^parta: id: /)
})

test('user list shows users and never a key or its hash', async () => {
  await ok(t, 'user', 'create', '--email', 'listed@example.com', '--name', 'Listed One', '--api-key', KEY)
  const human = await ok(t, 'user', 'list')
  assert.match(human, /listed@example\.com\s+Listed One\s+manager/)
  const json = await ok(t, 'user', 'list', '--json')
  const users = JSON.parse(json) as Array<Record<string, unknown>>
  const listed = users.find((u) => u.email === 'listed@example.com')
  assert.deepEqual(Object.keys(listed ?? {}), [
    'id',
    'email',
    'name',
    'role',
    'is_active',
    'is_v2api',
    'branch_ids',
  ])
  for (const text of [human, json]) {
    assert.ok(!text.includes(KEY) && !text.includes('scrypt$'), 'no key material in the listing')
  }
})

test("user rotate-key sets a new key, which replaces the old one, and revokes the user's tokens", async () => {
  const created = JSON.parse(await ok(t, 'user', 'create', '--email', 'rotate@example.com', '--json'))
  const oldKey = String(created.api_key)
  const id = Number(created.id)
  await issueToken(t.db.kysely, id, 3600)
  await issueToken(t.db.kysely, id, 3600)

  const rotated = JSON.parse(await ok(t, 'user', 'rotate-key', '--email', 'ROTATE@example.com', '--json'))
  assert.equal(rotated.id, id)
  assert.equal(rotated.revoked_tokens, 2)
  assert.notEqual(rotated.api_key, oldKey)
  const hash = await storedHash(t, id)
  assert.equal(await verifyApiKey(oldKey, hash), false)
  assert.equal(await verifyApiKey(String(rotated.api_key), hash), true)

  const human = await ok(t, 'user', 'rotate-key', '--id', `${id}`, '--api-key', KEY)
  assert.match(human, /Revoked 0 token/)
  assert.equal(await verifyApiKey(KEY, await storedHash(t, id)), true)
  assert.equal((await cli(t, 'user', 'rotate-key', '--id', '9999')).code, 1)
  assert.equal((await cli(t, 'user', 'rotate-key', '--id', `${id}`, '--email', 'x@example.com')).code, 2)
})

test('user revoke-tokens deletes every token of the user and says how many', async () => {
  const created = JSON.parse(await ok(t, 'user', 'create', '--email', 'tokens@example.com', '--json'))
  const other = JSON.parse(await ok(t, 'user', 'create', '--email', 'other@example.com', '--json'))
  for (let i = 0; i < 3; i++) await issueToken(t.db.kysely, Number(created.id), 3600)
  await issueToken(t.db.kysely, Number(other.id), 3600)

  const revoked = JSON.parse(await ok(t, 'user', 'revoke-tokens', '--id', `${created.id}`, '--json'))
  assert.equal(revoked.revoked_tokens, 3)
  assert.match(await ok(t, 'user', 'revoke-tokens', '--email', 'tokens@example.com'), /Revoked 0 token/)
  const left = await t.db.kysely.selectFrom('tokens').select('user_id').execute()
  assert.deepEqual(
    left.map((r) => Number(r.user_id)),
    [Number(other.id)],
  )
})

test('branch create prints the new id and stores an active branch', async () => {
  const id = Number(/Created branch (\d+)/.exec(await ok(t, 'branch', 'create', '--name', 'Юг'))?.[1])
  const row = await t.db.kysely
    .selectFrom('branches')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
  assert.deepEqual([row.name, Number(row.is_active), row.subject_ids, Number(row.weight)], ['Юг', 1, '[]', 0])
  assert.equal((await cli(t, 'branch', 'create', '--name', 'x'.repeat(51))).code, 1)
})

test('operator creations are logged, without the api key', async () => {
  const user = JSON.parse(
    await ok(t, 'user', 'create', '--email', 'logged@example.com', '--api-key', KEY, '--json'),
  )
  const row = await t.db.kysely
    .selectFrom('log')
    .selectAll()
    .where('entity', '=', 'User')
    .where('entity_id', '=', user.id)
    .executeTakeFirstOrThrow()
  assert.equal(Number(row.event), 1)
  assert.equal(JSON.parse(String(row.fields_new)).email, 'logged@example.com')
  assert.ok(!String(row.fields_new).includes(KEY) && !String(row.fields_new).includes('api_key'))
})

test('migrate applies the migrations on a fresh database, then reports it is up to date', async () => {
  const fresh = await freshTarget()
  try {
    assert.match(await ok(fresh, 'migrate'), /Applied migration 001-init/)
    assert.match(await ok(fresh, 'migrate'), /up to date/)
    assert.deepEqual(JSON.parse(await ok(fresh, 'migrate', '--json')), { migrations: [] })
  } finally {
    await fresh.drop()
  }
})
