import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { models } from '../../src/models/index.js'
import { everything, type Post, poster } from '../helpers/ledger.js'
import { type RunningServer, spawnServer } from '../helpers/process.js'
import { ADMIN, adminEnv, adminToken, freshDatabase } from '../helpers/server.js'

/**
 * `import alfacrm` as the operator runs it (the built CLI, a child process): from a real server
 * process holding the demo school and some edge cases into an empty database (SQLite, or PostgreSQL
 * with TEST_DATABASE_URL), then every list of the two servers compared.
 */

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

interface Run {
  code: number
  stdout: string
  stderr: string
}

let checkpoints = 0

/** An import's checkpoint goes to a temp file (on PostgreSQL it would go to the working directory). */
function cli(env: Record<string, string>, ...given: string[]): Promise<Run> {
  const args =
    given[1] === 'alfacrm' && !given.includes('--checkpoint')
      ? [
          ...given,
          '--checkpoint',
          path.join(os.tmpdir(), `parta-import-${process.pid}-${++checkpoints}.json`),
        ]
      : given
  const base: NodeJS.ProcessEnv = { ...process.env }
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'ALFACRM_ADMIN_EMAIL', 'ALFACRM_ADMIN_API_KEY'])
    delete base[name]
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...base, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

const SOURCE_LOGIN = (url: string) => ['--url', url, '--email', ADMIN.email, '--api-key', ADMIN.api_key]

/** `import alfacrm` from `url` as the suite's admin, with `extra` options. */
function importFrom(env: Record<string, string>, url: string, ...extra: string[]): Promise<Run> {
  return cli(env, 'import', 'alfacrm', ...SOURCE_LOGIN(url), ...extra)
}

/** The same, which must succeed: its output. */
async function imported(env: Record<string, string>, url: string, ...extra: string[]): Promise<string> {
  const r = await importFrom(env, url, ...extra)
  assert.equal(r.code, 0, `import alfacrm ${extra.join(' ')} failed: ${r.stderr}\n${r.stdout}`)
  return r.stdout
}

/** Ids of the customers of every branch in lists read by `everyList`. */
function customerIds(lists: Map<string, any[]>): Set<number> {
  return new Set(
    [...lists]
      .filter(([k]) => /^\d+\/customer$/.test(k))
      .flatMap(([, rows]) => rows.map((r) => r.id as number)),
  )
}

async function ok(env: Record<string, string>, ...args: string[]): Promise<string> {
  const r = await cli(env, ...args)
  assert.equal(r.code, 0, `${args.join(' ')} failed: ${r.stderr}\n${r.stdout}`)
  return r.stdout
}

const EVERYTHING = { removed: 1, is_study: 2, status: [1, 2, 3], 'per-page': 50, date_to: '2099-12-31' }

const PARENTS: Record<string, Array<[list: string, query: (id: number) => string]>> = {
  'teacher/working-hour': [['teacher', (id) => `teacher_id=${id}`]],
  'teacher/teacher-rate': [['teacher', (id) => `teacher_id=${id}`]],
  'customer-tariff': [['customer', (id) => `customer_id=${id}`]],
  cgi: [['group', (id) => `group_id=${id}`]],
  communication: ['Customer', 'Group', 'Task'].map((cls) => [
    cls.toLowerCase(),
    (id: number) => `class=${cls}&related_id=${id}`,
  ]),
}

/**
 * Lists that are not the school's: the target's own admin, the calendar (made of lessons), and each
 * server's own webhook endpoints and delivery log (not imported).
 */
const SKIP = new Set(['user', 'calendar', 'webhook', 'webhook-delivery'])

async function everyList(post: Post): Promise<Map<string, any[]>> {
  const lists = new Map<string, any[]>()
  const read = async (key: string) =>
    lists.set(
      key,
      await everything(
        post,
        `${key.replace('?', '/index?')}${key.includes('?') ? '' : '/index'}`,
        EVERYTHING,
      ),
    )
  const branches = (await everything(post, '1/branch/index', EVERYTHING)).map((b) => b.id as number)
  const listed = [...models]
    .filter(([slug, m]) => m.actions.includes('index') && !SKIP.has(slug))
    .map(([resource]) => resource)
  for (const b of branches) {
    for (const resource of listed) if (!PARENTS[resource]) await read(`${b}/${resource}`)
    for (const resource of listed) {
      for (const [list, query] of PARENTS[resource] ?? []) {
        for (const p of lists.get(`${b}/${list}`) ?? []) await read(`${b}/${resource}?${query(p.id)}`)
      }
    }
  }
  return lists
}

function assertSameLists(source: Map<string, any[]>, target: Map<string, any[]>, except?: RegExp) {
  assert.deepEqual([...target.keys()].sort(), [...source.keys()].sort())
  for (const [key, rows] of source)
    if (!except?.test(key)) assert.deepEqual(target.get(key), rows, `${key} differs`)
}

/** Starts the target's server, compares its lists with the source's, and checks new ids follow the old. */
async function assertTargetEquals(
  env: Record<string, string>,
  sourceLists: Map<string, any[]>,
  except?: RegExp,
) {
  const server = await spawnServer(env)
  try {
    const post = poster(() => server.url, await adminToken(server.url))
    assertSameLists(sourceLists, await everyList(post), except)
    const max = Math.max(
      ...[...sourceLists]
        .filter(([k]) => /^\d+\/customer$/.test(k))
        .flatMap(([, rows]) => rows.map((r) => r.id)),
    )
    const made = await post('1/customer/create', { name: 'После импорта', is_study: 1, legal_type: 1 })
    assert.equal(made.status, 200, made.text)
    assert.equal(made.body.model.id, max + 1, 'the id sequence goes on after the highest imported id')
  } finally {
    server.child.kill()
    await server.exited
  }
}

/** In front of the source: 429 every third request, one 500, and one token refused (401) mid-import. */
function unrulyProxy(target: () => string) {
  let n = 0
  let refused: string | null = null
  const counts = { requests: 0, tooMany: 0, errors: 0, unauthorized: 0 }
  const times: number[] = []
  /** The most requests that arrived within any one second. */
  const busiestSecond = () => {
    let most = 0
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++
      most = Math.max(most, i - j + 1)
    }
    return most
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      n++
      counts.requests++
      times.push(performance.now())
      const token = req.headers['x-alfacrm-token'] as string | undefined
      // Alfa CRM has no custom-field list: its fields are declared from the records' custom_* keys.
      if (req.url?.endsWith('/custom-field/index')) {
        res.writeHead(404, { 'content-type': 'application/json' })
        return res.end('{"status":404}')
      }
      if (n % 3 === 0) {
        counts.tooMany++
        res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' })
        return res.end('{"status":429}')
      }
      if (n === 20) {
        counts.errors++
        res.writeHead(500, { 'content-type': 'application/json' })
        return res.end('{"status":500}')
      }
      if (token && (n === 41 || token === refused)) {
        if (n === 41) refused = token
        counts.unauthorized++
        res.writeHead(401, { 'content-type': 'application/json' })
        return res.end('{"status":401}')
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (token) headers['x-alfacrm-token'] = token
      const r = await fetch(`${target()}${req.url}`, {
        method: req.method,
        headers,
        body: Buffer.concat(chunks),
      })
      res.writeHead(r.status, { 'content-type': 'application/json' })
      res.end(Buffer.from(await r.arrayBuffer()))
    })
  })
  return {
    counts,
    busiestSecond,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('import alfacrm', () => {
  let source: RunningServer
  let sourceDb: Awaited<ReturnType<typeof freshDatabase>>
  let sourceLists: Map<string, any[]>
  const dropped: Array<() => Promise<void>> = []

  before(async () => {
    sourceDb = await freshDatabase()
    dropped.push(sourceDb.drop)
    await ok(adminEnv(sourceDb), 'seed', '--demo')
    // Every import logs in to the source, and the suite imports it a dozen times within a minute: more
    // than the default sign-in limit (10 a minute) lets through, which is not what these tests are about.
    source = await spawnServer({ ...adminEnv(sourceDb), LOGIN_RATE_LIMIT: '1000' })
    const post = poster(() => source.url, await adminToken(source.url))
    const must = async (path: string, body: unknown = {}) => {
      const r = await post(path, body)
      assert.equal(r.status, 200, `${path}: ${r.text}`)
      return r.body
    }
    // Edge cases beside the demo: an archived customer, a lead with two phones, a customer in two
    // branches, a refund, a monthly subscription, a cancelled lesson.
    const customers = await everything(post, '1/customer/index', { is_study: 1 })
    const [c1, c2, c3] = customers
    await must(`1/customer/delete?id=${c1.id}`)
    await must('1/customer/create', {
      name: 'Лид Два Телефона',
      is_study: 0,
      legal_type: 1,
      phone: ['+7 900 111-11-11', '+7 900 222-22-22'],
    })
    await must(`1/customer/update?id=${c2.id}`, { branch_ids: [1, 2] })
    const account = (await everything(post, '1/pay-account/index'))[0]
    await must('1/pay/create', {
      customer_id: c3.id,
      pay_type_id: 2,
      pay_account_id: account.id,
      document_date: '01.10.2025',
      income: '150.00',
    })
    const t = await must('1/tariff/create', { type: 2, name: 'Месяц', price: '3000.00' })
    await must(`1/customer-tariff/create?customer_id=${c3.id}`, {
      tariff_id: t.model.id,
      b_date: '01.10.2025',
    })
    await must('custom-field/create', { model: 'customer', code: 'school', label: 'Школа', type: 'string' })
    await must(`1/customer/update?id=${c3.id}`, { custom_school: 'Лицей № 2' })
    // Lists the demo leaves empty: a location, articles, a teacher's hours and rate, a discount, a task.
    const loc = await must('1/location/create', { name: 'Главное здание', weight: 1 })
    const cat = await must('1/pay-item-category/create', { name: 'Обучение', weight: 1 })
    await must('1/pay-item/create', {
      name: 'Абонемент',
      category_id: cat.model.id,
      pay_type_ids: [1, 2],
      branch_ids: [1],
    })
    const teacher = (await everything(post, '1/teacher/index'))[0]
    await must(`1/teacher/working-hour/create?teacher_id=${teacher.id}`, {
      weekday: 1,
      time_from: '09:00:00',
      time_to: '18:00:00',
      location_id: loc.model.id,
    })
    await must(`1/teacher/teacher-rate/create?teacher_id=${teacher.id}`, {
      rate: '1500.00',
      type: 1,
      lesson_type_ids: [1],
    })
    await must('1/discount/create', { customer_id: c3.id, discount_type: 1, amount: 10, begin: '01.09.2025' })
    const group = (await everything(post, '1/group/index'))[0]
    await must(`1/communication/create?class=Group&related_id=${group.id}`, {
      type_id: 1,
      comment: 'Перенос занятия',
    })
    const task = await must('1/task/create', {
      title: 'Позвонить',
      text: 'Про расписание',
      customer_ids: [c3.id],
      assigned_ids: [1],
      priority: 3,
    })
    await must(`1/communication/create?class=Task&related_id=${task.model.id}`, {
      type_id: 1,
      comment: 'Дозвонились',
    })
    const planned = await everything(post, '1/lesson/index', { status: 1 })
    await must(`1/lesson/update?id=${planned[0].id}`, { status: 2 })
    sourceLists = await everyList(post)
  })

  after(async () => {
    source?.child.kill()
    await source?.exited
    for (const d of dropped) await d()
    for (const f of fs.readdirSync(os.tmpdir()))
      if (f.startsWith(`parta-import-${process.pid}-`)) fs.rmSync(path.join(os.tmpdir(), f), { force: true })
  })

  test('copies every list and every balance into an empty database', async () => {
    const target = await freshDatabase()
    dropped.push(target.drop)
    const started = performance.now()
    const out = await imported(adminEnv(target), source.url, '--rps', '200')
    const seconds = (performance.now() - started) / 1000
    assert.match(out, /Balances of all \d+ customers equal the source's/)
    assert.doesNotMatch(out, new RegExp(ADMIN.api_key))
    assert.doesNotMatch(out, /could not be represented/)
    assert.match(out, /^user\s+1\s+0\s+1\s+1× a user with this id already exists here/m)
    console.log(`import took ${seconds.toFixed(1)} s: ${out.split('\n')[0]}`)
    await assertTargetEquals(adminEnv(target), sourceLists)
    // A second import into the now full database is refused.
    const again = await importFrom(adminEnv(target), source.url)
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already holds a school/)
  })

  test('an import killed half-way goes on with --resume and ends equal', async () => {
    const target = await freshDatabase()
    dropped.push(target.drop)
    const checkpoint = path.join(os.tmpdir(), `parta-import-${process.pid}.json`)
    const base: NodeJS.ProcessEnv = { ...process.env }
    for (const name of ['DATABASE_URL', 'DATA_DIR']) delete base[name]
    const child = spawn(
      process.execPath,
      [CLI, 'import', 'alfacrm', ...SOURCE_LOGIN(source.url), '--rps', '40', '--checkpoint', checkpoint],
      { env: { ...base, ...adminEnv(target) }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let err = ''
    const killed = new Promise<void>((resolve) => {
      child.stderr.on('data', (d) => {
        err += d
        // Half-way: the customers are in, the lessons and the money not yet.
        if (/^customer-tariff: /m.test(err) && child.exitCode === null) {
          child.kill('SIGKILL')
          resolve()
        }
      })
      child.on('exit', () => resolve())
    })
    await killed
    await new Promise((r) => child.once('exit', r).once('close', r))
    assert.doesNotMatch(err, /^log: /m, 'the import was stopped before its end')
    const out = await imported(
      adminEnv(target),
      source.url,
      '--rps',
      '200',
      '--resume',
      '--checkpoint',
      checkpoint,
    )
    assert.match(out, /Balances of all \d+ customers equal the source's/)
    const customers = customerIds(sourceLists)
    assert.match(out, new RegExp(`^customer\\s+${customers.size}\\s+${customers.size}\\s+0\\s*$`, 'm'))
    fs.rmSync(checkpoint, { force: true })
    await assertTargetEquals(adminEnv(target), sourceLists)
  })

  test('rate limits, server errors and a refused token are ridden out', async () => {
    const target = await freshDatabase()
    dropped.push(target.drop)
    const proxy = unrulyProxy(() => source.url)
    const url = await proxy.listen()
    try {
      const r = await importFrom(adminEnv(target), url, '--rps', '50')
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /Balances of all \d+ customers equal the source's/)
      assert.ok(proxy.busiestSecond() <= 51, `at most --rps requests a second, saw ${proxy.busiestSecond()}`)
      assert.ok(
        proxy.counts.tooMany > 10 && proxy.counts.errors === 1 && proxy.counts.unauthorized >= 1,
        JSON.stringify(proxy.counts),
      )
      assert.doesNotMatch(r.stderr + r.stdout, new RegExp(ADMIN.api_key))
    } finally {
      await proxy.close()
    }
    // The custom field was declared from its key: its label is its code, and it has an id of its own.
    await assertTargetEquals(adminEnv(target), sourceLists, /\/custom-field$/)
  })

  test('a 429 with Retry-After: 1 is waited out before the request is sent again', async () => {
    const target = await freshDatabase()
    dropped.push(target.drop)
    // The fifth request is answered 429 with `Retry-After: 1`; everything else goes to the source.
    let n = 0
    let refusedAt = 0
    let retriedAt = 0
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', async () => {
        n++
        if (n === 5) {
          refusedAt = performance.now()
          res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' })
          return res.end('{"status":429}')
        }
        if (n === 6) retriedAt = performance.now()
        const token = req.headers['x-alfacrm-token']
        const r = await fetch(`${source.url}${req.url}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { 'x-alfacrm-token': String(token) } : {}),
          },
          body: Buffer.concat(chunks),
        })
        res.writeHead(r.status, { 'content-type': 'application/json' })
        res.end(Buffer.from(await r.arrayBuffer()))
      })
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      const r = await importFrom(adminEnv(target), url, '--rps', '200')
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /HTTP 429, retrying in 1\.0 s/)
      // Not a timing figure: the retry must not come before the second the source asked for.
      assert.ok(retriedAt - refusedAt >= 950, `retried after ${(retriedAt - refusedAt).toFixed(0)} ms`)
      assert.match(r.stdout, /Balances of all \d+ customers equal the source's/)
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    }
  })

  test('--branches 1 copies the records of branch 1 only', async () => {
    const target = await freshDatabase()
    dropped.push(target.drop)
    const unknown = await importFrom(adminEnv(target), source.url, '--branches', '1,9')
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /the source has no branch 9/)
    const out = await imported(adminEnv(target), source.url, '--rps', '200', '--branches', '1')
    assert.match(out, /Balances of all \d+ customers equal the source's/)
    const server = await spawnServer(adminEnv(target))
    try {
      const post = poster(() => server.url, await adminToken(server.url))
      for (const list of ['customer', 'group', 'pay', 'teacher'])
        assert.deepEqual(
          await everything(post, `1/${list}/index`, EVERYTHING),
          sourceLists.get(`1/${list}`),
          `1/${list} differs`,
        )
      // Of branch 2 only what is also in branch 1 (a customer of both branches).
      const inOne = new Set(sourceLists.get('1/customer')!.map((c) => c.id))
      const both = sourceLists.get('2/customer')!.filter((c) => inOne.has(c.id))
      assert.ok(both.length > 0 && both.length < sourceLists.get('2/customer')!.length)
      assert.deepEqual(await everything(post, '2/customer/index', EVERYTHING), both)
      assert.deepEqual(await everything(post, '2/pay/index', EVERYTHING), [])
    } finally {
      server.child.kill()
      await server.exited
    }
  })

  test('--dry-run reads everything and writes nothing', async () => {
    const target = await freshDatabase()
    dropped.push(target.drop)
    const result = JSON.parse(
      await imported(adminEnv(target), source.url, '--rps', '200', '--dry-run', '--json'),
    )
    const bySlug = new Map(result.reports.map((r: any) => [r.slug, r]))
    assert.equal((bySlug.get('customer') as any).source, customerIds(sourceLists).size)
    assert.ok(
      (bySlug.get('customer-tariff') as any).source > 0,
      'parents read in the dry run stand in for written ones',
    )
    assert.deepEqual(result.problems, [])
    const server = await spawnServer(adminEnv(target))
    try {
      const post = poster(() => server.url, await adminToken(server.url))
      const r = await post('1/customer/index', { removed: 1, is_study: 2 })
      assert.equal(r.body.total, 0)
    } finally {
      server.child.kill()
      await server.exited
    }
  })

  // Last: it changes the source.
  test('--since DATE tops up a copy with what changed: new records, and pays from that date on', async () => {
    const target = await freshDatabase()
    dropped.push(target.drop)
    await imported(adminEnv(target), source.url, '--rps', '200')
    const post = poster(() => source.url, await adminToken(source.url))
    const must = async (p: string, body: unknown = {}) => {
      const r = await post(p, body)
      assert.equal(r.status, 200, `${p}: ${r.text}`)
      return r.body
    }
    // After the copy, at the source: a new customer and a pay of theirs, dated after --since; an old
    // pay's note changed (dated before it, so the top-up leaves it).
    const since = '2030-01-01'
    const c = await must('1/customer/create', { name: 'Пришёл после копии', is_study: 1, legal_type: 1 })
    const account = (await everything(post, '1/pay-account/index'))[0]
    const fresh = await must('1/pay/create', {
      customer_id: c.model.id,
      pay_type_id: 1,
      pay_account_id: account.id,
      document_date: '15.01.2030',
      income: '2500.00',
    })
    const old = sourceLists.get('1/pay')![0]
    await must(`1/pay/update?id=${old.id}`, { note: 'изменено после копии' })
    const result = JSON.parse(
      await imported(adminEnv(target), source.url, '--rps', '200', '--since', since, '--json'),
    )
    const bySlug = new Map(result.reports.map((r: any) => [r.slug, r]))
    assert.equal((bySlug.get('pay') as any).source, 1, 'only the pay dated from --since on is read')
    assert.deepEqual(result.differences, [])
    const server = await spawnServer(adminEnv(target))
    try {
      const t = poster(() => server.url, await adminToken(server.url))
      const pays = await everything(t, '1/pay/index', EVERYTHING)
      assert.deepEqual(
        pays.find((p) => p.id === fresh.model.id),
        (await everything(post, '1/pay/index', EVERYTHING)).find((p) => p.id === fresh.model.id),
      )
      assert.equal(pays.find((p) => p.id === old.id).note, old.note, 'a pay before --since is left as it was')
      const copied = (await t('1/customer/index', { id: c.model.id })).body.items[0]
      assert.deepEqual([copied.name, copied.balance], ['Пришёл после копии', '2500.00'])
    } finally {
      server.child.kill()
      await server.exited
    }
  })
})
