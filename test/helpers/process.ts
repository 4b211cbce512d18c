import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'

const MAIN = new URL('../../src/main.js', import.meta.url).pathname

export interface RunningServer {
  url: string
  child: ChildProcess
  output: () => string
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** Starts the real server process (`node dist/src/main.js`) and waits until /healthz answers. */
export async function spawnServer(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<RunningServer> {
  const port = await freePort()
  let out = ''
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (d) => {
    out += d
  })
  child.stderr?.on('data', (d) => {
    out += d
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return { url, child, output: () => out, exited }
}

/** Runs the server process to its exit (for start-up failures). */
export async function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const s = await spawnServer(env)
  const code = await s.exited
  return { code, output: s.output() }
}
