import { parentPort, workerData } from 'node:worker_threads'
import SQLite from 'better-sqlite3'

/**
 * The server's WAL checkpoints, off the event loop (db/checkpoints.ts): a connection of its own copies
 * committed pages from the WAL into the database file every `everyMs`, without blocking readers or the
 * writer (PASSIVE). A commit then only appends to the WAL; the copying and its fsync happen here.
 */
const { file, everyMs } = workerData as { file: string; everyMs: number }
const sqlite = new SQLite(file)
sqlite.pragma('busy_timeout = 0')
const checkpoint = sqlite.prepare('PRAGMA wal_checkpoint(PASSIVE)')
const timer = setInterval(() => {
  try {
    checkpoint.run()
  } catch {
    // Busy (another process checkpoints) or closing: the next tick tries again.
  }
}, everyMs)
parentPort?.on('message', (m) => {
  if (m !== 'stop') return
  clearInterval(timer)
  sqlite.close()
  parentPort?.postMessage('stopped')
})
