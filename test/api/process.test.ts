import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runToExit, spawnServer } from '../helpers/process.js'
import { ADMIN, adminEnv, freshDatabase } from '../helpers/server.js'

const post = async (url: string, path: string, body: unknown, token?: string) => {
  const r = await fetch(`${url}/v2api/${path}`, {
    method: 'POST',
    headers: token ? { 'x-alfacrm-token': token } : {},
    body: JSON.stringify(body),
  })
  return { status: r.status, body: (await r.json()) as any }
}

test('a bad setting stops the server with one message naming every bad variable', async () => {
  const r = await runToExit({
    PORT: 'eighty',
    TOKEN_TTL: '-5',
    TZ: 'Mars/Base',
    DATA_DIR: '/tmp/parta-never',
  })
  assert.notEqual(r.code, 0)
  for (const name of ['PORT', 'TOKEN_TTL', 'TZ']) assert.match(r.output, new RegExp(name))
})

test('WORKERS above 1 on SQLite is refused at start, saying why', async () => {
  const r = await runToExit({ WORKERS: '2', DATA_DIR: '/tmp/parta-never', DATABASE_URL: '' })
  assert.equal(r.code, 2)
  assert.match(r.output, /WORKERS=2: SQLite allows one writing process/)
  assert.doesNotMatch(r.output, /at .*\.js:\d+/, 'no stack trace')
})

test('a PostgreSQL database that does not exist stops the server with one clear line', async () => {
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const url = new URL(base)
  url.pathname = '/parta_missing_database'
  const r = await runToExit({ DATABASE_URL: url.toString() })
  assert.equal(r.code, 1)
  assert.match(r.output, /database "parta_missing_database" does not exist/)
  assert.match(r.output, /createdb/)
  assert.doesNotMatch(r.output, /at .*\.js:\d+/, 'no stack trace')
})

test('every acknowledged write survives kill -9 of the server process', async () => {
  const db = await freshDatabase()
  const env = adminEnv(db)
  try {
    const first = await spawnServer(env)
    const token = (await post(first.url, 'auth/login', ADMIN)).body.token as string
    const ids: number[] = []
    for (let i = 0; i < 20; i++) {
      const r = await post(
        first.url,
        '1/customer/create',
        { name: `Клиент ${i}`, is_study: 1, legal_type: 1 },
        token,
      )
      assert.equal(r.status, 200)
      ids.push(r.body.model.id)
    }
    first.child.kill('SIGKILL')
    await first.exited
    const second = await spawnServer(env)
    try {
      // Tokens are stored server-side, so the old token still works after the restart (§2.2).
      const r = await post(second.url, '1/customer/index', { id: ids, 'per-page': 50 }, token)
      assert.equal(r.body.total, 20)
      const log = await post(second.url, '1/log/index', { entity: 'Customer', event: 1 }, token)
      assert.equal(log.body.total, 20)
    } finally {
      second.child.kill('SIGTERM')
      assert.equal(await second.exited, 0)
    }
  } finally {
    await db.drop()
  }
})
