import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { connect } from '../../src/db/connect.js'
import { poster } from '../helpers/ledger.js'
import { make } from '../helpers/make.js'
import { spawnServer } from '../helpers/process.js'
import { deduped, type Receiver, startReceiver, waitFor } from '../helpers/receiver.js'
import {
  adminEnv,
  adminToken,
  freshDatabase,
  type Server,
  startServer,
  withServer,
} from '../helpers/server.js'

/**
 * Issue 16: outgoing webhooks. A receiver on 127.0.0.1 verifies every signature and records what
 * arrives; servers retry fast here (the back-off and the retry horizon are shortened through config).
 */
const FAST = {
  WEBHOOK_POLL_MS: '50',
  WEBHOOK_RETRY_BASE_MS: '100',
  WEBHOOK_RETRY_MAX_MS: '300',
  WEBHOOK_TIMEOUT_MS: '1000',
}
const SECRET = 'test-secret-0123456789abcdef'

type Api = Pick<Server, 'api'>

async function addHook(s: Api, receiver: Receiver, fields: Record<string, unknown> = {}): Promise<number> {
  const r = await s.api('webhook/create', { url: receiver.url, secret: SECRET, ...fields })
  assert.equal(r.status, 200, r.text)
  receiver.secret = SECRET
  return r.body.model.id
}

interface LogRow {
  id: number
  entity: string
  entity_id: number
  event: number
  user_id: number
  fields_old: unknown
  fields_new: unknown
  date_time: string
}

/** Log rows after `afterId`, oldest first, but the webhooks' own. */
async function logSince(s: Api, afterId: number): Promise<LogRow[]> {
  const r = await s.api('log/index', { 'per-page': 500 })
  return (r.body.items as LogRow[])
    .filter((l) => l.id > afterId && l.entity !== 'Webhook')
    .sort((a, b) => a.id - b.id)
}

async function lastLogId(s: Api): Promise<number> {
  return ((await s.api('log/index', { 'per-page': 1 })).body.items[0]?.id as number) ?? 0
}

const pending = async (s: Api) =>
  (await s.api('webhook-delivery/index', { status: 'pending', 'per-page': 1 })).body.total as number

const EVENTS = ['', 'create', 'update', 'delete', 'restore']

/** The payload each log row must have arrived as, in order. */
function expectedPayloads(rows: LogRow[]) {
  return rows.map((l) => ({
    event: EVENTS[l.event],
    entity: l.entity,
    entity_id: l.entity_id,
    fields_old: l.fields_old,
    fields_new: l.fields_new,
    fields_rel: [],
    user_id: l.user_id,
    datetime: l.date_time,
  }))
}

const received = (r: Receiver) =>
  deduped(r.accepted).map(({ payload: { branch_id: _b, delivery_id: _d, ...rest } }) => rest)

/** A few writes of different kinds: create, update, archive, restore, a pay. */
async function someWrites(s: Server) {
  const c = await make.customer(s, { name: 'Петров Пётр' })
  await s.api(`1/customer/update?id=${c.id}`, { note: 'позвонить' })
  await s.api(`1/customer/delete?id=${c.id}`)
  await s.api(`1/customer/restore?id=${c.id}`)
  const account = await make.payAccount(s)
  await make.pay(s, { customer_id: c.id, pay_account_id: account.id, income: 500 })
  return c.id as number
}

describe('webhooks', () => {
  let s: Server
  let receiver: Receiver
  before(async () => {
    s = await startServer(FAST)
    receiver = await startReceiver()
  })
  after(async () => {
    await receiver.close()
    await s.close()
  })

  test('every committed change arrives once, signed, in commit order, in Alfa CRM’s shape', async () => {
    const hook = await addHook(s, receiver)
    const from = await lastLogId(s)
    const customer = await someWrites(s)
    await waitFor('deliveries', async () => (await pending(s)) === 0)
    const rows = await logSince(s, from)
    assert.ok(rows.length >= 5, 'the writes were logged')
    assert.deepEqual(received(receiver), expectedPayloads(rows))
    assert.equal(receiver.forged, 0)
    const first = receiver.accepted[0]!
    assert.equal(first.payload.branch_id, 1)
    assert.equal(first.payload.entity_id, customer)
    assert.equal(first.headers['x-parta-delivery'], String(first.payload.delivery_id))
    assert.match(String(first.headers['x-parta-signature']), /^sha256=[0-9a-f]{64}$/)
    const log = await s.api('webhook-delivery/index', { webhook_id: hook, 'per-page': 100 })
    assert.equal(log.body.total, rows.length)
    const one = log.body.items[0]
    assert.equal(one.status, 'delivered')
    assert.equal(one.attempts, 1)
    assert.equal(one.last_status_code, 200)
    assert.match(one.delivered_at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    await s.api(`webhook/delete?id=${hook}`)
  })

  test('filters: only the listed events and entities are sent', async () => {
    const r = await startReceiver()
    const hook = await addHook(s, r, { events: ['Update'], entities: ['customer'] })
    const check = await s.api('webhook/index', { id: hook })
    assert.deepEqual(check.body.items[0].events, ['update'])
    assert.deepEqual(check.body.items[0].entities, ['Customer'])
    const c = await make.customer(s)
    await s.api(`1/customer/update?id=${c.id}`, { note: 'x' })
    const account = await make.payAccount(s)
    await make.pay(s, { customer_id: c.id, pay_account_id: account.id, income: 500 })
    await waitFor('deliveries', async () => (await pending(s)) === 0)
    assert.deepEqual(
      deduped(r.accepted).map((d) => [d.payload.entity, d.payload.event]),
      [['Customer', 'update']],
    )
    const bad = await s.api('webhook/create', { url: 'ftp://x', events: ['explode'], entities: ['Nope'] })
    assert.equal(bad.status, 422)
    assert.deepEqual(Object.keys(bad.body.errors).sort(), ['entities', 'events', 'url'])
    await s.api(`webhook/delete?id=${hook}`)
    await r.close()
  })

  test('a receiver that fails for a while and times out once still gets everything, once after dedupe, in order', async () => {
    const r = await startReceiver((n) => (n < 3 ? 500 : n === 4 ? 'hang' : n < 7 ? 503 : 200))
    const hook = await addHook(s, r)
    const from = await lastLogId(s)
    await someWrites(s)
    await someWrites(s)
    await waitFor('deliveries', async () => (await pending(s)) === 0)
    assert.deepEqual(received(r), expectedPayloads(await logSince(s, from)))
    assert.ok(r.seen.length > r.accepted.length, 'failed attempts were retried')
    const log = await s.api('webhook-delivery/index', { webhook_id: hook, 'per-page': 100 })
    const head = log.body.items.at(-1)
    assert.ok(head.attempts >= 2, `the first delivery took several attempts (${head.attempts})`)
    await s.api(`webhook/delete?id=${hook}`)
    await r.close()
  })

  test('nothing is sent for a write that is refused or rolled back', async () => {
    const r = await startReceiver()
    const hook = await addHook(s, r)
    const refused = await s.api('1/customer/create', { name: '' })
    assert.equal(refused.status, 422)
    // A regular lesson is logged, then its lessons are generated; a failing insert of a lesson rolls
    // the whole write back, its log row and its outbox row included.
    const group = (await s.api('1/group/create', { name: 'Откат' })).body.model.id
    await failLessonInserts(s, true)
    const slot = await s.api('1/regular-lesson/create', {
      related_class: 'Group',
      related_id: group,
      days: [1, 3],
      time_from_v: '18:00',
      time_to_v: '19:00',
      b_date_v: '01.09.2025',
      e_date_v: '30.09.2025',
    })
    await failLessonInserts(s, false)
    assert.notEqual(slot.status, 200, slot.text)
    const marker = await make.customer(s, { name: 'После отката' })
    await waitFor('the marker', () => r.accepted.some((d) => d.payload.entity_id === marker.id))
    assert.deepEqual(
      deduped(r.accepted).map((d) => d.payload.entity),
      ['Group', 'Customer'],
    )
    const rows = await s.api('webhook-delivery/index', { webhook_id: hook, entity: 'RegularLesson' })
    assert.equal(rows.body.total, 0)
    await s.api(`webhook/delete?id=${hook}`)
    await r.close()
  })

  test('the secret is write-only: never in replies or the log; a generated one is shown once', async () => {
    const r = await s.api('webhook/create', { url: 'http://127.0.0.1:9/x', secret: SECRET, is_active: 0 })
    assert.equal(r.status, 200)
    assert.equal(r.body.model.secret, undefined)
    const made = await s.api('webhook/create', { url: 'http://127.0.0.1:9/y', is_active: 0 })
    assert.match(made.body.model.secret, /^[0-9a-f]{48}$/)
    const upd = await s.api(`webhook/update?id=${r.body.model.id}`, { secret: `${SECRET}-2` })
    assert.equal(upd.status, 200)
    const listed = await s.api('webhook/index', {})
    const log = await s.api('log/index', { entity: 'Webhook', 'per-page': 50 })
    for (const text of [r.text, upd.text, listed.text, log.text]) {
      assert.ok(!text.includes(SECRET), text)
      assert.ok(!text.includes(made.body.model.secret), text)
    }
    assert.ok(log.body.items.some((l: LogRow) => JSON.stringify(l.fields_new).includes('[hidden]')))
    for (const id of [r.body.model.id, made.body.model.id]) await s.api(`webhook/delete?id=${id}`)
  })

  test('non-admins can neither read nor write webhooks or their deliveries', async () => {
    const manager = await make.user(s, { role: 'manager' })
    for (const path of [
      'webhook/index',
      'webhook/create',
      'webhook-delivery/index',
      'webhook-delivery/redeliver?id=1',
    ]) {
      const r = await s.call(path, { url: 'http://127.0.0.1:9/' }, { token: manager.token })
      assert.equal(r.status, 403, `${path}: ${r.text}`)
    }
  })

  test('redeliver sends a delivered change again, with the same delivery id', async () => {
    const r = await startReceiver()
    const hook = await addHook(s, r, { entities: ['Customer'] })
    const c = await make.customer(s)
    await waitFor('the delivery', () => r.accepted.length === 1)
    const id = r.accepted[0]!.id
    const again = await s.api(`webhook-delivery/redeliver?id=${id}`)
    assert.equal(again.status, 200, again.text)
    await waitFor('the redelivery', () => r.accepted.length === 2)
    assert.equal(r.accepted[1]!.id, id)
    assert.equal(r.accepted[1]!.payload.entity_id, c.id)
    assert.equal((await s.api('webhook-delivery/redeliver?id=999999')).status, 404)
    await s.api(`webhook/delete?id=${hook}`)
    await r.close()
  })
})

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

/** Runs `npm run cli -- …` against the server's database, as another process. */
function cli(s: Server, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' }
  delete env.DATABASE_URL
  if (s.target.databaseUrl) env.DATABASE_URL = s.target.databaseUrl
  else env.DATA_DIR = s.target.dataDir
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

test('CLI: webhook add, list, test and remove; an endpoint added by another process is used at once', async () => {
  await withServer(FAST, async (s) => {
    const r = await startReceiver()
    r.secret = SECRET
    const added = await cli(s, [
      'webhook',
      'add',
      '--url',
      r.url,
      '--entities',
      'customer',
      '--secret',
      SECRET,
      '--json',
    ])
    assert.equal(added.code, 0, added.stderr)
    const { id, secret } = JSON.parse(added.stdout)
    assert.equal(secret, undefined, 'a given secret is not printed')
    const c = await make.customer(s)
    await waitFor('the delivery', () => r.accepted.some((d) => d.payload.entity_id === c.id))
    const listed = await cli(s, ['webhook', 'list', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    assert.ok(!listed.stdout.includes(SECRET))
    assert.deepEqual(
      JSON.parse(listed.stdout).map((h: { id: number; entities: string[] }) => [h.id, h.entities]),
      [[id, ['Customer']]],
    )
    const ping = await cli(s, ['webhook', 'test', '--id', String(id)])
    assert.equal(ping.code, 0, ping.stderr)
    assert.match(ping.stdout, /^OK: 200/)
    assert.equal(r.accepted.at(-1)!.payload.event, 'ping')
    assert.equal(r.forged, 0)
    const removed = await cli(s, ['webhook', 'remove', '--id', String(id)])
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal((await s.api('webhook/index', {})).body.total, 0)
    await r.close()
  })
})

test('a branch made by the CLI (no API call) reaches an endpoint listening to branches', async () => {
  await withServer(FAST, async (s) => {
    const r = await startReceiver()
    r.secret = SECRET
    const added = await cli(s, ['webhook', 'add', '--url', r.url, '--entities', 'branch', '--secret', SECRET])
    assert.equal(added.code, 0, added.stderr)
    const made = await cli(s, ['branch', 'create', '--name', 'Филиал из консоли', '--json'])
    assert.equal(made.code, 0, made.stderr)
    const { id } = JSON.parse(made.stdout)
    await waitFor('the delivery', () => r.accepted.some((d) => d.payload.entity === 'Branch'))
    const d = r.accepted.find((x) => x.payload.entity === 'Branch')!
    assert.equal(d.payload.entity_id, id)
    assert.equal(d.payload.event, 'create')
    assert.equal(d.payload.fields_new.name, 'Филиал из консоли')
    assert.equal(r.forged, 0)
    await r.close()
  })
})

/** A trigger that makes every insert of a lesson fail (on or off). */
async function failLessonInserts(s: Server, on: boolean) {
  const db = s.db.kysely
  if (s.dialect === 'sqlite') {
    if (on)
      await sql`CREATE TRIGGER fail_lessons BEFORE INSERT ON lessons BEGIN SELECT RAISE(ABORT, 'refused by test'); END`.execute(
        db,
      )
    else await sql`DROP TRIGGER fail_lessons`.execute(db)
    return
  }
  if (on) {
    await sql`CREATE FUNCTION fail_lessons() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$`.execute(
      db,
    )
    await sql`CREATE TRIGGER fail_lessons BEFORE INSERT ON lessons FOR EACH ROW EXECUTE FUNCTION fail_lessons()`.execute(
      db,
    )
  } else {
    await sql`DROP TRIGGER fail_lessons ON lessons`.execute(db)
    await sql`DROP FUNCTION fail_lessons()`.execute(db)
  }
}

test('an endpoint down for the whole test ends disabled, with its attempts logged', async () => {
  await withServer({ ...FAST, WEBHOOK_RETRY_HORIZON_S: '1' }, async (s) => {
    const down = await startReceiver()
    await down.close()
    const hook = (await s.api('webhook/create', { url: down.url, secret: SECRET })).body.model.id
    await make.customer(s)
    await make.customer(s)
    await waitFor('the endpoint disabled', async () => {
      const r = await s.api('webhook/index', { id: hook })
      return r.body.items[0].status === 'disabled'
    })
    const w = (await s.api('webhook/index', { id: hook })).body.items[0]
    assert.equal(w.is_active, 0)
    assert.match(w.status_reason, /failed \d+ times/)
    const log = (await s.api('webhook-delivery/index', { webhook_id: hook })).body.items
    const first = log.at(-1)
    assert.equal(first.status, 'failed')
    assert.ok(first.attempts >= 2, `attempts ${first.attempts}`)
    assert.equal(first.last_status_code, null)
    assert.match(first.last_error, /ECONNREFUSED|fetch failed/)
    assert.equal(log[0].status, 'pending', 'later changes wait for the endpoint to be switched on')
    // Switched on again, it resumes with the pending ones.
    const back = await startReceiver()
    back.secret = SECRET
    await s.api(`webhook/update?id=${hook}`, { url: back.url, is_active: 1 })
    await waitFor('the pending one', () => back.accepted.length === 1)
    const again = (await s.api('webhook/index', { id: hook })).body.items[0]
    assert.equal(again.status, 'active')
    await back.close()
  })
})

/** A client of a spawned server (its URL changes when it restarts) whose calls must succeed: their bodies. */
function mustPost(url: () => string, token: string) {
  const post = poster(url, token)
  return async (path: string, body: unknown = {}) => {
    const r = await post(path, body)
    assert.equal(r.status, 200, r.text)
    return r.body
  }
}

test('kill -9 with undelivered changes: all of them are delivered after the restart', async () => {
  const db = await freshDatabase()
  const receiver = await startReceiver(() => 503)
  receiver.secret = SECRET
  const env = adminEnv(db, FAST)
  let server = await spawnServer(env)
  try {
    assert.equal(server.child.exitCode, null, server.output())
    const call = mustPost(() => server.url, await adminToken(server.url))
    await call('webhook/create', { url: receiver.url, secret: SECRET, entities: ['Customer'] })
    const ids: number[] = []
    for (let i = 0; i < 10; i++)
      ids.push((await call('1/customer/create', { name: `К${i}`, is_study: 1, legal_type: 1 })).model.id)
    await waitFor('a failed attempt', () => receiver.seen.length > 0)
    server.child.kill('SIGKILL')
    await server.exited
    receiver.behave = () => 200
    server = await spawnServer(env)
    await waitFor('every change', () => new Set(receiver.accepted.map((d) => d.id)).size === ids.length)
    assert.deepEqual(
      deduped(receiver.accepted).map((d) => d.payload.entity_id),
      ids,
    )
  } finally {
    server.child.kill('SIGTERM')
    await server.exited
    await receiver.close()
    await db.drop()
  }
})

test('the delivery log keeps sent deliveries WEBHOOK_KEEP_DAYS; pending ones stay whatever their age', async () => {
  const db = await freshDatabase()
  let answer = 200
  const receiver = await startReceiver(() => answer)
  receiver.secret = SECRET
  const env = adminEnv(db, { ...FAST, WEBHOOK_KEEP_DAYS: '1' })
  let server = await spawnServer(env)
  try {
    // Tokens live in the database: the same one works after the restart.
    const call = mustPost(() => server.url, await adminToken(server.url))
    await call('webhook/create', { url: receiver.url, secret: SECRET, entities: ['Customer'] })
    for (let i = 0; i < 2; i++)
      await call('1/customer/create', { name: `Отправлен ${i}`, is_study: 1, legal_type: 1 })
    await waitFor('two deliveries', () => receiver.accepted.length === 2)
    answer = 503
    await call('1/customer/create', { name: 'Ждёт', is_study: 1, legal_type: 1 })
    await waitFor('a failed attempt', () => receiver.seen.length > 2)
    server.child.kill('SIGTERM')
    await server.exited
    // Every row two days old; the worker prunes when it starts.
    const direct = connect({ databaseUrl: env.DATABASE_URL ?? null, dataDir: env.DATA_DIR ?? '' })
    await direct.kysely
      .updateTable('webhook_deliveries')
      .set({ due_ms: Date.now() - 2 * 86_400_000 })
      .execute()
    await direct.close()
    server = await spawnServer(env)
    const left = async () =>
      (await call('webhook-delivery/index', {})) as { items: Array<{ status: string }> }
    await waitFor('the pruning', async () => (await left()).items.length === 1)
    assert.deepEqual(
      (await left()).items.map((d) => d.status),
      ['pending'],
    )
  } finally {
    server.child.kill('SIGTERM')
    await server.exited
    await receiver.close()
    await db.drop()
  }
})

test('two server processes on PostgreSQL deliver each change once', {
  skip: !process.env.TEST_DATABASE_URL,
}, async () => {
  const db = await freshDatabase()
  const receiver = await startReceiver()
  receiver.secret = SECRET
  const env = adminEnv(db, { ...FAST, WEBHOOK_POLL_MS: '10' })
  const first = await spawnServer(env)
  const second = await spawnServer(env)
  try {
    const token = await adminToken(first.url)
    const onFirst = mustPost(() => first.url, token)
    const onSecond = mustPost(() => second.url, token)
    await onFirst('webhook/create', { url: receiver.url, secret: SECRET })
    await onFirst('webhook/create', { url: `${receiver.url}?second`, secret: SECRET })
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? onFirst : onSecond)('1/customer/create', {
          name: `К${i}`,
          is_study: 1,
          legal_type: 1,
        }),
      ),
    )
    await waitFor('every delivery', () => receiver.accepted.length >= 40, 60_000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const ids = receiver.accepted.map((d) => d.id)
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i)
    assert.deepEqual(twice, [], 'sent twice')
    assert.equal(ids.length, 40)
    assert.equal(new Set(ids).size, 40, 'no delivery was sent twice')
  } finally {
    for (const p of [first, second]) {
      p.child.kill('SIGTERM')
      await p.exited
    }
    await receiver.close()
    await db.drop()
  }
})
