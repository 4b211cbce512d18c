import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
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

function cli(env: Record<string, string>, ...args: string[]): Promise<Run> {
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
  communication: [['customer', (id: number) => `class=Customer&related_id=${id}`]],
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

function assertSameLists(source: Map<string, any[]>, target: Map<string, any[]>) {
  assert.deepEqual([...target.keys()].sort(), [...source.keys()].sort())
  for (const [key, rows] of source) assert.deepEqual(target.get(key), rows, `${key} differs`)
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
    const planned = await everything(post, '1/lesson/index', { status: 1 })
    await must(`1/lesson/update?id=${planned[0].id}`, { status: 2 })
    sourceLists = await everyList(post)
  })

  after(async () => {
    source?.child.kill()
    await source?.exited
    for (const d of dropped) await d()
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
    console.log(`import took ${seconds.toFixed(1)} s: ${out.split('\n')[0]}`)
    const server = await spawnServer(adminEnv(target))
    try {
      const lists = await everyList(poster(() => server.url, await adminToken(server.url)))
      assertSameLists(sourceLists, lists)
    } finally {
      server.child.kill()
      await server.exited
    }
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
})

export type { AddressInfo, ChildProcess }
export { http, spawn }
