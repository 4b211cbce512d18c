import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ADMIN } from '../test/helpers/server.js'
import { runToEnd, startProcess } from './processes.js'

/**
 * Issue 16, measured on a seeded school (SQLite unless DATABASE_URL names a database that is already
 * seeded): what an `Idempotency-Key` adds to a write (p50 of `pay/create` with and without one,
 * interleaved, one request at a time, and of a replay), and the rate of a full `customer/index`
 * download by `after_id` (rows per second, pages of MAX_PAGE_SIZE).
 *
 *   npm run build && node dist/bench/integrations.js --customers 100000 [--reuse DIR] [--page 500] [--writes 300]
 */
const args = process.argv.slice(2)
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback
}
const customers = Number(opt('customers', '100000'))
const page = Number(opt('page', '500'))
const writes = Number(opt('writes', '300'))
const reuse = opt('reuse', '')

const compiled = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SERVER = path.join(compiled, 'src/main.js')
const CLI = path.join(compiled, 'src/cli/main.js')

const p = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

async function main() {
  const dataDir = reuse || fs.mkdtempSync(path.join(os.tmpdir(), `parta-integrations-${customers}-`))
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    ALFACRM_ADMIN_EMAIL: ADMIN.email,
    ALFACRM_ADMIN_API_KEY: ADMIN.api_key,
    LOG_LEVEL: 'warn',
    MAX_PAGE_SIZE: String(page),
  }
  if (!reuse) {
    const started = performance.now()
    await runToEnd(CLI, ['seed', '--customers', String(customers), '--json'], env)
    console.log(
      `seeded ${customers} customers in ${((performance.now() - started) / 1000).toFixed(0)} s: ${dataDir}`,
    )
  }
  const server = await startProcess(SERVER, { env, healthPath: '/healthz' })
  const base = `http://127.0.0.1:${server.port}/v2api`
  try {
    const login = await fetch(`${base}/auth/login`, { method: 'POST', body: JSON.stringify(ADMIN) })
    const token = ((await login.json()) as { token: string }).token
    const call = async (p: string, body: unknown, headers: Record<string, string> = {}) => {
      const t = performance.now()
      const r = await fetch(`${base}/${p}`, {
        method: 'POST',
        headers: { 'x-alfacrm-token': token, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      })
      const text = await r.text()
      if (r.status !== 200) throw new Error(`${p}: ${r.status} ${text.slice(0, 200)}`)
      return {
        ms: performance.now() - t,
        body: JSON.parse(text),
        replayed: r.headers.get('idempotent-replayed'),
      }
    }
    const account = (await call('1/pay-account/index', {})).body.items[0].id as number
    const someone = (await call('1/customer/index', { count: 1 })).body.items[0].id as number
    const pay = {
      customer_id: someone,
      pay_account_id: account,
      pay_type_id: 1,
      income: '1',
      document_date: '15.09.2025',
    }

    // Warm-up, then interleaved: without a key, with a fresh key, and the same key again (a replay).
    for (let i = 0; i < 20; i++) await call('1/pay/create', pay)
    const plain: number[] = []
    const keyed: number[] = []
    const replayed: number[] = []
    for (let i = 0; i < writes; i++) {
      plain.push((await call('1/pay/create', pay)).ms)
      const key = { 'idempotency-key': `bench-${process.pid}-${i}` }
      keyed.push((await call('1/pay/create', pay, key)).ms)
      const again = await call('1/pay/create', pay, key)
      if (again.replayed !== 'true') throw new Error('not replayed')
      replayed.push(again.ms)
    }
    const row = (name: string, xs: number[]) =>
      console.log(
        `${name.padEnd(34)} p50 ${p(xs, 0.5).toFixed(2)} ms  p90 ${p(xs, 0.9).toFixed(2)} ms  (n=${xs.length})`,
      )
    console.log(
      `load before download: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
    row('pay/create without a key', plain)
    row('pay/create with a new key', keyed)
    row('pay/create replayed (same key)', replayed)

    // Full download by after_id.
    const started = performance.now()
    let cursor = 0
    let rows = 0
    let pages = 0
    const pageMs: number[] = []
    for (;;) {
      const r = await call('1/customer/index', { after_id: cursor, count: page, is_study: 2, removed: 1 })
      pageMs.push(r.ms)
      pages++
      if (r.body.count === 0) break
      rows += r.body.count
      cursor = r.body.next_after_id
    }
    const seconds = (performance.now() - started) / 1000
    console.log(
      `after_id download: ${rows} customers in ${pages} pages of ${page}, ${seconds.toFixed(1)} s = ` +
        `${(rows / seconds).toFixed(0)} rows/s; page p50 ${p(pageMs, 0.5).toFixed(1)} ms, first ` +
        `${pageMs[0]!.toFixed(1)} ms, last full ${pageMs.at(-2)?.toFixed(1)} ms`,
    )
    const total = (await call('1/customer/index', { count: 1, is_study: 2, removed: 1 })).body.total
    console.log(`the same filters' total: ${total} (${total === rows ? 'equal' : 'DIFFERENT'})`)
    console.log(
      `load after: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
  } finally {
    await server.stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
