import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { connect, type Db } from '../../src/db/connect.js'
import { datetimeZone } from '../../src/fields/datetime.js'
import { models } from '../../src/models/index.js'
import { ADMIN, freshDatabase } from '../helpers/server.js'

/**
 * `seed --demo` and `seed --customers N` (issue 5) against fresh databases, checked through the API:
 * counts, Cyrillic and phone search, every sampled balance recomputed here from the pays, the charges
 * of conducted lessons and the period subscriptions, and lessons that have their details.
 */
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

type Item = Record<string, any>

interface Seeded {
  /** POSTs to /v2api/{path} as the admin; asserts 200 and returns the body. */
  api(path: string, body?: unknown): Promise<any>
  stdout: string
  /** The environment the seed ran with (its database). */
  env: NodeJS.ProcessEnv
  close(): Promise<void>
}

function seedCli(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, 'seed', ...args], { env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`seed ${args.join(' ')} failed: ${stderr}`))
      else resolve(stdout)
    })
  })
}

/** Seeds a fresh database with the CLI, then serves it in-process for the checks. */
async function seeded(args: string[]): Promise<Seeded> {
  const fresh = await freshDatabase()
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ALFACRM_ADMIN_EMAIL: ADMIN.email,
    ALFACRM_ADMIN_API_KEY: ADMIN.api_key,
  }
  for (const k of ['DATABASE_URL', 'DATA_DIR']) delete env[k]
  const stdout = await seedCli({ ...env, ...fresh.env }, args)
  Object.assign(env, fresh.env)
  const config = loadConfig({ LOG_LEVEL: 'silent', ...fresh.env })
  datetimeZone.tz = config.tz
  const db: Db = connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  const app = await buildApp({ config, db, models })
  const call = async (path: string, body: unknown, token?: string) => {
    const r = await app.inject({
      method: 'POST',
      url: `/v2api/${path}`,
      headers: { 'content-type': 'application/json', ...(token ? { 'x-alfacrm-token': token } : {}) },
      payload: JSON.stringify(body ?? {}),
    })
    assert.equal(r.statusCode, 200, `${path}: ${r.body}`)
    return JSON.parse(r.body)
  }
  const token = (await call('auth/login', ADMIN)).token as string
  return {
    api: (path, body) => call(path, body, token),
    stdout,
    env,
    async close() {
      await app.close()
      await db.close()
      await fresh.drop()
    },
  }
}

/** Every item of an index, page by page. */
async function all(s: Seeded, path: string, body: Record<string, unknown> = {}): Promise<Item[]> {
  const out: Item[] = []
  for (let page = 0; ; page++) {
    const r = await s.api(path, { ...body, page })
    out.push(...r.items)
    if (r.items.length === 0 || out.length >= r.total) return out
  }
}

const kopecks = (money: string) => Math.round(Number(money) * 100)

/**
 * §6.1 recomputed from what the API shows: confirmed incomes − refunds, − the commissions of the
 * customer's details in conducted lessons, − the price of each period subscription.
 */
async function expectedBalance(
  s: Seeded,
  customerId: number,
  branches: number[],
  tariffs: Map<number, Item>,
) {
  let balance = 0
  for (const b of branches) {
    for (const p of await all(s, `${b}/pay/index`, { customer_id: customerId })) {
      if (p.is_confirmed !== 1 || (p.pay_type_id !== 1 && p.pay_type_id !== 2)) continue
      balance += (p.pay_type_id === 1 ? 1 : -1) * kopecks(p.income)
    }
    for (const l of await all(s, `${b}/lesson/index`, { customer_id: customerId, status: 3 })) {
      for (const d of l.details) if (d.customer_id === customerId) balance -= kopecks(d.commission)
    }
  }
  const subs = await all(s, `${branches[0]}/customer-tariff/index?customer_id=${customerId}`)
  for (const sub of subs) {
    const t = tariffs.get(sub.tariff_id)
    if (t && t.type !== 1 && sub.is_separate_balance === 0) balance -= kopecks(t.price)
  }
  return balance
}

async function checkBalances(s: Seeded, customers: Item[]) {
  const tariffs = new Map((await all(s, '1/tariff/index')).map((t) => [t.id as number, t]))
  for (const c of customers) {
    const expected = await expectedBalance(s, c.id, c.branch_ids, tariffs)
    assert.equal(kopecks(c.balance), expected, `balance of customer ${c.id} (${c.name})`)
    assert.equal(c.balance_base, c.balance)
  }
}

async function checkSearch(s: Seeded, sample: Item) {
  const surname = (sample.name as string).split(' ')[0]!
  const needle = surname.slice(1, -1).toUpperCase()
  const found = await all(s, '1/customer/index', { name: needle, is_study: 2, removed: 1 })
  assert.ok(
    found.some((c) => c.id === sample.id),
    `name search "${needle}" finds ${sample.name}`,
  )
  for (const c of found) assert.ok((c.name as string).toLowerCase().includes(needle.toLowerCase()), c.name)
  const digits = (sample.phone[0] as string).replace(/\D/g, '')
  const typed = `${digits.slice(-7, -4)}-${digits.slice(-4, -2)}-${digits.slice(-2)}`
  const byPhone = await all(s, '1/customer/index', { phone: typed, is_study: 2, removed: 1 })
  assert.ok(
    byPhone.some((c) => c.id === sample.id),
    `phone search "${typed}" finds ${sample.phone[0]}`,
  )
}

describe('seed --demo', () => {
  let s: Seeded
  before(async () => {
    s = await seeded(['--demo'])
  })
  after(() => s?.close())

  test('makes two branches of students, leads along the funnel, and reports what it made', async () => {
    assert.match(s.stdout, /Demo school made in .* through \d+ API calls/)
    const main = await s.api('1/customer/index', { is_study: 2 })
    const second = await s.api('2/customer/index', { is_study: 2 })
    assert.equal(second.total, 12)
    assert.equal(main.total, 24 + 14)
    const leads = await all(s, '1/customer/index', { is_study: 0 })
    assert.equal(leads.length, 14)
    assert.ok(new Set(leads.map((l) => l.lead_status_id)).size >= 4, 'leads are spread over the funnel')
    const moves = await s.api('1/log/index', { entity: 'Customer', field: 'lead_status_id', event: 2 })
    assert.ok(moves.total > 0, 'funnel moves are in the log')
  })

  test('conducted lessons have attendance; planned ones lie ahead', async () => {
    const conducted = await s.api('1/lesson/index', {})
    assert.ok(conducted.total > 20)
    for (const l of conducted.items) {
      assert.ok(l.details.length > 0, `lesson ${l.id} has details`)
      assert.ok(
        l.details.some((d: Item) => d.is_attend === 1),
        `lesson ${l.id} has someone attending`,
      )
    }
    const planned = await s.api('1/lesson/index', { status: 1 })
    assert.ok(planned.total > 0)
  })

  test('every student’s balance equals pays − charges − period fees', async () => {
    const students = [
      ...(await all(s, '1/customer/index', { is_study: 1 })),
      ...(await all(s, '2/customer/index', { is_study: 1 })),
    ]
    assert.equal(students.length, 36)
    await checkBalances(s, students)
    assert.ok(students.some((c) => kopecks(c.balance) < 0) && students.some((c) => kopecks(c.balance) > 0))
  })

  test('Cyrillic name search and phone search find seeded customers', async () => {
    const page = await s.api('1/customer/index', {})
    await checkSearch(s, page.items[3])
  })

  test('refuses a database that already has customers', async () => {
    await assert.rejects(seedCli(s.env, ['--customers', '10']), /already holds a school \(it has customers\)/)
  })
})

describe('seed --customers 300', () => {
  let s: Seeded
  before(async () => {
    s = await seeded(['--customers', '300', '--seed', '3'])
  })
  after(() => s?.close())

  test('makes 300 customers in the two branches, with groups, lessons, pays and log rows', async () => {
    assert.match(s.stdout, /Seeded 300 customers in/)
    assert.match(s.stdout, /Balances of 200 sampled customers equal refreshCustomers/)
    const ids = new Set<number>()
    for (const b of [1, 2])
      for (const c of await all(s, `${b}/customer/index`, { is_study: 2, removed: 1 })) ids.add(c.id)
    assert.equal(ids.size, 300)
    const groups = await s.api('1/group/index', {})
    assert.ok(groups.total >= 15, `groups: ${groups.total}`)
    const pays = await s.api('1/pay/index', {})
    assert.ok(pays.total > 300, `pays: ${pays.total}`)
    const log = await s.api('1/log/index', { entity: 'Customer' })
    assert.ok(log.total >= 250, `customer log rows: ${log.total}`)
  })

  test('lessons have a detail per participant; the conducted ones attendance and charges', async () => {
    const conducted = await all(s, '1/lesson/index', { lesson_type_id: 2 })
    assert.ok(conducted.length > 100)
    for (const l of conducted) assert.ok(l.details.length > 0, `lesson ${l.id} has details`)
    const charged = conducted
      .flatMap((l) => l.details)
      .filter((d: Item) => d.is_attend === 1 && d.commission !== '0.00')
    assert.ok(charged.length > conducted.length, 'attended details are charged')
    const planned = await s.api('1/lesson/index', { status: 1 })
    assert.ok(planned.total > 0)
    for (const l of planned.items) assert.ok(l.details.length > 0)
  })

  test('sampled balances equal a recomputation from pays, charges and period fees', async () => {
    const students = await all(s, '1/customer/index', { is_study: 1 })
    const sample = students.filter((_, i) => i % 7 === 0).slice(0, 25)
    assert.ok(sample.length >= 20)
    await checkBalances(s, sample)
  })

  test('Cyrillic name search and phone search find seeded customers', async () => {
    const page = await s.api('1/customer/index', { page: 1 })
    await checkSearch(s, page.items[7])
    await checkSearch(s, page.items[21])
  })
})
