import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { ADMIN, type Facts, prepareFixtures } from './fixtures.js'
import { type Measured, measure } from './load.js'
import { AS_STARTED, freePort, type Proc, rssOf, runToEnd, startedEnv, startProcess } from './processes.js'
import { markdown, type RouteResult, type RunResult, table, title } from './report.js'
import { type Route, routes } from './routes.js'
import { type SoakResult, soak, soakTable } from './soak.js'
import {
  type AfterWrite,
  afterWrites,
  afterWriteTable,
  checkAnchor,
  runTraffic,
  type TrafficResult,
  trafficMarkdown,
  scenarios as trafficScenarios,
  trafficTable,
} from './traffic.js'
import { runWebBench, webTable } from './web.js'
import { runWebhookBench, type WebhookBench, webhookTable } from './webhooks.js'

/**
 * `npm run bench`: for each size, seeds a fresh database (SQLite in a temp DATA_DIR, or a new
 * PostgreSQL database on the server of DATABASE_URL), starts the real server on it, and drives every
 * route with autocannon over loopback — then drives a bare node:http server sending the same bytes
 * (the ceiling) the same way, and prints each figure beside its ratio to the ceiling's.
 */
const USAGE = `Usage: npm run bench -- [options]
  --quick             10 000 customers only, shorter measurements (under 3 minutes on 2 cores)
  --sizes A,B,…       customer counts (default 10000,100000,1000000); --customers is the same
  --traffic           the production-like scenarios only (varied reads, with writes beside), each against
                      the hand-written anchor server (bench/anchor.ts, SQLite); no routes, no soak
  --scenarios a,b     only the traffic scenarios whose names start with these
  --traffic-seconds S measurement per scenario and server (default 10; --quick 4)
  --no-after-writes   skip the first reads after a write (default: measured after the scenarios)
  --read-rate R       reads a second in the last scenario, sent at that rate whatever the replies' pace
                      (open loop, default 20) beside 50 writes/s: their latency at that load
  --no-traffic        the routes only (identical requests, the bare ceiling), as before issue 15
  --workers A,B,…     server processes to measure on each size (default: $WORKERS or 1)
  --seconds S         measurement per route and server (default 5; --quick 3, the ceiling 2)
  --warmup S          warm-up before each measurement (default 2; --quick 1)
  --connections C     concurrent connections (default 50)
  --routes a,b        only the routes whose names start with these
  --pool N            planned 20-participant lessons for the conduct route (default 4000)
  --cpu-prof DIR      run the server with --cpu-prof, profiles written to DIR when it stops
  --keep              keep the seeded databases (their place is printed)
  --reuse WHERE       bench an already seeded database instead of seeding one (a DATA_DIR, or a
                      postgres:// URL); one size, given by --sizes, is assumed to match it
  --soak N            hostile requests per shape in the memory soak (default 2000; --quick 500; 0 skips)
  --soak-only         run the memory soak alone
  --web               also measure the staff app's budgets in chromium (bundle, first page, typing)
  --web-only          measure only the staff app's budgets
  --web-customers N   customers for the typing measurement (default 100000; --reuse a seeded one)
  --webhooks          also measure webhooks: a write's p50 with 0 and 1 webhook, deliveries per second
  --webhooks-only     measure only the webhooks
Environment: DATABASE_URL=postgres://… benches PostgreSQL (a fresh database per size is created and
dropped on that server); WORKERS=2 runs two server processes (node:cluster).`

const NAME_QUERY = 'Соколов'

interface Options {
  sizes: number[]
  workers: number[]
  seconds: number
  warmup: number
  ceilingSeconds: number
  connections: number
  only: string[]
  pool: number
  cpuProf: string | null
  keep: boolean
  quick: boolean
  reuse: string | null
  soak: number
  soakOnly: boolean
  web: boolean
  webOnly: boolean
  webCustomers: number
  webhooks: boolean
  webhooksOnly: boolean
  traffic: boolean
  trafficOnly: boolean
  scenarios: string[]
  trafficSeconds: number
  /** Reads a second of the open-loop scenario (bench/traffic). */
  readRate: number
  afterWrites: boolean
}

function options(argv: string[]): Options {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      workers: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      routes: { type: 'string' },
      pool: { type: 'string' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      reuse: { type: 'string' },
      soak: { type: 'string' },
      'soak-only': { type: 'boolean', default: false },
      webhooks: { type: 'boolean', default: false },
      'webhooks-only': { type: 'boolean', default: false },
      web: { type: 'boolean', default: false },
      'web-only': { type: 'boolean', default: false },
      'web-customers': { type: 'string' },
      customers: { type: 'string' },
      traffic: { type: 'boolean', default: false },
      'no-traffic': { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      'traffic-seconds': { type: 'string' },
      'read-rate': { type: 'string' },
      'no-after-writes': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (v.help) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const list = (s: string | undefined, d: number[]) => (s ? s.split(',').map((x) => Number(x.trim())) : d)
  const seconds = Number(v.seconds ?? (v.quick ? 3 : 5))
  return {
    quick: v.quick,
    sizes: list(v.sizes ?? v.customers, v.quick ? [10_000] : [10_000, 100_000, 1_000_000]),
    workers: list(v.workers, [Number(process.env.WORKERS ?? 1)]),
    seconds,
    warmup: Number(v.warmup ?? (v.quick ? 1 : 2)),
    ceilingSeconds: v.quick ? 2 : seconds,
    connections: Number(v.connections ?? 50),
    only: v.routes ? v.routes.split(',') : [],
    pool: Number(v.pool ?? 4000),
    cpuProf: v['cpu-prof'] ?? null,
    keep: v.keep,
    reuse: v.reuse ?? null,
    soak: Number(v.soak ?? (v.quick ? 500 : 2000)),
    soakOnly: v['soak-only'],
    web: v.web || v['web-only'],
    webOnly: v['web-only'],
    webCustomers: Number(v['web-customers'] ?? 100_000),
    webhooks: v.webhooks || v['webhooks-only'],
    webhooksOnly: v['webhooks-only'],
    traffic: !v['no-traffic'],
    trafficOnly: v.traffic,
    scenarios: v.scenarios ? v.scenarios.split(',') : [],
    trafficSeconds: Number(v['traffic-seconds'] ?? (v.quick ? 4 : 10)),
    afterWrites: !v['no-after-writes'],
    readRate: Number(v['read-rate'] ?? 20),
  }
}

const here = path.dirname(fileURLToPath(import.meta.url))
const compiled = path.resolve(here, '..')
const SERVER = path.join(compiled, 'src/main.js')
const CLI = path.join(compiled, 'src/cli/main.js')
const CEILING = path.join(compiled, 'bench/ceiling.js')
const ANCHOR = path.join(compiled, 'bench/anchor.js')

/** The repository root: the nearest folder upwards with a package.json. */
function repoRoot(): string {
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) return process.cwd()
  }
}

interface Db {
  kind: 'sqlite' | 'postgres'
  env: Record<string, string>
  target: { databaseUrl: string | null; dataDir: string }
  where: string
  drop(): Promise<void>
}

async function freshDb(customers: number): Promise<Db> {
  const base = process.env.DATABASE_URL
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `parta-bench-${customers}-`))
  if (!base) {
    return {
      kind: 'sqlite',
      env: { DATA_DIR: dataDir },
      target: { databaseUrl: null, dataDir },
      where: dataDir,
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    }
  }
  const name = `parta_bench_${customers}_${crypto.randomBytes(3).toString('hex')}`
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: base })
    await c.connect()
    try {
      await c.query(q)
    } finally {
      await c.end()
    }
  }
  await admin(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`)
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    kind: 'postgres',
    env: { DATABASE_URL: url.toString() },
    target: { databaseUrl: url.toString(), dataDir },
    where: url.toString(),
    drop: async () => {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of [
    'DATABASE_URL',
    'DATA_DIR',
    'WORKERS',
    'PORT',
    'ALFACRM_ADMIN_EMAIL',
    'ALFACRM_ADMIN_API_KEY',
  ])
    delete env[k]
  return env
}

async function post(base: string, p: string, body: string, token?: string) {
  const r = await fetch(`${base}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-alfacrm-token': token } : {}) },
    body,
  })
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) }
}

const mb = (bytes: number) => bytes / 1024 / 1024
const SLOW_MS = 500

/**
 * Waits until the server has worked off the requests still in flight when a measurement stopped (a
 * slow route leaves up to `connections` of them), so they do not weigh on the next measurement.
 */
async function settle(base: string): Promise<void> {
  const until = Date.now() + 300_000
  for (let quick = 0; quick < 2 && Date.now() < until; ) {
    const t = performance.now()
    await fetch(`${base}/healthz`).catch(() => null)
    quick = performance.now() - t < 20 ? quick + 1 : 0
  }
}

async function benchRoute(
  o: Options,
  route: Route,
  key: string,
  server: Proc,
  ceiling: Proc,
  token: string,
): Promise<RouteResult> {
  const serverBase = `http://127.0.0.1:${server.port}`
  const ceilingBase = `http://127.0.0.1:${ceiling.port}`
  const counter = { n: 0 }
  const first = route.next ? route.next(counter.n++) : { path: route.path, body: route.body }
  const sent = performance.now()
  const captured = await post(serverBase, first.path, first.body, token)
  const once = performance.now() - sent
  if (captured.status !== 200) {
    throw new Error(`${route.name}: ${captured.status} ${captured.bytes.toString('utf8').slice(0, 300)}`)
  }
  await fetch(`${ceilingBase}/__body/${key}`, { method: 'PUT', body: captured.bytes })
  const headers: Record<string, string> = route.name === 'login' ? {} : { 'x-alfacrm-token': token }
  // A route slower than half a second a request is measured over one connection: 50 of them would
  // leave minutes of queued work behind, spoiling what follows. Judged by the second request too: a
  // first one that only fills what later ones find kept (a total at a million customers) is no sign.
  let slow = once > SLOW_MS
  if (slow) {
    const second = route.next ? route.next(counter.n++) : first
    const again = performance.now()
    await post(serverBase, second.path, second.body, token)
    slow = performance.now() - again > SLOW_MS
  }
  const connections = route.connections ?? (slow ? 1 : o.connections)
  const load = { connections, seconds: o.seconds }
  if (o.warmup > 0) await measure(serverBase, route, headers, counter, { ...load, seconds: o.warmup })
  await settle(serverBase)
  const s: Measured = await measure(serverBase, route, headers, counter, load)
  const serverRss = mb(rssOf(server.child.pid!))
  await settle(serverBase)
  const toCeiling: Route = {
    ...route,
    path: `/${key}`,
    next: route.next ? (i) => ({ path: `/${key}`, body: route.next!(i).body }) : undefined,
  }
  const ceilingCounter = { n: 0 }
  await measure(ceilingBase, toCeiling, headers, ceilingCounter, { ...load, seconds: o.quick ? 0.5 : 1 })
  await settle(ceilingBase)
  const c = await measure(ceilingBase, toCeiling, headers, ceilingCounter, {
    ...load,
    seconds: o.ceilingSeconds,
  })
  // Each conduct route has half the pool of planned lessons; past it, lessons are conducted again.
  const pool = route.name.startsWith('lesson conduct') ? counter.n : 0
  return {
    route: route.name,
    bytes: captured.bytes.length,
    connections,
    firstMs: once,
    server: { ...s, rssMb: serverRss },
    ceiling: { ...c, rssMb: mb(rssOf(ceiling.child.pid!)) },
    ...(pool > o.pool / 2 ? { wrapped: pool - Math.floor(o.pool / 2) } : {}),
  }
}

/** A database seeded earlier (`--keep`), benched as it is and kept. */
function existingDb(where: string): Db {
  const url = where.startsWith('postgres') ? where : null
  return {
    kind: url ? 'postgres' : 'sqlite',
    env: url ? { DATABASE_URL: url } : { DATA_DIR: where },
    target: { databaseUrl: url, dataDir: url ? os.tmpdir() : where },
    where,
    drop: async () => {},
  }
}

async function seed(env: NodeJS.ProcessEnv, customers: number) {
  const seedStarted = performance.now()
  const seedOut = await runToEnd(CLI, ['seed', '--customers', String(customers), '--json', '--check', '50'], {
    ...env,
    ALFACRM_ADMIN_EMAIL: ADMIN.email,
    ALFACRM_ADMIN_API_KEY: ADMIN.api_key,
  })
  const seedSeconds = (performance.now() - seedStarted) / 1000
  const seeded = JSON.parse(seedOut.trim().split('\n').pop() ?? '{}') as { rows?: Record<string, number> }
  return { seedSeconds, seedRows: seeded.rows ?? {} }
}

/** A server on a database of the bench's own, the admin as the bench signs in, quiet logs. */
function startOwnServer(db: Awaited<ReturnType<typeof freshDb>>, env: Record<string, string>) {
  return startProcess(SERVER, {
    env: {
      ...baseEnv(),
      ...db.env,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      ALFACRM_ADMIN_EMAIL: ADMIN.email,
      ALFACRM_ADMIN_API_KEY: ADMIN.api_key,
      ...startedEnv(),
      ...env,
    },
    nodeArgs: AS_STARTED.nodeArgs,
    healthPath: '/healthz',
  })
}

/** The webhooks bench (bench/webhooks.ts) against a server on an empty database of its own. */
async function benchWebhooks(): Promise<WebhookBench> {
  const db = await freshDb(0)
  const server = await startOwnServer(db, {
    WEBHOOK_POLL_MS: '20',
    // The drain holds a delivery of each endpoint while its backlog is written (bench/webhooks).
    WEBHOOK_TIMEOUT_MS: '120000',
  })
  try {
    process.stderr.write(`\n== webhooks on ${db.kind}\n`)
    return await runWebhookBench(`http://127.0.0.1:${server.port}`, ADMIN)
  } finally {
    await server.stop()
    await db.drop()
  }
}

/** The memory soak (bench/soak.ts) against a server on an empty database of its own. */
async function benchSoak(count: number): Promise<SoakResult[]> {
  const db = await freshDb(0)
  const server = await startOwnServer(db, {})
  try {
    process.stderr.write(`\n== memory soak on ${db.kind}, ${count} requests a shape\n`)
    const url = `http://127.0.0.1:${server.port}`
    const call = async (p: string, body: unknown, token?: string) =>
      (await (
        await fetch(`${url}/v2api/${p}`, {
          method: 'POST',
          headers: token ? { 'x-alfacrm-token': token } : {},
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, any>
    const admin = (await call('auth/login', ADMIN)).token as string
    const ro = { email: 'soak@school.example', role: 'readonly', branch_ids: [1], name: 'Soak' }
    const key = (await call('user/create', ro, admin)).model.api_key as string
    const token = (await call('auth/login', { email: ro.email, api_key: key })).token as string
    return await soak({ url, pid: server.child.pid!, token, count })
  } finally {
    await server.stop()
    await db.drop()
  }
}

async function benchSize(o: Options, customers: number, out: RunResult[]): Promise<void> {
  const db = o.reuse ? existingDb(o.reuse) : await freshDb(customers)
  const env = { ...baseEnv(), ...db.env, LOG_LEVEL: 'warn' }
  try {
    process.stderr.write(`\n== ${customers} customers on ${db.kind} (${db.where})\n`)
    const { seedSeconds, seedRows } = o.reuse ? { seedSeconds: 0, seedRows: {} } : await seed(env, customers)
    const tz = process.env.TZ ?? 'Europe/Moscow'
    const facts: Facts = await prepareFixtures(db.target, tz, o.pool)
    for (const workers of o.workers) {
      out.push(
        await benchServer(o, {
          db,
          env,
          customers,
          workers,
          seedSeconds,
          seedRows,
          facts,
        }),
      )
    }
  } finally {
    if (o.keep || o.reuse) process.stderr.write(`kept ${db.where}\n`)
    else await db.drop()
  }
}

interface ServerRun {
  db: Db
  env: NodeJS.ProcessEnv
  customers: number
  workers: number
  seedSeconds: number
  seedRows: Record<string, number>
  facts: Facts
}

async function benchServer(o: Options, r: ServerRun): Promise<RunResult> {
  const profile = o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(o.cpuProf)}`] : []
  const nodeArgs = [...AS_STARTED.nodeArgs, ...profile]
  const server = await startProcess(SERVER, {
    env: {
      ...r.env,
      HOST: '127.0.0.1',
      WORKERS: String(r.workers),
      LOGIN_RATE_LIMIT: '1000000',
      ...startedEnv(),
    },
    nodeArgs,
    healthPath: '/healthz',
  })
  const ceiling = await startProcess(CEILING, {
    env: baseEnv(),
    healthPath: '/healthz',
    port: await freePort(),
  })
  const run: RunResult = {
    db: r.db.kind,
    customers: r.customers,
    workers: r.workers,
    seedSeconds: r.seedSeconds,
    seedRows: r.seedRows,
    startToHealthyMs: server.startMs,
    rssAfterMb: 0,
    routes: [],
  }
  try {
    process.stderr.write(`${title(run)}\n`)
    const base = `http://127.0.0.1:${server.port}`
    const login = await post(base, '/v2api/auth/login', JSON.stringify(ADMIN))
    const token = (JSON.parse(login.bytes.toString('utf8')) as { token: string }).token
    const index = await post(base, '/v2api/1/customer/index', '{}', token)
    const total = (JSON.parse(index.bytes.toString('utf8')) as { total: number }).total
    const list = routes({ facts: r.facts, admin: ADMIN, total, name: NAME_QUERY }).filter(
      (x) => o.only.length === 0 || o.only.some((p) => x.name.startsWith(p)),
    )
    if (o.traffic) {
      const t = await benchTraffic(o, r, server, base, token, total)
      run.traffic = t.scenarios
      run.afterWrites = t.afterWrites
    }
    if (o.trafficOnly) list.length = 0
    else process.stderr.write(`${table([])[0]}\n`)
    for (const [i, route] of list.entries()) {
      const result = await benchRoute(o, route, String(i), server, ceiling, token)
      run.routes.push(result)
      process.stderr.write(`${table([result])[1]}\n`)
    }
    run.rssAfterMb = mb(rssOf(server.child.pid!))
  } finally {
    await server.stop()
    await ceiling.stop()
  }
  return run
}

/** The traffic scenarios (bench/traffic.ts) on this server and, on SQLite, on the anchor server. */
async function benchTraffic(
  o: Options,
  r: ServerRun,
  server: Proc,
  base: string,
  token: string,
  total: number,
): Promise<{ scenarios: TrafficResult[]; afterWrites: AfterWrite[] }> {
  const input = { facts: r.facts, total }
  const anchor =
    r.db.kind === 'sqlite'
      ? await startProcess(ANCHOR, {
          env: {
            ...baseEnv(),
            DATA_DIR: r.db.target.dataDir,
            ANCHOR_TOKEN: token,
            TZ_NAME: process.env.TZ ?? 'Europe/Moscow',
          },
          healthPath: '/healthz',
        })
      : null
  try {
    if (anchor) {
      const checked = await checkAnchor(input, base, `http://127.0.0.1:${anchor.port}`, token)
      process.stderr.write(`anchor: ${checked} replies byte-identical to Parta's\n`)
    }
    const scenarios = trafficScenarios(o.readRate).filter(
      (s) => o.scenarios.length === 0 || o.scenarios.some((p) => s.name.startsWith(p)),
    )
    process.stderr.write(`${trafficTable([])[0]}\n`)
    const results = await runTraffic(
      input,
      server,
      anchor,
      token,
      scenarios,
      { connections: o.connections, seconds: o.trafficSeconds, warmup: o.warmup },
      settle,
      (x) => process.stderr.write(`${trafficTable([x])[1]}\n`),
    )
    const after = o.afterWrites
      ? await afterWrites(input, base, anchor ? `http://127.0.0.1:${anchor.port}` : null, token)
      : []
    return { scenarios: results, afterWrites: after }
  } finally {
    await anchor?.stop()
  }
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return ''
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2))
  const started = new Date()
  const loadAtStart = os.loadavg()
  const runs: RunResult[] = []
  const only = o.soakOnly || o.webOnly || o.webhooksOnly
  if (!only) for (const size of o.sizes) await benchSize(o, size, runs)
  const soaked = o.soak > 0 && !o.webOnly && !o.webhooksOnly && !o.trafficOnly ? await benchSoak(o.soak) : []
  const webhooks = o.webhooks ? await benchWebhooks() : null
  const web = o.web
    ? await runWebBench({
        root: repoRoot(),
        compiled,
        customers: o.webCustomers,
        reuse: o.webOnly ? o.reuse : null,
        runs: o.quick ? 2 : 5,
      })
    : null
  // A PostgreSQL database given by --reuse counts as PostgreSQL too.
  const kind = process.env.DATABASE_URL || o.reuse?.startsWith('postgres') ? 'postgres' : 'sqlite'
  const dir = path.join(repoRoot(), 'bench/results')
  fs.mkdirSync(dir, { recursive: true })
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19)
  const file = path.join(dir, `${stamp}-${kind}${o.quick ? '-quick' : ''}.json`)
  const meta = {
    date: started.toISOString(),
    commit: commit(),
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '',
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    connections: o.connections,
    seconds: o.seconds,
    ceilingSeconds: o.ceilingSeconds,
    warmup: o.warmup,
    quick: o.quick,
    // Other work on the machine skews every figure; the ratios to the ceiling less so.
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: os.loadavg(),
    seconds_total: (Date.now() - started.getTime()) / 1000,
  }
  fs.writeFileSync(file, `${JSON.stringify({ meta, runs, soak: soaked, web, webhooks }, null, 2)}\n`)
  for (const run of runs) {
    process.stdout.write(`\n${title(run)}; RSS after the run ${run.rssAfterMb.toFixed(0)} MB\n`)
    if (run.traffic) {
      process.stdout.write(
        `Traffic (${o.connections} connections, ${o.trafficSeconds} s a scenario and server)\n`,
      )
      process.stdout.write(`${trafficTable(run.traffic).join('\n')}\n`)
    }
    if (run.afterWrites?.length) process.stdout.write(`${afterWriteTable(run.afterWrites).join('\n')}\n`)
    if (run.routes.length > 0) process.stdout.write(`${table(run.routes).join('\n')}\n`)
  }
  if (soaked.length > 0) {
    process.stdout.write(`\nMemory soak (${o.soak} requests a shape, 4 connections, a readonly user)\n`)
    process.stdout.write(`${soakTable(soaked).join('\n')}\n`)
  }
  if (web)
    process.stdout.write(
      `\nStaff app budgets (chromium ${process.env.CHROMIUM_PATH ?? 'of Debian'}, headless)\n${webTable(web)}\n`,
    )
  if (webhooks) process.stdout.write(`\nWebhooks (one server process)\n${webhookTable(webhooks)}\n`)
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ')
  process.stdout.write(
    `\nWrote ${path.relative(process.cwd(), file)} (${meta.seconds_total.toFixed(0)} s in all; load average ` +
      `${load(meta.loadAverageAtStart)} at the start, ${load(meta.loadAverageAtEnd)} at the end).\n`,
  )
  if (process.env.BENCH_MARKDOWN)
    for (const run of runs) {
      if (run.traffic) process.stdout.write(`\n${trafficMarkdown(run.traffic).join('\n')}\n`)
      process.stdout.write(`\n${markdown(run).join('\n')}\n`)
    }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exit(1)
})
