import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { INDEXED, STAMPED } from '../../src/db/migrations/012-idempotency-sync.js'
import { models } from '../../src/models/index.js'
import { everything, type Post, poster } from '../helpers/ledger.js'
import { adminEnv, freshDatabase, type Server, startServer } from '../helpers/server.js'
import { WriteLoad } from '../helpers/write-load.js'

/**
 * `backup` and `restore` run as the operator runs them (the built CLI, a child process) against a
 * server serving real HTTP on SQLite or PostgreSQL (TEST_DATABASE_URL).
 */

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const isPostgres = Boolean(process.env.TEST_DATABASE_URL)
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'parta-backup-'))

interface Database {
  env: Record<string, string>
  drop(): Promise<void>
}

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI on the database of `env` (DATA_DIR or DATABASE_URL), as the operator would. */
function cli(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env }
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'ALFACRM_ADMIN_EMAIL', 'ALFACRM_ADMIN_API_KEY'])
    delete base[name]
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...base, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

async function ok(env: Record<string, string>, ...args: string[]): Promise<string> {
  const r = await cli(env, ...args)
  assert.equal(r.code, 0, `${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

/** A refusal: exit 1, the message on stderr, nothing on stdout, and no stack trace. */
async function refused(env: Record<string, string>, message: RegExp, ...args: string[]): Promise<void> {
  const r = await cli(env, ...args)
  assert.equal(r.code, 1, `${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  assert.match(r.stderr, message)
  assert.equal(r.stdout, '')
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const backupFile = (name: string) => path.join(temp, `${name}.${isPostgres ? 'dump' : 'db'}`)

/** Index filters that show every record whatever its default filters (§4.7). */
const EVERYTHING = { removed: 1, is_study: 2, status: [1, 2, 3], 'per-page': 50 }
/** Lists whose `status` is not a lesson's (the delivery log's is pending / delivered / failed). */
const OWN_STATUS = new Set(['webhook-delivery'])

/** Lists read per parent record: where the parents are listed, and the filter naming one. */
const PARENTS: Record<string, Array<[list: string, query: (id: number) => string]>> = {
  'teacher/working-hour': [['teacher', (id) => `teacher_id=${id}`]],
  'teacher/teacher-rate': [['teacher', (id) => `teacher_id=${id}`]],
  'customer-tariff': [['customer', (id) => `customer_id=${id}`]],
  cgi: [['group', (id) => `group_id=${id}`]],
  communication: ['Customer', 'Group', 'Task'].map((cls) => [
    cls.toLowerCase(),
    (id: number) => `class=${cls}&related_id=${id}`,
  ]),
}

type Lists = Map<string, any[]>

/** Every list of the school through the API: each model of the registry, in every branch, all pages. */
async function everyList(post: Post): Promise<Lists> {
  const lists: Lists = new Map()
  const read = async (key: string) =>
    lists.set(
      key,
      await everything(
        post,
        `${key.replace('?', '/index?')}${key.includes('?') ? '' : '/index'}`,
        OWN_STATUS.has(key.split('/')[1]!.split('?')[0]!) ? { 'per-page': 50 } : EVERYTHING,
      ),
    )
  const branches = (await everything(post, '1/branch/index', EVERYTHING)).map((b) => b.id as number)
  const listed = [...models].filter(([, m]) => m.actions.includes('index')).map(([resource]) => resource)
  for (const b of branches) {
    for (const resource of listed) if (!PARENTS[resource]) await read(`${b}/${resource}`)
    for (const resource of listed) {
      for (const [list, query] of PARENTS[resource] ?? []) {
        for (const p of lists.get(`${b}/${list}`) ?? []) await read(`${b}/${resource}?${query(p.id)}`)
      }
    }
  }
  return lists
}

/**
 * Writes one at a time, each a new customer or group named with its number, until stopped. Each
 * touches no other record, so the school after the k-th write is the final one without writes k+1….
 */
class NumberedWrites {
  readonly done: Array<{ n: number; resource: 'customer' | 'group'; id: number }> = []
  started = 0
  private stopped = false

  constructor(private readonly prefix = 'Во время копии') {}
  private running: Promise<void> = Promise.resolve()

  start(post: Post): void {
    this.running = (async () => {
      while (!this.stopped) {
        const n = ++this.started
        const resource = n % 2 === 0 ? 'group' : 'customer'
        const name = `${this.prefix} ${n}`
        const r = await post(
          `1/${resource}/create`,
          resource === 'customer' ? { name, is_study: 1, legal_type: 1 } : { name },
        )
        assert.equal(r.status, 200, r.text)
        this.done.push({ n, resource, id: r.body.model.id })
      }
    })()
    // A failed write ends the loop; `acknowledged` and `stop` report it.
    this.running.catch(() => {})
  }

  /** Resolves once `n` writes are acknowledged. */
  async acknowledged(n: number): Promise<void> {
    while (this.done.length < n) {
      if (await Promise.race([this.running.then(() => true), sleep(10).then(() => false)]))
        assert.fail('the writes stopped before the backup')
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.running
  }

  /** The number of the last write a school holds: its writes must be exactly 1…k. */
  lastIn(lists: Lists): number {
    const numbers = ['1/customer', '1/group'].flatMap((key) =>
      (lists.get(key) ?? []).flatMap((r) => {
        const m = new RegExp(`^${this.prefix} (\\d+)$`).exec(r.name)
        return m ? [Number(m[1])] : []
      }),
    )
    const k = Math.max(0, ...numbers)
    assert.deepEqual(
      numbers.sort((a, b) => a - b),
      Array.from({ length: k }, (_, i) => i + 1),
      'the writes held are exactly the first k: the backup is one moment of the school',
    )
    return k
  }

  /** `lists` as they were after write k: later writes' records and their log rows left out. */
  asOf(lists: Lists, k: number): Lists {
    const later = this.done.filter((w) => w.n > k)
    const gone = (resource: string, id: number) => later.some((w) => w.resource === resource && w.id === id)
    const entity: Record<string, string> = { Customer: 'customer', Group: 'group' }
    /** A list of a later write's sub-records (its comments, memberships): empty, and not kept. */
    const ofLater = (key: string) => {
      const q = new URLSearchParams(key.split('?')[1] ?? '')
      const parent = q.has('related_id')
        ? [q.get('class')?.toLowerCase() ?? '', q.get('related_id')]
        : q.has('customer_id')
          ? ['customer', q.get('customer_id')]
          : ['group', q.get('group_id')]
      return parent[1] !== null && gone(parent[0] ?? '', Number(parent[1]))
    }
    const out: Lists = new Map()
    for (const [key, items] of lists) {
      if (ofLater(key)) {
        assert.deepEqual(items, [], `${key} of a write after the backup`)
        continue
      }
      const resource = key.split('/')[1]?.split('?')[0] ?? ''
      out.set(
        key,
        items.filter((r) =>
          resource === 'log' ? !gone(entity[r.entity] ?? '', r.entity_id) : !gone(resource, r.id),
        ),
      )
    }
    return out
  }
}

/** A fresh database with a school in it: bulk-seeded customers, lessons, pays, then API writes. */
async function school(): Promise<{ db: Database; server: Server; post: Post }> {
  const db = await freshDatabase()
  await ok(adminEnv(db), 'seed', '--customers', '300')
  const server = await startServer(db.env)
  const post = poster(() => server.url, await server.login())
  const load = new WriteLoad(11)
  await load.setup(post)
  let writes = 0
  await load.run(post, 2, () => writes++ >= 60, 0)
  assert.deepEqual(load.figures.refused, [])
  return { db, server, post }
}

describe('backup and restore', () => {
  let source: { db: Database; server: Server; post: Post }
  const databases: Database[] = []
  const fresh = async () => {
    const db = await freshDatabase()
    databases.push(db)
    return db
  }

  before(async () => {
    source = await school()
  })
  after(async () => {
    await source.server.close()
    await source.db.drop()
    for (const db of databases) await db.drop()
    fs.rmSync(temp, { recursive: true, force: true })
  })

  test('a backup taken while the API writes restores to the school as of one moment, every list equal', async () => {
    const file = backupFile('live')
    const writes = new NumberedWrites()
    writes.start(source.post)
    await writes.acknowledged(5)
    const acknowledgedBefore = writes.done.length
    const run = await cli(source.db.env, 'backup', '--to', file, '--json')
    const startedBefore = writes.started
    const acknowledgedDuring = writes.done.length - acknowledgedBefore
    await writes.stop()
    assert.equal(run.code, 0, run.stderr)
    const report = JSON.parse(run.stdout)
    assert.deepEqual(Object.keys(report), ['kind', 'file', 'bytes', 'seconds'])
    assert.equal(report.kind, isPostgres ? 'postgres' : 'sqlite')
    assert.equal(report.bytes, fs.statSync(file).size)
    assert.ok(acknowledgedDuring > 0, 'the API wrote while the backup ran')
    assert.deepEqual(
      fs.readdirSync(temp).filter((f) => f.includes('partial')),
      [],
      'no partial file is left',
    )

    const target = await fresh()
    const restored = JSON.parse(await ok(target.env, 'restore', '--from', file, '--json'))
    assert.deepEqual(restored.migrated, [])
    const copy = await startServer(target.env)
    try {
      const got = await everyList(poster(() => copy.url, await copy.login()))
      const k = writes.lastIn(got)
      assert.ok(k >= acknowledgedBefore, `the backup holds every write acknowledged before it began (${k})`)
      assert.ok(k <= startedBefore, `and none begun after it ended (${k} ≤ ${startedBefore})`)
      const expected = writes.asOf(await everyList(source.post), k)
      const customers = [...expected].filter(([key]) => key.endsWith('/customer'))
      assert.ok(new Set(customers.flatMap(([, items]) => items.map((c) => c.id))).size > 300)
      assert.deepEqual([...got.keys()], [...expected.keys()])
      for (const [key, items] of expected) assert.deepEqual(got.get(key), items, `list ${key}`)
    } finally {
      await copy.close()
    }
  })

  test('backup prints the size and time; a second backup replaces the first only once complete', async () => {
    const file = backupFile('human')
    fs.writeFileSync(file, 'an older backup')
    const text = await ok(source.db.env, 'backup', '--to', file)
    assert.match(
      text,
      /^Backed up the (SQLite|PostgreSQL) database .* to .*: \d+\.\d (KB|MB) in \d+\.\d s\.\n$/,
    )
    assert.notEqual(fs.readFileSync(file).subarray(0, 5).toString(), 'an ol')
    assert.match(await ok(source.db.env, 'backup', '--help'), /--to FILE/)
    await refused(source.db.env, /folder .* does not exist/, 'backup', '--to', path.join(temp, 'no', 'x'))
    assert.equal((await cli(source.db.env, 'backup')).code, 2)
  })

  test('restore refuses a database with data unless --force, which replaces it', async () => {
    const file = backupFile('force')
    await ok(source.db.env, 'backup', '--to', file)
    const target = await fresh()
    await ok(target.env, 'user', 'create', '--email', 'kept@example.com', '--role', 'admin')
    await refused(target.env, /is not empty: .*--force/, 'restore', '--from', file)
    assert.match(await ok(target.env, 'user', 'list'), /kept@example\.com/, 'the refused target is untouched')

    const text = await ok(target.env, 'restore', '--from', file, '--force')
    assert.match(text, /^Restored .* \(\d+\.\d (KB|MB)\) into .* in \d+\.\d s\.\n$/)
    const users = await ok(target.env, 'user', 'list')
    assert.doesNotMatch(users, /kept@example\.com/)
    assert.match(users, /admin@school\.example/)
  })

  test('restore refuses a backup of the other database kind, or no backup at all, changing nothing', async () => {
    const target = await fresh()
    const otherKind = path.join(temp, 'other-kind')
    if (isPostgres) new SQLite(otherKind).exec('CREATE TABLE t (x)').close()
    else fs.writeFileSync(otherKind, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(100)]))
    const told = isPostgres ? /is a SQLite backup, but this server uses PostgreSQL/ : /is a PostgreSQL backup/
    await refused(target.env, told, 'restore', '--from', otherKind)
    const text = path.join(temp, 'notes.txt')
    fs.writeFileSync(text, 'not a backup at all')
    await refused(target.env, /neither a SQLite database nor a pg_dump/, 'restore', '--from', text)
    await refused(target.env, /cannot read .*ENOENT/, 'restore', '--from', path.join(temp, 'missing'))
    if (!isPostgres) {
      const foreign = path.join(temp, 'foreign.db')
      new SQLite(foreign).exec('CREATE TABLE t (x)').close()
      await refused(target.env, /not a Parta database/, 'restore', '--from', foreign)
    }
    assert.equal(await isEmpty(target), true, 'nothing was written to the target')
  })

  test('restore refuses the database of a server that is serving, even with --force', async () => {
    const file = backupFile('busy')
    await ok(source.db.env, 'backup', '--to', file)
    const writes = new NumberedWrites('Пока сервер работает')
    writes.start(source.post)
    await writes.acknowledged(1)
    const told = isPostgres ? /other session\(s\) use .*stop the server/ : /is in use: stop the server/
    try {
      await refused(source.db.env, told, 'restore', '--from', file, '--force')
    } finally {
      await writes.stop()
    }
    const names = (await everything(source.post, '1/customer/index', EVERYTHING)).map((c) => c.name)
    assert.ok(names.includes('Пока сервер работает 1'), 'the database was not replaced')
  })

  test('a backup made before a migration is migrated on restore', async () => {
    const old = await fresh()
    await ok(old.env, 'migrate')
    await undoLastMigration(old)
    const file = backupFile('old')
    await ok(old.env, 'backup', '--to', file)
    const target = await fresh()
    const restored = JSON.parse(await ok(target.env, 'restore', '--from', file, '--json'))
    assert.deepEqual(restored.migrated, [
      '012-idempotency-sync',
      '013-webhook-stamp',
      '014-customer-tally',
      '015-balance-sums',
      '016-customer-tally-by',
      '017-customer-pairs',
      '018-customer-sole-branch',
    ])
    assert.match(await ok(target.env, 'migrate'), /up to date/)
  })

  test('without pg_dump on PATH, backup says what to install', { skip: !isPostgres }, async () => {
    const env = { ...source.db.env, PATH: path.join(temp, 'empty') }
    await refused(
      env,
      /pg_dump was not found on PATH: install the PostgreSQL client tools/,
      'backup',
      '--to',
      backupFile('x'),
    )
  })
})

/** Whether a database holds nothing at all (SQLite: no file; PostgreSQL: no tables). */
async function isEmpty(db: Database): Promise<boolean> {
  if (db.env.DATA_DIR) return !fs.existsSync(path.join(db.env.DATA_DIR, 'parta.db'))
  return withClient(
    db,
    async (c) =>
      (await c.query('SELECT 1 FROM pg_tables WHERE schemaname = $1', ['public'])).rows.length === 0,
  )
}

/** Makes a migrated database look as it did before 012-idempotency-sync (and 013–018), as an older version left it. */
async function undoLastMigration(db: Database): Promise<void> {
  const tally = (t: string) =>
    db.env.DATA_DIR
      ? ['link_in', 'link_out', 'link_move', 'in', 'move', 'out'].map((x) => `DROP TRIGGER ${t}_${x}`)
      : [
          `DROP TRIGGER ${t}_link ON customers_branch_ids`,
          `DROP TRIGGER ${t}_in ON customers`,
          `DROP TRIGGER ${t}_out ON customers`,
          `DROP FUNCTION ${t}_link`,
          `DROP FUNCTION ${t}_customer`,
        ]
  const sole = db.env.DATA_DIR
    ? ['link_in', 'link_out', 'link_move', 'in', 'move'].map((x) => `DROP TRIGGER customers_sole_branch_${x}`)
    : [
        'DROP TRIGGER customers_sole_branch_link ON customers_branch_ids',
        'DROP TRIGGER customers_sole_branch_in ON customers',
        'DROP FUNCTION customers_sole_branch_link',
        'DROP FUNCTION customers_sole_branch_customer',
      ]
  const statements = [
    ...sole,
    // 018 made 017's index and 001's customers_state again with its column: the indexes go first
    // (they hold the column), customers_state comes back as 001 made it, customers_counted with 017.
    'DROP INDEX customers_counted',
    'DROP INDEX customers_state',
    'CREATE INDEX customers_state ON customers (removed, is_study, id)',
    'ALTER TABLE customers DROP COLUMN sole_branch_id',
    "DELETE FROM kysely_migration WHERE name = '018-customer-sole-branch'",
    "DELETE FROM kysely_migration WHERE name = '017-customer-pairs'",
    ...tally('customers_tally_by'),
    'DROP TABLE customers_tally_by',
    "DELETE FROM kysely_migration WHERE name = '016-customer-tally-by'",
    // 015 only widened an index, which its `up` drops and makes again.
    "DELETE FROM kysely_migration WHERE name = '015-balance-sums'",
    ...tally('customers_tally'),
    'DROP TABLE customers_tally',
    "DELETE FROM kysely_migration WHERE name = '014-customer-tally'",
    'ALTER TABLE webhooks DROP COLUMN updated_at',
    "DELETE FROM kysely_migration WHERE name = '013-webhook-stamp'",
    'DROP TABLE idempotency_keys',
    ...INDEXED.map((t) => `DROP INDEX ${t}_updated_at`),
    ...STAMPED.map((t) => `ALTER TABLE ${t} DROP COLUMN updated_at`),
    "DELETE FROM kysely_migration WHERE name = '012-idempotency-sync'",
  ]
  if (db.env.DATA_DIR) {
    const sqlite = new SQLite(path.join(db.env.DATA_DIR, 'parta.db'))
    for (const s of statements) sqlite.exec(s)
    sqlite.close()
    return
  }
  await withClient(db, async (c) => {
    for (const s of statements) await c.query(s)
  })
}

async function withClient<T>(db: Database, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.env.DATABASE_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}
