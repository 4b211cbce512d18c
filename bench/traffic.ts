import fs from 'node:fs'
import os from 'node:os'
import { Rng } from '../src/seed/random.js'
import type { Facts } from './fixtures.js'
import { type Measured, measure } from './load.js'
import type { Proc } from './processes.js'
import { aligned } from './report.js'
import type { Route } from './routes.js'

/**
 * Traffic that looks like production (issue 15): reads that differ request to request (random pages
 * across the whole customer list, random surnames and phone digits, random filter mixes) with the
 * reply memo at its default, alone and beside a steady stream of writes (customer updates, pays,
 * lesson conducts). Each scenario is measured on Parta and then, with the very same requests, on the
 * hand-written anchor server (bench/anchor.ts) in the same run; the anchor's replies are first checked
 * to be byte-identical to Parta's on a sample of every kind of request.
 *
 * The anchor serves reads only: in the scenarios with writes, the writes go to Parta in both
 * measurements (the same SQLite file), so the anchor's reads see the same commits Parta's see.
 */

export interface TrafficInput {
  facts: Facts
  /** Customers of the default list of branch 1. */
  total: number
}

type Kind = 'page' | 'search' | 'filters' | 'varied'

export interface Scenario {
  name: string
  reads: Kind
  writesPerSecond: number
  /**
   * Reads sent at this fixed rate, each on its own (open loop), instead of 50 connections asking as
   * fast as they are answered: what a read waits for at a given load, not how many the server can take.
   */
  readsPerSecond?: number
}

/** The scenarios; the last sends its reads at `readRate` a second (bench `--read-rate`). */
export function scenarios(readRate = 20): Scenario[] {
  return [
    { name: 'random pages', reads: 'page', writesPerSecond: 0 },
    { name: 'random names and phones', reads: 'search', writesPerSecond: 0 },
    { name: 'random filter mixes', reads: 'filters', writesPerSecond: 0 },
    { name: 'varied reads', reads: 'varied', writesPerSecond: 0 },
    { name: 'varied reads + 5 writes/s', reads: 'varied', writesPerSecond: 5 },
    { name: 'varied reads + 50 writes/s', reads: 'varied', writesPerSecond: 50 },
    {
      name: `varied reads at ${readRate}/s + 50 writes/s`,
      reads: 'varied',
      writesPerSecond: 50,
      readsPerSecond: readRate,
    },
  ]
}

const PATH = '/v2api/1/customer/index'

/** The i-th read of a kind: a pure function of i, so both servers get the same sequence. */
export function readOf(kind: Kind, t: TrafficInput, i: number): Record<string, unknown> {
  const rng = new Rng(0x5eed + i * 7919 + kind.length)
  const f = t.facts
  if (kind === 'varied') {
    const x = rng.next()
    return readOf(x < 0.6 ? 'page' : x < 0.8 ? 'search' : 'filters', t, i)
  }
  if (kind === 'page') return { page: rng.int(0, Math.max(0, Math.ceil(t.total / 50) - 1)) }
  if (kind === 'search') {
    const body: Record<string, unknown> = rng.chance(0.6)
      ? { name: rng.pick(f.surnames) }
      : { phone: rng.pick(f.phoneParts) }
    if (rng.chance(0.2)) body.page = 1
    return body
  }
  const body: Record<string, unknown> = {}
  if (rng.chance(0.6)) body.is_study = rng.int(0, 2)
  if (rng.chance(0.3)) body.removed = rng.int(0, 2)
  const keys = Object.keys(f.dicts)
  for (let n = rng.int(0, 2); n > 0; n--) {
    const key = rng.pick(keys)
    body[key] = rng.pick(f.dicts[key]!)
  }
  if (rng.chance(0.5)) body.page = rng.int(0, 4)
  return body
}

/** The i-th write: a customer update, a pay or a 20-pupil conduct, in turn. */
function writeOf(f: Facts, i: number): { path: string; body: string } {
  const customer = f.payCustomers[(i * 7) % f.payCustomers.length]!
  if (i % 3 === 0)
    return { path: `/v2api/1/customer/update?id=${customer}`, body: JSON.stringify({ note: `bench ${i}` }) }
  if (i % 3 === 1)
    return {
      path: '/v2api/1/pay/create',
      body: JSON.stringify({
        pay_type_id: 1,
        customer_id: customer,
        pay_account_id: f.payAccountId,
        income: '700.00',
        document_date: f.today.split('-').reverse().join('.'),
      }),
    }
  const { lessons, groups } = f.conduct
  const k = Math.floor(i / 3) % lessons.length
  // Conducted from the end of the pool: the conduct routes take it from the start.
  const lesson = lessons[lessons.length - 1 - k]!
  const members = groups[(lessons.length - 1 - k) % groups.length]!
  return {
    path: `/v2api/1/lesson/update?id=${lesson}`,
    body: JSON.stringify({
      status: 3,
      topic: 'Бенчмарк',
      details: members.map((c, j) => ({ customer_id: c, is_attend: (i + j) % 10 < 9 ? 1 : 0 })),
    }),
  }
}

/** CPU time of a process and its children so far (utime + stime), in ms. */
function cpuMs(pid: number): number {
  const ticks = (p: number) => {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return Number(f[11]) + Number(f[12])
    } catch {
      return 0
    }
  }
  let total = ticks(pid)
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) total += ticks(Number(e))
    } catch {}
  }
  return total * 10 // 100 ticks a second (CLK_TCK) on Linux
}

const pct = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

export interface Side extends Measured {
  cpuMsPerRead: number
  writes?: { sent: number; failed: number; p50: number; p99: number }
}

export interface TrafficResult {
  scenario: string
  writesPerSecond: number
  loadAverage: number[]
  parta: Side
  anchor: Side | null
}

interface Target {
  base: string
  pid: number
}

async function post(base: string, path: string, body: string, token: string) {
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-alfacrm-token': token },
    body,
  })
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) }
}

/** Requests at a fixed rate until stopped, each sent on its own (open loop); each one's latency. */
function rateStream(
  base: string,
  token: string,
  perSecond: number,
  next: (i: number) => { path: string; body: string },
) {
  const latencies: number[] = []
  let sent = 0
  let failed = 0
  const started = performance.now()
  const inFlight = new Set<Promise<void>>()
  const timer =
    perSecond > 0
      ? setInterval(() => {
          const w = next(sent++)
          const t = performance.now()
          const p = post(base, w.path, w.body, token)
            .then((r) => {
              if (r.status !== 200) failed++
              latencies.push(performance.now() - t)
            })
            .catch(() => {
              failed++
            })
            .finally(() => inFlight.delete(p))
          inFlight.add(p)
        }, 1000 / perSecond)
      : null
  return {
    async stop() {
      if (timer) clearInterval(timer)
      const seconds = (performance.now() - started) / 1000
      await Promise.all(inFlight)
      const sorted = latencies.sort((a, b) => a - b)
      return { sent, failed, seconds, p50: pct(sorted, 50), p99: pct(sorted, 99) }
    },
  }
}

/** Writes at a fixed rate to Parta until stopped; each one's latency. */
function writeStream(parta: string, token: string, f: Facts, perSecond: number, first: number) {
  return rateStream(parta, token, perSecond, (i) => writeOf(f, first + i))
}

/**
 * Checks that the anchor answers byte for byte what Parta answers, on `n` requests of every kind;
 * a reply differing twice in a row (not a clock second between the two) stops the bench.
 */
export async function checkAnchor(t: TrafficInput, parta: string, anchor: string, token: string, n = 25) {
  let checked = 0
  for (const kind of ['page', 'search', 'filters'] as const) {
    for (let i = 0; i < n; i++) {
      const body = JSON.stringify(readOf(kind, t, 900_000 + i))
      for (let attempt = 1; ; attempt++) {
        const a = await post(parta, PATH, body, token)
        const b = await post(anchor, PATH, body, token)
        if (a.status === 200 && a.bytes.equals(b.bytes)) break
        if (attempt === 2) {
          const x = a.bytes.toString('utf8')
          const y = b.bytes.toString('utf8')
          let at = 0
          while (at < x.length && x[at] === y[at]) at++
          throw new Error(
            `bench: the anchor's reply differs from Parta's for ${body} (status ${a.status}/${b.status}) ` +
              `at char ${at}:\n parta:  …${x.slice(Math.max(0, at - 80), at + 120)}\n anchor: …${y.slice(Math.max(0, at - 80), at + 120)}`,
          )
        }
      }
      checked++
    }
  }
  return checked
}

async function side(
  target: Target,
  parta: string,
  t: TrafficInput,
  s: Scenario,
  token: string,
  o: { connections: number; seconds: number; warmup: number },
  writesFrom: number,
): Promise<Side> {
  const route = (from: number): Route => ({
    name: s.name,
    path: PATH,
    body: '{}',
    next: (i) => ({ path: PATH, body: JSON.stringify(readOf(s.reads, t, from + i)) }),
  })
  const headers = { 'x-alfacrm-token': token }
  if (o.warmup > 0)
    await measure(
      target.base,
      route(1_000_000),
      headers,
      { n: 0 },
      { connections: o.connections, seconds: o.warmup },
    )
  const writes = writeStream(parta, token, t.facts, s.writesPerSecond, writesFrom)
  const before = cpuMs(target.pid)
  const m = s.readsPerSecond
    ? await atRate(target.base, token, s.readsPerSecond, o.seconds, (i) => route(0).next!(i))
    : await measure(
        target.base,
        route(0),
        headers,
        { n: 0 },
        { connections: o.connections, seconds: o.seconds },
      )
  const cpu = cpuMs(target.pid) - before
  const w = await writes.stop()
  return {
    ...m,
    cpuMsPerRead: m.requests > 0 ? cpu / m.requests : 0,
    ...(s.writesPerSecond > 0 ? { writes: w } : {}),
  }
}

/** Reads at a fixed rate for `seconds` (open loop), as autocannon's figures. */
async function atRate(
  base: string,
  token: string,
  perSecond: number,
  seconds: number,
  next: (i: number) => { path: string; body: string },
): Promise<Measured> {
  const reads = rateStream(base, token, perSecond, next)
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const r = await reads.stop()
  const answered = r.sent - r.failed
  return {
    rps: answered / r.seconds,
    p50: r.p50,
    p99: r.p99,
    requests: r.sent,
    non2xx: r.failed,
    errors: 0,
    seconds: r.seconds,
  }
}

/** Runs the scenarios on Parta and on the anchor (when there is one), each pair back to back. */
export async function runTraffic(
  t: TrafficInput,
  parta: Proc,
  anchor: Proc | null,
  token: string,
  scenarios: Scenario[],
  o: { connections: number; seconds: number; warmup: number },
  settle: (base: string) => Promise<void>,
  progress: (r: TrafficResult) => void,
): Promise<TrafficResult[]> {
  const partaBase = `http://127.0.0.1:${parta.port}`
  const out: TrafficResult[] = []
  let writes = 0
  for (const s of scenarios) {
    const loadAverage = os.loadavg()
    const p = await side({ base: partaBase, pid: parta.child.pid! }, partaBase, t, s, token, o, writes)
    writes += p.writes?.sent ?? 0
    await settle(partaBase)
    let a: Side | null = null
    if (anchor) {
      const anchorBase = `http://127.0.0.1:${anchor.port}`
      a = await side({ base: anchorBase, pid: anchor.child.pid! }, partaBase, t, s, token, o, writes)
      writes += a.writes?.sent ?? 0
      await settle(anchorBase)
      await settle(partaBase)
    }
    const r = { scenario: s.name, writesPerSecond: s.writesPerSecond, loadAverage, parta: p, anchor: a }
    out.push(r)
    progress(r)
  }
  return out
}

const HEAD = [
  'scenario',
  'req/s',
  'CPU ms/req',
  'p50 ms',
  'p99 ms',
  'writes p50/p99 ms',
  'anchor req/s',
  'anchor CPU ms/req',
  'anchor p50/p99',
  '×anchor req/s',
  '×anchor CPU',
  'load',
]

function cells(r: TrafficResult): string[] {
  const p = r.parta
  const a = r.anchor
  const ratio = (x: number, y: number | undefined) => (y && y > 0 ? (x / y).toFixed(2) : '—')
  const failed = p.non2xx + p.errors + (a ? a.non2xx + a.errors : 0) + (p.writes?.failed ?? 0)
  return [
    r.scenario,
    p.rps.toFixed(0),
    p.cpuMsPerRead.toFixed(2),
    p.p50.toFixed(1),
    p.p99.toFixed(1),
    p.writes ? `${p.writes.p50.toFixed(1)}/${p.writes.p99.toFixed(1)}` : '',
    a ? a.rps.toFixed(0) : '—',
    a ? a.cpuMsPerRead.toFixed(2) : '—',
    a ? `${a.p50.toFixed(1)}/${a.p99.toFixed(1)}` : '—',
    ratio(p.rps, a?.rps),
    ratio(p.cpuMsPerRead, a?.cpuMsPerRead),
    `${r.loadAverage[0]!.toFixed(2)}${failed > 0 ? ` · ${failed} failed` : ''}`,
  ]
}

export function trafficTable(rows: TrafficResult[]): string[] {
  return aligned(HEAD, rows.map(cells))
}

export function trafficMarkdown(rows: TrafficResult[]): string[] {
  const md = (r: string[]) => `| ${r.join(' | ')} |`
  return [md(HEAD), md(HEAD.map(() => '---')), ...rows.map((r) => md(cells(r)))]
}

/** A read that follows a write at once (issue 15: "first request after a write"). */
export interface AfterWrite {
  read: string
  /** The write before each read: one that moves no customer in or out of a list, or one that does. */
  write: 'pay' | 'new lead'
  parta: { p50: number; max: number }
  anchor: { p50: number; max: number } | null
}

/**
 * The first read after a write, alone: a write to Parta, then at once one read timed (no other request
 * in flight), `n` times, on Parta and on the anchor. Every commit drops what either server keeps under
 * the data version, so this is the cost of a list nobody has read since the data changed: the default
 * list's first page, a page far down it (10 000, or its last), and the leads (`is_study: 0`). Two kinds
 * of write: a pay (no customer enters or leaves a list) and a new lead (the leads list grows).
 */
export async function afterWrites(
  t: TrafficInput,
  parta: string,
  anchor: string | null,
  token: string,
  n = 15,
): Promise<AfterWrite[]> {
  const deep = Math.min(10_000, Math.max(0, Math.ceil(t.total / 50) - 1))
  const reads: Array<[string, Record<string, unknown>]> = [
    ['default list, page 0', {}],
    [`default list, page ${deep}`, { page: deep }],
    ['leads (is_study 0), page 0', { is_study: 0 }],
  ]
  const out: AfterWrite[] = []
  let i = 0
  const timed = async (base: string, write: AfterWrite['write'], body: string) => {
    const times: number[] = []
    for (let k = 0; k < n; k++) {
      const w =
        write === 'pay'
          ? writeOf(t.facts, 3 * (i++ + 2_000_000) + 1)
          : {
              path: '/v2api/1/customer/create',
              body: JSON.stringify({ name: `Лид ${i++}`, is_study: 0, legal_type: 1 }),
            }
      const r = await post(parta, w.path, w.body, token)
      if (r.status !== 200) throw new Error(`bench: ${w.path} answered ${r.status}: ${r.bytes}`)
      const started = performance.now()
      const got = await post(base, PATH, body, token)
      if (got.status !== 200) throw new Error(`bench: ${body} answered ${got.status}`)
      times.push(performance.now() - started)
    }
    const sorted = times.sort((a, b) => a - b)
    return { p50: pct(sorted, 50), max: sorted.at(-1)! }
  }
  for (const write of ['pay', 'new lead'] as const) {
    for (const [read, b] of reads) {
      const body = JSON.stringify(b)
      // Both servers read the list once first, so what each keeps across writes (if anything) is there.
      await post(parta, PATH, body, token)
      if (anchor) await post(anchor, PATH, body, token)
      const p = await timed(parta, write, body)
      const a = anchor ? await timed(anchor, write, body) : null
      out.push({ read, write, parta: p, anchor: a })
    }
  }
  return out
}

export function afterWriteTable(rows: AfterWrite[]): string[] {
  const f = (x: { p50: number; max: number } | null) => (x ? `${x.p50.toFixed(1)} / ${x.max.toFixed(1)}` : '')
  return aligned(
    ['first read after a write', 'write', 'Parta p50 / max ms', 'anchor p50 / max ms'],
    rows.map((r) => [r.read, r.write, f(r.parta), f(r.anchor)]),
  )
}
