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

/** Lists that are not the school's: the target's own admin, and the log of the target's own writes. */
const SKIP = new Set(['user', 'calendar'])

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
    source = await spawnServer(adminEnv(sourceDb))
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
    const out = await ok(
      adminEnv(target),
      'import',
      'alfacrm',
      '--url',
      source.url,
      '--email',
      ADMIN.email,
      '--api-key',
      ADMIN.api_key,
      '--rps',
      '200',
    )
    const seconds = (performance.now() - started) / 1000
    assert.match(out, /Balances of all \d+ customers equal the source's/)
    assert.doesNotMatch(out, new RegExp(ADMIN.api_key))
    assert.doesNotMatch(out, /could not be represented/)
    assert.match(out, /^user\s+1\s+0\s+1\s+1× a user with this id already exists here/m)
    console.log(`import took ${seconds.toFixed(1)} s: ${out.split('\n')[0]}`)
    await assertTargetEquals(adminEnv(target), sourceLists)
    // A second import into the now full database is refused.
    const again = await cli(
      adminEnv(target),
      'import',
      'alfacrm',
      '--url',
      source.url,
      '--email',
      ADMIN.email,
      '--api-key',
      ADMIN.api_key,
    )
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already holds a school/)
  })

  test('an import killed half-way goes on with --resume and ends equal', async () => {
    const target = await freshDatabase()
    dropped.push(target.drop)
    const checkpoint = path.join(os.tmpdir(), `parta-import-${process.pid}.json`)
    const args = [
      'import',
      'alfacrm',
      '--url',
      source.url,
      '--email',
      ADMIN.email,
      '--api-key',
      ADMIN.api_key,
    ]
    const base: NodeJS.ProcessEnv = { ...process.env }
    for (const name of ['DATABASE_URL', 'DATA_DIR']) delete base[name]
    const child = spawn(process.execPath, [CLI, ...args, '--rps', '40', '--checkpoint', checkpoint], {
      env: { ...base, ...adminEnv(target) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
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
    const out = await ok(adminEnv(target), ...args, '--rps', '200', '--resume', '--checkpoint', checkpoint)
    assert.match(out, /Balances of all \d+ customers equal the source's/)
    const customers = new Set(
      [...sourceLists]
        .filter(([k]) => /^\d+\/customer$/.test(k))
        .flatMap(([, rows]) => rows.map((r) => r.id)),
    )
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
      const r = await cli(
        adminEnv(target),
        'import',
        'alfacrm',
        '--url',
        url,
        '--email',
        ADMIN.email,
        '--api-key',
        ADMIN.api_key,
        '--rps',
        '50',
      )
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

  test('--dry-run reads everything and writes nothing', async () => {
    const target = await freshDatabase()
    dropped.push(target.drop)
    const out = await ok(
      adminEnv(target),
      'import',
      'alfacrm',
      '--url',
      source.url,
      '--email',
      ADMIN.email,
      '--api-key',
      ADMIN.api_key,
      '--rps',
      '200',
      '--dry-run',
      '--json',
    )
    const result = JSON.parse(out)
    const bySlug = new Map(result.reports.map((r: any) => [r.slug, r]))
    const customers = new Set(
      [...sourceLists]
        .filter(([k]) => /^\d+\/customer$/.test(k))
        .flatMap(([, rows]) => rows.map((r) => r.id)),
    )
    assert.equal((bySlug.get('customer') as any).source, customers.size)
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
})

describe('import csv', () => {
  test('creates a record a row through the API rules, and lists the refused rows', async () => {
    const target = await freshDatabase()
    const file = path.join(os.tmpdir(), `parta-import-${process.pid}.csv`)
    fs.writeFileSync(
      file,
      '\ufeffname;is_study;legal_type;phone;note\r\n' +
        'Иванова Анна;1;1;+7 900 000-00-01;"Пишет ""заранее""; вечером"\r\n' +
        'Петров Пётр;0;1;["+7 900 000-00-02","+7 900 000-00-03"];\r\n' +
        ';1;1;;без имени\r\n',
    )
    try {
      const r = await cli(adminEnv(target), 'import', 'csv', '--model', 'customer', file)
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stdout, /Created 2 customer records from 3 rows/)
      assert.match(r.stdout, /line 4 refused: name: /)
      const server = await spawnServer(adminEnv(target))
      try {
        const post = poster(() => server.url, await adminToken(server.url))
        const list = (await everything(post, '1/customer/index', { is_study: 2 })).map((c) => [
          c.name,
          c.is_study,
          c.phone,
          c.note,
        ])
        assert.deepEqual(list, [
          ['Иванова Анна', 1, ['+7 900 000-00-01'], 'Пишет "заранее"; вечером'],
          ['Петров Пётр', 0, ['+7 900 000-00-02', '+7 900 000-00-03'], ''],
        ])
      } finally {
        server.child.kill()
        await server.exited
      }
    } finally {
      fs.rmSync(file, { force: true })
      await target.drop()
    }
  })
})
