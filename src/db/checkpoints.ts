import { Worker } from 'node:worker_threads'
import type SQLite from 'better-sqlite3'

/** How often the background checkpoint runs; the WAL grows by what is committed in between. */
const EVERY_MS = 200

/**
 * Moves SQLite's WAL checkpoints off the request path: the connection stops checkpointing on commit
 * (wal_autocheckpoint = 0) and a worker thread checkpoints in the background (checkpoint-worker.ts).
 * Should the worker fail, the connection checkpoints on commit again, as SQLite does by default.
 * Returns the function that stops the worker (before the connection is closed).
 */
export function checkpointInBackground(sqlite: SQLite.Database, file: string): () => Promise<void> {
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
    workerData: { file, everyMs: EVERY_MS },
    // It runs one statement: a small heap keeps the server's memory down.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4, codeRangeSizeMb: 4 },
  })
  worker.unref()
  sqlite.pragma('wal_autocheckpoint = 0')
  let running = true
  const fallBack = () => {
    if (!running) return
    running = false
    if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000')
  }
  worker.on('error', fallBack)
  worker.on('exit', fallBack)
  return async () => {
    if (!running) return
    running = false
    const stopped = new Promise<void>((resolve) => {
      worker.once('message', () => resolve())
      worker.once('exit', () => resolve())
    })
    worker.postMessage('stop')
    await stopped
    await worker.terminate()
  }
}
