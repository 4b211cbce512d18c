import assert from 'node:assert/strict'
import { test } from 'node:test'
import { seeded } from '../helpers/ledger.js'
import { spawnServer } from '../helpers/process.js'
import { adminEnv, adminToken, freshDatabase } from '../helpers/server.js'
import { guarded, WriteLoad } from '../helpers/write-load.js'

/**
 * Graceful shutdown (STYLE, §6.10): SIGTERM in the middle of a write load. The server stops accepting,
 * lets the requests it has taken finish with complete replies, closes the database and exits 0. The
 * clients keep writing through the shutdown; afterwards every acknowledged write is there, and no
 * write whose client got no reply took effect.
 */
const SEED = Number(process.env.HOSTILE_SEED ?? 6_2025)
const CLIENTS = 6

// Several processes share one database on PostgreSQL only (SQLite refuses WORKERS > 1 at start).
for (const workers of process.env.TEST_DATABASE_URL ? [1, 2] : [1]) {
  test(`SIGTERM under load (WORKERS=${workers}): in-flight writes finish, exit 0, nothing acknowledged is lost`, async (t) => {
    const db = await freshDatabase()
    const env = adminEnv(db, { MAX_PAGE_SIZE: '1000', WORKERS: String(workers) })
    try {
      const first = await spawnServer(env)
      const token = await adminToken(first.url)
      let url = first.url
      const post = guarded(() => url, token)
      const load = new WriteLoad(SEED + workers)
      await load.setup(post)
      let exited = false
      void first.exited.then(() => {
        exited = true
      })
      // The clients write until the server is gone: through the shutdown, not only up to the signal.
      const running = load.run(post, CLIENTS, () => exited, 0)
      await new Promise((r) => setTimeout(r, 400 + Math.floor(seeded(SEED + workers)() * 800)))
      const sentAt = Date.now()
      const answeredBefore = load.figures.acknowledged
      first.child.kill('SIGTERM')
      assert.equal(await first.exited, 0, first.output())
      const took = Date.now() - sentAt
      await running
      const f = load.figures
      const finished = f.acknowledged - answeredBefore
      assert.ok(finished > 0, 'writes in flight at the signal were answered')
      assert.equal(f.partial, 0, 'no reply was cut')
      assert.deepEqual(f.refused, [], 'every reply during the shutdown is a complete 200')

      const second = await spawnServer(env)
      url = second.url
      try {
        const checked = await load.verify(post, { unanswered: 'never happened' })
        t.diagnostic(
          `${CLIENTS} clients, ${f.acknowledged} writes acknowledged (${finished} after the signal), ` +
            `${f.unknown} refused at the door, ${checked} acknowledged writes checked; exit 0 after ${took} ms`,
        )
      } finally {
        second.child.kill('SIGTERM')
        assert.equal(await second.exited, 0)
      }
    } finally {
      await db.drop()
    }
  })
}
