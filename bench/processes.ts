import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Child processes of a bench run: the Parta server, the ceiling server, and the seed CLI. */
export interface Proc {
  child: ChildProcess
  port: number
  /** Milliseconds from spawn to the first healthy answer. */
  startMs: number
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode} before it was healthy`)
    try {
      const r = await fetch(url)
      if (r.ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms`)
}

function stopper(child: ChildProcess) {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      child.kill('SIGTERM')
    })
}

/** The repository: bench/ is compiled to dist/bench/. */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * The server as `npm start` runs it, read from package.json's start script
 * (`NAME=${NAME:-value} … node <flags> dist/src/main.js`): its node flags and its environment's
 * defaults. test/newcomer checks that docs/operations.md's unit says the same.
 */
function startScript(): { nodeArgs: string[]; env: Record<string, string> } {
  const script = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts.start as string
  const start = /^(.*)\bnode (.*)dist\/src\/main\.js$/.exec(script)
  if (!start) throw new Error(`package.json's start script is not "… node … dist/src/main.js": ${script}`)
  return {
    nodeArgs: start[2]!.trim().split(/\s+/).filter(Boolean),
    env: Object.fromEntries([...start[1]!.matchAll(/(\w+)=\$\{\1:-([^}]*)\}/g)].map((m) => [m[1], m[2]])),
  }
}

export const AS_STARTED = startScript()

/** AS_STARTED's environment as the shell makes it: a name this process's environment sets keeps its value. */
export function startedEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(AS_STARTED.env).map(([k, v]) => [k, process.env[k] ?? v]))
}

/** Starts `node <script>` with the env and waits until `healthPath` answers 200. */
export async function startProcess(
  script: string,
  opts: { env: NodeJS.ProcessEnv; nodeArgs?: string[]; healthPath: string; args?: string[]; port?: number },
): Promise<Proc> {
  const port = opts.port ?? (await freePort())
  const started = performance.now()
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...(opts.args ?? [])], {
    env: { ...opts.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  let stopping = false
  // A server that goes away mid-run (a crash, a signal from elsewhere) is named, not just counted as failures.
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`bench: ${script} exited early (code ${code}, signal ${signal})\n`)
  })
  await waitHealthy(`http://127.0.0.1:${port}${opts.healthPath}`, child, 120_000)
  const stop = stopper(child)
  return {
    child,
    port,
    startMs: performance.now() - started,
    stop: () => {
      stopping = true
      return stop()
    },
  }
}

/** Resident memory of the process and its children (cluster workers), in bytes, from /proc. */
export function rssOf(pid: number): number {
  const pids = [pid, ...childrenOf(pid)]
  let total = 0
  for (const p of pids) {
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, 'utf8')
      const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1]
      total += Number(kb ?? 0) * 1024
    } catch {}
  }
  return total
}

function childrenOf(pid: number): number[] {
  const out: number[] = []
  let entries: string[] = []
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return out
  }
  for (const e of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8')
      // pid (comm) state ppid …; comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(e))
    } catch {}
  }
  return out
}

/** Runs `node <script> args…` to completion, its stderr shown live; resolves with its stdout. */
export function runToEnd(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8')
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${script} ${args.join(' ')} exited with ${code}`)),
    )
  })
}
