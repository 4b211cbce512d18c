import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { AS_STARTED } from '../bench/processes.js'
import { freePort } from './helpers/process.js'
import { freshDatabase } from './helpers/server.js'

/**
 * The first hour of a newcomer (issue 11), on a clean copy of the tracked files: the README's install
 * command, a production prune (no dev dependencies, so no TypeScript), `npm start` with no ALFACRM_*
 * variable, the instructions it prints followed to the letter, a login and a list; then `seed --demo` on
 * a fresh database and a login with what it printed. The installed packages are copied from this
 * checkout, so `npm install` runs offline (and builds dist/ in its `prepare` step).
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** The environment a newcomer has: nothing of ours set, only the database when testing PostgreSQL. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of Object.keys(env))
    if (/^(ALFACRM_|DATABASE_URL|DATA_DIR|PORT|WORKERS|LOG_LEVEL|npm_)/.test(name)) delete env[name]
  return { ...env, ...extra }
}

function npm(cwd: string, args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(NPM, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

interface Started {
  child: ChildProcess
  url: string
  output: () => string
  healthyMs: number
}

async function npmStart(cwd: string, env: NodeJS.ProcessEnv): Promise<Started> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(NPM, ['start'], { cwd, env: { ...env, PORT: String(port) }, detached: true })
  let out = ''
  child.stdout?.on('data', (d) => {
    out += d
  })
  child.stderr?.on('data', (d) => {
    out += d
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break
    } catch {
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  assert.equal(child.exitCode, null, `npm start exited: ${out}`)
  return { child, url, output: () => out, healthyMs: performance.now() - started }
}

async function stop(s: Started): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r))
  // npm runs the server under a shell: signal the whole group.
  process.kill(-s.child.pid!, 'SIGTERM')
  await exited
}

async function post(url: string, p: string, body: unknown, token?: string) {
  const r = await fetch(`${url}/v2api/${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-alfacrm-token': token } : {}) },
    body: JSON.stringify(body),
  })
  return { status: r.status, body: (await r.json()) as Record<string, any> }
}

describe("a newcomer's first hour, from a clean copy of the repository", () => {
  let dir = ''
  const databases: Array<Awaited<ReturnType<typeof freshDatabase>>> = []
  /** The database setting of a fresh database: ./data (the default) or a new PostgreSQL database. */
  const database = async (name: string): Promise<Record<string, string>> => {
    if (!process.env.TEST_DATABASE_URL) return name === 'data' ? {} : { DATA_DIR: path.join(dir, name) }
    const db = await freshDatabase()
    databases.push(db)
    return db.env
  }

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parta-newcomer-'))
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0')
    for (const f of files.filter(Boolean)) {
      if (!fs.existsSync(path.join(REPO, f))) continue
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true })
      fs.copyFileSync(path.join(REPO, f), path.join(dir, f))
    }
    fs.cpSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), {
      recursive: true,
      verbatimSymlinks: true,
    })
  })
  after(async () => {
    for (const db of databases) await db.drop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('install, prune dev dependencies, start, follow the printed steps, log in and list', async (t) => {
    const env = cleanEnv(await database('data'))
    npm(dir, ['install', '--offline', '--no-audit', '--no-fund'], env)
    assert.ok(fs.existsSync(path.join(dir, 'dist/src/main.js')), 'npm install builds dist/')
    npm(dir, ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund'], env)
    assert.ok(!fs.existsSync(path.join(dir, 'node_modules/typescript')), 'no TypeScript after the prune')
    assert.ok(!fs.existsSync(path.join(dir, 'node_modules/react')), 'the app’s libraries are build-time only')
    assert.ok(fs.existsSync(path.join(dir, 'web/dist/index.html')), 'the staff app built at install stays')

    const server = await npmStart(dir, env)
    t.diagnostic(`npm start to healthy: ${server.healthyMs.toFixed(0)} ms`)
    try {
      const said = /`npm run cli -- (user create --email \S+ --role admin)`/.exec(server.output())
      assert.ok(said, `the start says how to make the first admin: ${server.output()}`)
      const args = said[1]!.replace('you@school.example', 'newcomer@school.example').split(' ')
      const created = npm(dir, ['run', '--silent', 'cli', '--', ...args], env)
      const key = /API key: (\S+)/.exec(created)?.[1]
      assert.ok(key, created)
      const login = await post(server.url, 'auth/login', { email: 'newcomer@school.example', api_key: key })
      assert.equal(login.status, 200, JSON.stringify(login.body))
      const list = await post(server.url, '1/customer/index', {}, login.body.token)
      assert.equal(list.status, 200, JSON.stringify(list.body))
      assert.equal(list.body.total, 0)
    } finally {
      await stop(server)
    }
  })

  test('seed --demo on a fresh database prints a login that works', async () => {
    const env = cleanEnv(await database('demo'))
    const printed = npm(dir, ['run', '--silent', 'cli', '--', 'seed', '--demo'], env)
    const who = /Log in as (\S+) with the API key (\S+)/.exec(printed)
    assert.ok(who, printed)
    const again = (() => {
      try {
        npm(dir, ['run', '--silent', 'cli', '--', 'seed', '--demo'], env)
        return 'ran again'
      } catch (e) {
        return String((e as { stderr?: string }).stderr)
      }
    })()
    assert.match(again, /already holds a school/, 'a second run refuses and changes nothing')
    const server = await npmStart(dir, env)
    try {
      const login = await post(server.url, 'auth/login', { email: who[1], api_key: who[2] })
      assert.equal(login.status, 200, JSON.stringify(login.body))
      const students = await post(server.url, '1/customer/index', {}, login.body.token)
      assert.ok(students.body.total > 0, JSON.stringify(students.body))
      const branches = await post(server.url, 'branch/index', {}, login.body.token)
      assert.equal(branches.body.total, 2, 'one main branch and the demo second one, not duplicated')
      // The staff app opens, and the printed password signs in to it.
      const page = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } })
      assert.match(await page.text(), /<div id="root">/)
      const password = /Sign in to the staff app at \S+ as (\S+) with the password (\S+) /.exec(printed)
      assert.ok(password, printed)
      const signIn = await fetch(`${server.url}/v2api/auth/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-parta-csrf': '1' },
        body: JSON.stringify({ email: password[1], password: password[2] }),
      })
      assert.equal(signIn.status, 200, await signIn.text())
      assert.match(signIn.headers.get('set-cookie') ?? '', /^parta_session=/)
    } finally {
      await stop(server)
    }
  })
})

/**
 * `npm start`, the systemd unit of docs/operations.md and the bench start the server with the same
 * node flags and malloc settings: what the bench measures is what an operator runs.
 */
test('npm start, the documented unit and the bench start the server the same way', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'))
  const start = /^(.*)\bnode (.*)dist\/src\/main\.js$/.exec(pkg.scripts.start as string)
  assert.ok(start, pkg.scripts.start)
  const fromStart = Object.fromEntries(
    [...start[1]!.matchAll(/(\w+)=\$\{\1:-([^}]*)\}/g)].map((m) => [m[1], m[2]]),
  )
  const unit = fs.readFileSync(path.join(REPO, 'docs/operations.md'), 'utf8')
  const environment = /^Environment=NODE_ENV=production (.*)$/m.exec(unit)?.[1] ?? ''
  const fromUnit = Object.fromEntries(environment.split(' ').map((kv) => kv.split('=')))
  const execStart = /^ExecStart=\/usr\/bin\/node (.*)dist\/src\/main\.js$/m.exec(unit)?.[1] ?? ''
  assert.deepEqual(fromUnit, fromStart)
  assert.deepEqual(AS_STARTED.env, fromStart)
  assert.deepEqual(start[2]!.trim().split(' '), AS_STARTED.nodeArgs)
  assert.deepEqual(execStart.trim().split(' '), AS_STARTED.nodeArgs)
})
