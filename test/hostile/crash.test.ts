import assert from 'node:assert/strict'
import { test } from 'node:test'
import { seeded } from '../helpers/ledger.js'
import { type RunningServer, spawnServer } from '../helpers/process.js'
import { adminEnv, adminToken, freshDatabase } from '../helpers/server.js'
import { guarded, WriteLoad } from '../helpers/write-load.js'

/**
 * Crash durability (§6.10): the real server process under a write load from several clients is killed
 * with SIGKILL at seeded random moments and restarted on the same database, again and again. Then
 * every write it acknowledged is there with its values, nothing is half-written, and every balance
 * equals its formula. HOSTILE_SEED replays a run; the figures are printed as diagnostics.
 */
const SEED = Number(process.env.HOSTILE_SEED ?? 6_2025)
const KILLS = 5
const CLIENTS = 4

test('every acknowledged write survives repeated kill -9 under load; nothing is half-written', async (t) => {
  const db = await freshDatabase()
  const env = adminEnv(db, { MAX_PAGE_SIZE: '1000' })
  const rnd = seeded(SEED)
  let server: RunningServer | null = null
  try {
    server = await spawnServer(env)
    const token = await adminToken(server.url)
    let url = server.url
    const post = guarded(() => url, token)
    const load = new WriteLoad(SEED)
    await load.setup(post)
    let survived = 0
    for (let round = 0; round < KILLS; round++) {
      let stopped = false
      const running = load.run(post, CLIENTS, () => stopped, round)
      // A moment in the middle of the load: 300–1500 ms after it starts.
      await new Promise((r) => setTimeout(r, 300 + Math.floor(rnd() * 1200)))
      const victim: RunningServer = server
      victim.child.kill('SIGKILL')
      stopped = true
      await running
      assert.equal(await victim.exited, null, 'killed by the signal')
      survived++
      server = await spawnServer(env)
      url = server.url
      assert.equal((await fetch(`${url}/healthz`)).status, 200, server.output())
    }
    const f = load.figures
    assert.deepEqual(f.refused, [], 'every write of the load is valid')
    const checked = await load.verify(post, { unanswered: 'may have happened' })
    t.diagnostic(
      `seed ${SEED}: ${survived} crashes survived, ${f.writes} writes sent, ${f.acknowledged} acknowledged, ` +
        `${f.unknown} without a reply (${f.partial} cut), ${checked} acknowledged writes checked`,
    )
    assert.equal(survived, KILLS)
    assert.ok(f.acknowledged > 10 * KILLS, `a real load: ${f.acknowledged} acknowledged writes`)
  } finally {
    if (server) {
      server.child.kill('SIGTERM')
      await server.exited
    }
    await db.drop()
  }
})
