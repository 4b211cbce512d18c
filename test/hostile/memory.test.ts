import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { AS_STARTED } from '../../bench/processes.js'
import { soak, soakTable } from '../../bench/soak.js'
import { type RunningServer, spawnServer } from '../helpers/process.js'
import { adminEnv, adminToken, freshDatabase } from '../helpers/server.js'

/**
 * Memory bounds under hostile input (issue 10): a logged-in `readonly` user, and an anonymous client,
 * sending requests that each key a cache anew. The server's resident memory stays under RSS_BOUND_MB
 * and it keeps answering /healthz. SOAK_COUNT sets the requests per shape (`npm run bench` runs 2 000).
 */
const COUNT = Number(process.env.SOAK_COUNT ?? 300)
const RSS_BOUND_MB = 300

describe('memory stays bounded under ever-new keys', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  let server: RunningServer
  let token = ''
  before(async () => {
    db = await freshDatabase()
    server = await spawnServer(adminEnv(db, { ...AS_STARTED.env, LOG_LEVEL: 'error' }), AS_STARTED.nodeArgs)
    const admin = await adminToken(server.url)
    const created = await fetch(`${server.url}/v2api/user/create`, {
      method: 'POST',
      headers: { 'x-alfacrm-token': admin },
      body: JSON.stringify({
        name: 'Наблюдатель',
        email: 'ro@school.example',
        role: 'readonly',
        branch_ids: [1],
      }),
    })
    const key = ((await created.json()) as { model: { api_key: string } }).model.api_key
    const login = await fetch(`${server.url}/v2api/auth/login`, {
      method: 'POST',
      body: JSON.stringify({ email: 'ro@school.example', api_key: key }),
    })
    token = ((await login.json()) as { token: string }).token
  })
  after(async () => {
    server?.child.kill('SIGTERM')
    await server?.exited
    await db?.drop()
  })

  test(`${COUNT} requests of each shape keep RSS under ${RSS_BOUND_MB} MB`, async (t) => {
    const results = await soak({ url: server.url, pid: server.child.pid!, token, count: COUNT })
    for (const line of soakTable(results)) t.diagnostic(line)
    for (const r of results) {
      assert.ok(r.healthy, `${r.shape}: /healthz stopped answering`)
      assert.ok(r.peakRssMb <= RSS_BOUND_MB, `${r.shape}: peak RSS ${r.peakRssMb.toFixed(0)} MB`)
      const failed = Object.keys(r.statuses).filter((s) => s === '0' || s.startsWith('5'))
      assert.deepEqual(failed, [], `${r.shape}: ${JSON.stringify(r.statuses)}`)
    }
  })
})
