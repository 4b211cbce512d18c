import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type ApiUser, attempt, idsOf, make, tag } from '../helpers/make.js'
import { rawRequest } from '../helpers/raw-http.js'
import { ADMIN, type Server, suiteServer, withServer } from '../helpers/server.js'
import { JSON_TYPE, strict, wire } from '../helpers/wire.js'

/** §1.11 and §2: login, tokens, roles, branches, rate limits, request ids and strict mode. */

/** Waits until the wall clock is late in a second (≥ .850), where whole-second rounding shows. */
async function lateInASecond(): Promise<void> {
  const ms = Date.now() % 1000
  await sleep(ms >= 850 ? 0 : 880 - ms)
}

describe('login (§2.1)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' })

  test('answers a 64-hex token and expires_in equal to TOKEN_TTL; every login a new token', async () => {
    const r = await s.call('auth/login', { email: ADMIN.email, api_key: ADMIN.api_key })
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(Object.keys(r.body), ['token', 'expires_in'])
    assert.match(r.body.token, /^[0-9a-f]{64}$/)
    assert.strictEqual(r.body.expires_in, 3600)
    const again = await s.call('auth/login', { email: ADMIN.email, api_key: ADMIN.api_key })
    assert.notEqual(again.body.token, r.body.token)
  })

  test('accepts GET and ignores a token header sent with the login', async () => {
    const get = await rawRequest(s.url, 'auth/login', {
      method: 'GET',
      body: JSON.stringify({ email: ADMIN.email, api_key: ADMIN.api_key }),
    })
    assert.equal(get.status, 200)
    assert.match(get.body.token, /^[0-9a-f]{64}$/)
    const bare = await s.call('auth/login', undefined, { method: 'GET' })
    assert.equal(bare.status, 403, 'GET without a body has no credentials')
    assert.deepEqual(bare.body, wire.notAuthorized)
    const withStaleToken = await s.call(
      'auth/login',
      { email: ADMIN.email, api_key: ADMIN.api_key },
      { token: '0'.repeat(64) },
    )
    assert.equal(withStaleToken.status, 200, withStaleToken.text)
  })

  test('every bad login is exactly 403 Not Authorized', async () => {
    const inactive = await make.user(s)
    await s.api(`user/update?id=${inactive.id}`, { is_active: 0 })
    const attempts: Array<[string, unknown]> = [
      ['wrong key', { email: ADMIN.email, api_key: 'wrong-key' }],
      ['wrong key of right length', { email: ADMIN.email, api_key: ADMIN.api_key.replace(/.$/, '0') }],
      ['unknown e-mail', { email: 'nobody@school.example', api_key: ADMIN.api_key }],
      ['missing keys', {}],
      ['missing api_key', { email: ADMIN.email }],
      ['missing email', { api_key: ADMIN.api_key }],
      ['empty strings', { email: '', api_key: '' }],
      ['null values', { email: null, api_key: null }],
      ['non-string values', { email: ['x'], api_key: 12345 }],
      ['inactive user', { email: inactive.email, api_key: inactive.apiKey }],
    ]
    for (const [what, body] of attempts) {
      const r = await s.call('auth/login', body)
      assert.equal(r.status, 403, what)
      assert.equal(r.text, JSON.stringify(wire.notAuthorized), what)
    }
    const empty = await s.call('auth/login', undefined, { raw: '' })
    assert.equal(empty.text, JSON.stringify(wire.notAuthorized), 'empty body')
    const query = encodeURIComponent
    const inQuery = await s.call(`auth/login?email=${query(ADMIN.email)}&api_key=${query(ADMIN.api_key)}`, {})
    assert.equal(inQuery.status, 403, 'credentials are read from the body only')
    assert.deepEqual(inQuery.body, wire.notAuthorized)
  })

  test('matches the e-mail case-insensitively', async () => {
    for (const email of [ADMIN.email.toUpperCase(), 'Admin@School.Example']) {
      const r = await s.call('auth/login', { email, api_key: ADMIN.api_key })
      assert.equal(r.status, 200, email)
    }
    const mixed = await make.user(s, { email: `Mixed.${tag()}@School.Example` })
    const r = await s.call('auth/login', { email: mixed.email.toLowerCase(), api_key: mixed.apiKey })
    assert.equal(r.status, 200, r.text)
    const taken = await s.api('user/create', { name: 'Двойник', email: mixed.email.toUpperCase() })
    assert.equal(taken.status, 422, 'e-mails are unique case-insensitively')
    assert.ok(taken.body.errors.email, taken.text)
  })

  test('a user without API access logs in but every call is 403 Access Denied', async () => {
    const u = await make.user(s, { is_v2api: 0 })
    const token = await s.login(u.email, u.apiKey)
    for (const path of [
      '1/customer/index',
      'customer/index',
      'branch/index',
      'pay-type/index',
      '1/customer/create',
      '999/customer/index',
    ]) {
      const r = await s.call(path, {}, { token })
      assert.equal(r.status, 403, `${path}: ${r.text}`)
      assert.deepEqual(r.body, wire.accessDenied, path)
    }
    const route = await s.call('1/nothing/index', {}, { token })
    assert.equal(route.status, 404, 'the path is checked first')
  })
})

describe('tokens (§2.2, §2.3)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' })

  test('an unknown, malformed or missing token answers exactly 401', async () => {
    const bad = [undefined, crypto.randomBytes(32).toString('hex'), 'abc', 'Bearer x', 'Z'.repeat(64)]
    for (const token of bad) {
      const headers: Record<string, string> = token === undefined ? {} : { 'X-ALFACRM-TOKEN': token }
      const r = await s.call('1/customer/index', {}, { headers })
      assert.equal(r.status, 401, String(token))
      assert.equal(r.text, JSON.stringify(wire.unauthorized))
    }
  })

  test('an expired token answers 401 with the exact body; logging in again works', async () => {
    await withServer({ TOKEN_TTL: '1' }, async (short) => {
      const r = await short.call('auth/login', { email: ADMIN.email, api_key: ADMIN.api_key })
      assert.strictEqual(r.body.expires_in, 1)
      const token = r.body.token as string
      await sleep(1200)
      const expired = await short.call('1/customer/index', {}, { token })
      assert.equal(expired.status, 401)
      assert.equal(expired.text, JSON.stringify(wire.unauthorized))
      const fresh = await short.login()
      const repeated = await short.call('1/customer/index', {}, { token: fresh })
      assert.equal(repeated.status, 200, repeated.text)
    })
  })

  test('a token lives its whole TOKEN_TTL even when issued late in a wall-clock second', async () => {
    await withServer({ TOKEN_TTL: '2' }, async (short) => {
      await lateInASecond()
      const token = await short.login()
      const issued = Date.now()
      await sleep(1500)
      const alive = await short.call('1/customer/index', {}, { token })
      assert.equal(alive.status, 200, `${Date.now() - issued} ms after issue, with a 2 s TTL: ${alive.text}`)
      await sleep(Math.max(0, issued + 2300 - Date.now()))
      const expired = await short.call('1/customer/index', {}, { token })
      assert.equal(expired.status, 401)
    })
  })

  test('changing the api key revokes the user’s tokens; the new key logs in, the old one not', async () => {
    const u = await make.user(s)
    const token = await s.login(u.email, u.apiKey)
    const second = await s.login(u.email, u.apiKey)
    assert.equal((await s.call('1/customer/index', {}, { token })).status, 200)
    const newKey = `key-${crypto.randomBytes(12).toString('hex')}`
    const r = await s.api(`user/update?id=${u.id}`, { api_key: newKey })
    assert.equal(r.status, 200, r.text)
    for (const t of [token, second]) {
      const after = await s.call('1/customer/index', {}, { token: t })
      assert.equal(after.status, 401)
      assert.deepEqual(after.body, wire.unauthorized)
    }
    assert.equal((await s.call('auth/login', { email: u.email, api_key: u.apiKey })).status, 403)
    const fresh = await s.login(u.email, newKey)
    assert.equal((await s.call('1/customer/index', {}, { token: fresh })).status, 200)
  })

  test('regenerate_api_key returns a new 36-character key once and revokes the tokens', async () => {
    const u = await make.user(s)
    const token = await s.login(u.email, u.apiKey)
    const r = await s.api(`user/update?id=${u.id}`, { regenerate_api_key: 1 })
    assert.equal(r.status, 200, r.text)
    const newKey = r.body.model.api_key as string
    assert.equal(newKey.length, 36)
    assert.notEqual(newKey, u.apiKey)
    assert.equal((await s.call('1/customer/index', {}, { token })).status, 401)
    await s.login(u.email, newKey)
    const listed = await s.api('user/index', { id: u.id })
    assert.ok(!('api_key' in listed.body.items[0]), 'index never shows the key')
    const renamed = await s.api(`user/update?id=${u.id}`, { name: 'Другое имя' })
    assert.ok(!('api_key' in renamed.body.model), 'an update that keeps the key does not show it')
  })

  test('deactivating the user revokes its tokens and refuses its logins', async () => {
    const u = await make.user(s)
    const token = await s.login(u.email, u.apiKey)
    await s.api(`user/update?id=${u.id}`, { is_active: 0 })
    const r = await s.call('1/customer/index', {}, { token })
    assert.equal(r.status, 401)
    assert.deepEqual(r.body, wire.unauthorized)
    const login = await s.call('auth/login', { email: u.email, api_key: u.apiKey })
    assert.deepEqual(login.body, wire.notAuthorized)
    await s.api(`user/update?id=${u.id}`, { is_active: 1 })
    assert.equal(
      (await s.call('1/customer/index', {}, { token })).status,
      401,
      'reactivation does not revive tokens',
    )
    await s.login(u.email, u.apiKey)
  })

  test('removing API access revokes the tokens; a new login then gets 403 Access Denied', async () => {
    const u = await make.user(s)
    const token = await s.login(u.email, u.apiKey)
    await s.api(`user/update?id=${u.id}`, { is_v2api: 0 })
    assert.equal((await s.call('1/customer/index', {}, { token })).status, 401)
    const fresh = await s.login(u.email, u.apiKey)
    const r = await s.call('1/customer/index', {}, { token: fresh })
    assert.equal(r.status, 403)
    assert.deepEqual(r.body, wire.accessDenied)
  })

  test('deleting the user revokes its tokens; other changes keep them', async () => {
    const u = await make.user(s)
    const token = await s.login(u.email, u.apiKey)
    await s.api(`user/update?id=${u.id}`, { name: 'Новое имя', branch_ids: [1] })
    assert.equal(
      (await s.call('1/customer/index', {}, { token })).status,
      200,
      'a rename is not a revocation',
    )
    const d = await s.api(`user/delete?id=${u.id}`)
    assert.deepEqual(d.body, wire.deleted)
    assert.equal((await s.call('1/customer/index', {}, { token })).status, 401)
  })

  test('tokens and api keys are stored only hashed', async () => {
    const u = await make.user(s)
    const token = await s.login(u.email, u.apiKey)
    const adminToken = await s.login()
    const newKey = `changed-${crypto.randomBytes(10).toString('hex')}`
    await s.api(`user/update?id=${u.id}`, { api_key: newKey })
    const newToken = await s.login(u.email, newKey)
    const db = s.db.kysely
    const tokens = JSON.stringify(await db.selectFrom('tokens').selectAll().execute())
    const users = JSON.stringify(await db.selectFrom('users').selectAll().execute())
    const log = JSON.stringify(await db.selectFrom('log').selectAll().execute())
    assert.ok(tokens.length > 2, 'tokens are stored server-side')
    for (const secret of [token, adminToken, newToken]) {
      assert.ok(!tokens.includes(secret), 'a plain token in tokens')
      assert.ok(!tokens.includes(secret.toUpperCase()))
    }
    for (const secret of [ADMIN.api_key, u.apiKey, newKey]) {
      assert.ok(!users.includes(secret), 'a plain api key in users')
      assert.ok(!log.includes(secret), 'an api key in the log')
    }
    const userLog = await s.api('1/log/index', { entity: 'User', entity_id: u.id })
    assert.ok(userLog.body.total >= 1)
    assert.ok(!userLog.text.includes('api_key'), 'the api key is never logged, not even as a key')
  })
})

describe('roles (§2.4)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' })

  const expectDenied = async (s: Server, token: string, path: string, body: unknown = {}) => {
    const r = await s.call(path, body, { token })
    assert.equal(r.status, 403, `${path}: ${r.text}`)
    assert.deepEqual(r.body, wire.accessDenied, path)
  }
  const expectOk = async (s: Server, token: string, path: string, body: unknown = {}) => {
    const r = await s.call(path, body, { token })
    assert.equal(r.status, 200, `${path}: ${r.text}`)
    return r
  }

  test('a manager cannot use user/*, write branches or custom fields, but writes dictionaries and customers', async () => {
    const m = await make.user(s, { role: 'manager', branch_ids: [1] })
    const other = await make.user(s)
    await expectDenied(s, m.token, 'user/index')
    await expectDenied(s, m.token, 'user/create', { name: 'X', email: 'x@school.example' })
    await expectDenied(s, m.token, `user/update?id=${other.id}`, { name: 'Y' })
    await expectDenied(s, m.token, `user/delete?id=${other.id}`)
    await expectDenied(s, m.token, '1/user/index')
    await expectDenied(s, m.token, 'branch/create', { name: 'Новый' })
    await expectDenied(s, m.token, 'branch/update?id=1', { name: 'Новый' })
    await expectDenied(s, m.token, 'branch/delete?id=1')
    await expectDenied(s, m.token, 'custom-field/create', {
      model: 'customer',
      code: 'x',
      label: 'X',
      type: 'string',
    })
    const status = await expectOk(s, m.token, '1/lead-status/create', { name: 'Думает' })
    await expectOk(s, m.token, `1/lead-status/update?id=${status.body.model.id}`, { name: 'Думает ещё' })
    await expectOk(s, m.token, `1/lead-status/delete?id=${status.body.model.id}`)
    await expectOk(s, m.token, '1/subject/create', { name: 'Рисование' })
    await expectOk(s, m.token, '1/customer/create', { name: 'От менеджера', is_study: 1, legal_type: 1 })
    await expectOk(s, m.token, '1/location/create', { name: 'Зал' })
    await expectOk(s, m.token, 'pay-type/index')
    await expectOk(s, m.token, 'custom-field/index')
    const branches = await expectOk(s, m.token, 'branch/index')
    assert.deepEqual(idsOf(branches), [1])
    const unchanged = await s.api('user/index', { id: other.id })
    assert.equal(unchanged.body.items[0].name, 'Сотрудник')
  })

  test('readonly reads everything it may see and is refused every write', async () => {
    const r = await make.user(s, { role: 'readonly', branch_ids: [1] })
    const c = await make.customer(s, { branch_ids: [1] })
    const loc = await s.api('1/location/create', { name: 'Только чтение' })
    for (const path of [
      '1/customer/index',
      'customer/index',
      '1/location/index',
      '1/lead-status/index',
      'branch/index',
      'pay-type/index',
      'custom-field/index',
      '1/log/index',
    ]) {
      await expectOk(s, r.token, path)
    }
    await expectDenied(s, r.token, '1/customer/create', { name: 'X', is_study: 1, legal_type: 1 })
    await expectDenied(s, r.token, `1/customer/update?id=${c.id}`, { name: 'Y' })
    await expectDenied(s, r.token, `1/customer/delete?id=${c.id}`)
    await expectDenied(s, r.token, `1/customer/restore?id=${c.id}`)
    await expectDenied(s, r.token, '1/lead-status/create', { name: 'X' })
    await expectDenied(s, r.token, `1/location/update?id=${loc.body.model.id}`, { name: 'Y' })
    await expectDenied(s, r.token, `1/location/create?id=${loc.body.model.id}`, { name: 'Y' })
    await expectDenied(s, r.token, 'user/index')
    const still = await s.api('1/customer/index', { id: c.id })
    assert.equal(still.body.items[0].name, c.name)
  })

  test('a teacher reads but may not create or change customers or dictionaries', async () => {
    const t = await make.user(s, { role: 'teacher', branch_ids: [1] })
    const c = await make.customer(s, { branch_ids: [1] })
    await expectOk(s, t.token, '1/customer/index')
    await expectOk(s, t.token, '1/lesson-type/index')
    await expectDenied(s, t.token, '1/customer/create', { name: 'X', is_study: 1, legal_type: 1 })
    await expectDenied(s, t.token, `1/customer/update?id=${c.id}`, { note: 'x' })
    await expectDenied(s, t.token, '1/lead-source/create', { name: 'X' })
    await expectDenied(s, t.token, '1/task/create', { title: 'X', text: 'Y', assigned_ids: [1] })
    await expectDenied(s, t.token, 'user/index')
  })

  test('an admin manages users, branches and custom fields', async () => {
    const a = await make.user(s, { role: 'admin', branch_ids: [] })
    await expectOk(s, a.token, 'user/index')
    const b = await expectOk(s, a.token, 'branch/create', { name: 'От админа' })
    await expectOk(s, a.token, `${b.body.model.id}/customer/index`, {})
    await expectOk(s, a.token, 'customer/index', {})
  })
})

describe('branch scoping (§2.5, §2.6)', () => {
  let b2: number
  let manager2: ApiUser
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' }, async () => {
    b2 = (await make.branch(s)).id
    manager2 = await make.user(s, { role: 'manager', branch_ids: [b2] })
  })

  test('a path branch that is not allowed or does not exist is 403 Access Denied', async () => {
    for (const path of [
      '1/customer/index',
      '1/lead-status/index',
      '1/customer/create',
      '4242/customer/index',
    ]) {
      const r = await s.call(path, {}, { token: manager2.token })
      assert.equal(r.status, 403, path)
      assert.deepEqual(r.body, wire.accessDenied, path)
    }
    const admin = await s.api('4242/customer/index')
    assert.equal(admin.status, 403, 'even an admin cannot use a branch that does not exist')
    assert.deepEqual(admin.body, wire.accessDenied)
    const global = await s.call('1/branch/index', {}, { token: manager2.token })
    assert.equal(global.status, 200, 'the prefix of a global model is not checked')
    assert.deepEqual(idsOf(global), [b2], 'a manager sees only its branches')
  })

  test('the branch-less path lists only the default branch: the lowest active allowed one', async () => {
    const name = tag()
    const inOne = await make.customer(s, { name, branch_ids: [1] })
    const inTwo = await make.customer(s, { name, branch_ids: [b2] })
    const inBoth = await make.customer(s, { name, branch_ids: [1, b2] })
    const mine = await s.call('customer/index', { name }, { token: manager2.token })
    assert.deepEqual(idsOf(mine), [inTwo.id, inBoth.id])
    const byPath = await s.call(`${b2}/customer/index`, { name }, { token: manager2.token })
    assert.deepEqual(byPath.body, mine.body)
    const admins = await s.api('customer/index', { name })
    assert.deepEqual(idsOf(admins), [inOne.id, inBoth.id], 'a customer in two branches is in both lists')

    const closed = await make.branch(s, { is_active: 0 })
    const open = await make.branch(s)
    const inClosed = await make.customer(s, { name, branch_ids: [closed.id] })
    const inOpen = await make.customer(s, { name, branch_ids: [open.id] })
    const m = await make.user(s, { branch_ids: [open.id, closed.id] })
    const defaults = await s.call('customer/index', { name }, { token: m.token })
    assert.deepEqual(idsOf(defaults), [inOpen.id], 'an inactive branch is never the default')
    const closedByPath = await s.call(`${closed.id}/customer/index`, { name }, { token: m.token })
    assert.equal(closedByPath.status, 200, 'an inactive branch can still be used by path')
    assert.deepEqual(idsOf(closedByPath), [inClosed.id])
  })

  test('a user with no allowed branch is refused the branch-less path but reads global models', async () => {
    const none = await make.user(s, { branch_ids: [] })
    const r = await s.call('customer/index', {}, { token: none.token })
    assert.equal(r.status, 403)
    assert.deepEqual(r.body, wire.accessDenied)
    assert.equal((await s.call('pay-type/index', {}, { token: none.token })).status, 200)
    const closed = await make.branch(s, { is_active: 0 })
    const onlyClosed = await make.user(s, { branch_ids: [closed.id] })
    const noDefault = await s.call('customer/index', {}, { token: onlyClosed.token })
    assert.equal(noDefault.status, 403, 'only inactive branches: no default branch')
  })

  test('a record of another branch is 404 on update, delete and restore, and absent from index', async () => {
    const c = await make.customer(s, { branch_ids: [1] })
    const loc = await s.api('1/location/create', { name: 'Филиал 1' })
    const calls: Array<[string, unknown]> = [
      [`${b2}/customer/update?id=${c.id}`, { name: 'Чужой' }],
      [`customer/update?id=${c.id}`, { name: 'Чужой' }],
      [`${b2}/customer/delete?id=${c.id}`, {}],
      [`${b2}/customer/restore?id=${c.id}`, {}],
      [`${b2}/location/update?id=${loc.body.model.id}`, { name: 'Чужая' }],
      [`${b2}/location/delete?id=${loc.body.model.id}`, {}],
    ]
    for (const [path, body] of calls) {
      const r = await s.call(path, body, { token: manager2.token })
      assert.equal(r.status, 404, `${path}: ${r.text}`)
      assert.deepEqual(r.body, wire.notFound, path)
    }
    const asAdmin = await s.api(`${b2}/customer/update?id=${c.id}`, { name: 'Чужой' })
    assert.equal(asAdmin.status, 404, 'an admin through branch 2 sees the same')
    const listed = await s.call(`${b2}/customer/index`, { id: c.id }, { token: manager2.token })
    assert.deepEqual(listed.body.items, [])
    const createAsUpdate = await s.call(
      `${b2}/customer/create?id=${c.id}`,
      { name: 'Новый', is_study: 1, legal_type: 1 },
      { token: manager2.token },
    )
    assert.equal(createAsUpdate.status, 200, createAsUpdate.text)
    assert.notEqual(createAsUpdate.body.model.id, c.id, 'create?id= of an invisible record creates')
    const untouched = await s.api('1/customer/index', { id: c.id })
    assert.equal(untouched.body.items[0].name, c.name)
    assert.equal((await s.api('1/location/index', { id: loc.body.model.id })).body.total, 1)
  })

  test('writes naming a branch that is not allowed are 403; one that does not exist is 422', async () => {
    const name = tag()
    const denied = [
      ['customer/create', { name, is_study: 1, legal_type: 1, branch_ids: [1] }],
      [`${b2}/customer/create`, { name, is_study: 1, legal_type: 1, branch_ids: [b2, 1] }],
      [`${b2}/location/create`, { name, branch_id: 1 }],
    ] as const
    for (const [path, body] of denied) {
      const r = await s.call(path, body, { token: manager2.token })
      assert.equal(r.status, 403, `${path}: ${r.text}`)
      assert.deepEqual(r.body, wire.accessDenied)
    }
    const missingMulti = await s.call(
      `${b2}/customer/create`,
      { name, is_study: 1, legal_type: 1, branch_ids: [987654] },
      { token: manager2.token },
    )
    assert.equal(missingMulti.status, 422, missingMulti.text)
    assert.deepEqual(missingMulti.body.errors, { branch_ids: ['Значение «Филиалы» неверно.'] })
    const missingSingle = await s.call(
      `${b2}/location/create`,
      { name, branch_id: 987654 },
      { token: manager2.token },
    )
    assert.equal(missingSingle.status, 422, missingSingle.text)
    assert.deepEqual(missingSingle.body.errors, { branch_id: ['Значение «Филиал» неверно.'] })
    const adminMissing = await s.api('1/customer/create', {
      name,
      is_study: 1,
      legal_type: 1,
      branch_ids: [1, 987654],
    })
    assert.equal(adminMissing.status, 422, 'admins are allowed every branch, but it must exist')
    const nothing = await s.api('1/customer/index', { name, is_study: 2 })
    const nothing2 = await s.api(`${b2}/customer/index`, { name, is_study: 2 })
    assert.equal(nothing.body.total + nothing2.body.total, 0, 'no refused write stored anything')
    assert.equal((await s.api(`${b2}/location/index`, { name })).body.total, 0)
  })

  test('absent or empty branch_ids on create is the path branch; an update may move between allowed ones', async () => {
    const both = await make.user(s, { branch_ids: [1, b2] })
    const absent = await s.call(
      `${b2}/customer/create`,
      { name: 'Без филиала', is_study: 1, legal_type: 1 },
      { token: both.token },
    )
    assert.deepEqual(absent.body.model.branch_ids, [b2])
    const empty = await s.call(
      'customer/create',
      { name: 'Пустой', is_study: 1, legal_type: 1, branch_ids: [] },
      { token: both.token },
    )
    assert.deepEqual(empty.body.model.branch_ids, [1])
    const id = absent.body.model.id
    const moved = await s.call(`${b2}/customer/update?id=${id}`, { branch_ids: [1] }, { token: both.token })
    assert.equal(moved.status, 200, moved.text)
    assert.deepEqual(moved.body.model.branch_ids, [1])
    const gone = await s.call(`${b2}/customer/index`, { id }, { token: both.token })
    assert.equal(gone.body.total, 0, 'the record left branch 2')
    const cleared = await s.call(`1/customer/update?id=${id}`, { branch_ids: [] }, { token: both.token })
    assert.equal(cleared.status, 422)
    assert.deepEqual(cleared.body.errors, { branch_ids: ['Необходимо заполнить «Филиалы».'] })
    const toForeign = await s.call(
      `1/customer/update?id=${id}`,
      { branch_ids: [1, b2] },
      { token: manager2.token },
    )
    assert.equal(toForeign.status, 403, 'manager of branch 2 may not use branch 1 by path')
  })
})

describe('rate limits (§2.7)', () => {
  test('login: the attempt over LOGIN_RATE_LIMIT per minute is 429 with Retry-After', async () => {
    await withServer({ LOGIN_RATE_LIMIT: '3' }, async (s) => {
      const email = `nobody.${tag()}@school.example`
      for (let i = 0; i < 3; i++) {
        const r = await s.call('auth/login', {
          email: i === 1 ? email.toUpperCase() : email,
          api_key: 'wrong-key-123456',
        })
        assert.equal(r.status, 403, `attempt ${i + 1}`)
      }
      const fourth = await s.call('auth/login', { email, api_key: 'wrong-key-123456' })
      assert.equal(fourth.status, 429)
      assert.equal(fourth.text, JSON.stringify(wire.rateLimited))
      assert.ok(
        Number(fourth.headers.get('retry-after')) >= 1,
        `Retry-After: ${fourth.headers.get('retry-after')}`,
      )
      assert.match(fourth.headers.get('retry-after') ?? '', /^\d+$/)

      const u = await make.user(s, {}, { login: false })
      for (let i = 0; i < 3; i++)
        assert.equal((await s.call('auth/login', { email: u.email, api_key: u.apiKey })).status, 200)
      const over = await s.call('auth/login', { email: u.email, api_key: u.apiKey })
      assert.equal(over.status, 429, 'successful attempts count too')
      assert.deepEqual(over.body, wire.rateLimited)
      const other = await make.user(s)
      assert.equal(
        (await s.call('auth/login', { email: other.email, api_key: other.apiKey })).status,
        200,
        'limited per e-mail',
      )
    })
  })

  test('per token: the call over RATE_LIMIT_RPS in one second is 429; after a second it succeeds', async () => {
    await withServer({ RATE_LIMIT_RPS: '2' }, async (s) => {
      const token = await s.login()
      const other = await s.login()
      const burst = await Promise.all([0, 1, 2].map(() => s.call('1/customer/index', {}, { token })))
      assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 429])
      const refused = burst.find((r) => r.status === 429)!
      assert.equal(refused.text, JSON.stringify(wire.rateLimited))
      assert.ok(Number(refused.headers.get('retry-after')) >= 1)
      const otherToken = await s.call('1/customer/index', {}, { token: other })
      assert.equal(otherToken.status, 200, 'each token has its own limit')
      await sleep(1100)
      const later = await s.call('1/customer/index', {}, { token })
      assert.equal(later.status, 200, later.text)

      const readonly = await make.user(s, { role: 'readonly' })
      const ro = await s.login(readonly.email, readonly.apiKey)
      await s.call('1/customer/index', {}, { token: ro })
      await s.call('1/customer/index', {}, { token: ro })
      const denied = await s.call('1/customer/create', { name: 'X' }, { token: ro })
      assert.equal(denied.status, 429, 'the rate limit is checked before the role (§1.11)')
    })
  })
})

describe('order of checks (§1.11)', () => {
  let token: string
  const s = suiteServer({ MAX_BODY_BYTES: '2048', LOGIN_RATE_LIMIT: '1000' }, async () => {
    token = await s.login()
  })

  test('an unknown route is 404 without a token, whatever the method', async () => {
    for (const method of ['POST', 'GET', 'PUT', 'DELETE']) {
      const r = await s.call('1/student/index', {}, { method })
      assert.equal(r.status, 404, method)
      assert.deepEqual(r.body, wire.notFoundRoute)
    }
  })

  test('another method on a valid route is 405 with Allow: GET, POST, even without a token', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      for (const t of [undefined, token]) {
        const r = await s.call('1/customer/index', {}, { method, token: t })
        assert.equal(r.status, 405, `${method}: ${r.text}`)
        assert.equal(r.text, JSON.stringify(wire.methodNotAllowed))
        assert.equal(r.headers.get('allow'), 'GET, POST')
      }
    }
    const head = await s.call('customer/index', undefined, { method: 'HEAD' })
    assert.equal(head.status, 405)
    assert.equal(head.headers.get('allow'), 'GET, POST')
    const login = await s.call(
      'auth/login',
      { email: ADMIN.email, api_key: ADMIN.api_key },
      { method: 'PUT' },
    )
    assert.equal(login.status, 405)
  })

  test('a valid route without a token is 401 even with an invalid body', async () => {
    for (const raw of ['{not json', '5', '[1,2]', 'x'.repeat(100)]) {
      const r = await s.call('1/customer/index', undefined, { raw })
      assert.equal(r.status, 401, raw)
      assert.deepEqual(r.body, wire.unauthorized)
    }
  })

  test('with a token, a body that is not a JSON object is 400', async () => {
    for (const raw of ['{not json', '{"a":1', '5', 'true', '"text"', '[1,2]', '{"a":1}x']) {
      const r = await s.call('1/customer/index', undefined, { raw, token })
      assert.equal(r.status, 400, `${raw}: ${r.text}`)
      assert.equal(r.text, JSON.stringify(wire.badJson))
    }
  })

  test('a body over MAX_BODY_BYTES is 401 without a token and 413 with one', async () => {
    const raw = JSON.stringify({ note: 'я'.repeat(1500) })
    assert.ok(Buffer.byteLength(raw) > 2048)
    const anonymous = await s.call('1/customer/index', undefined, { raw })
    assert.equal(anonymous.status, 401)
    assert.deepEqual(anonymous.body, wire.unauthorized)
    const badToken = await s.call('1/customer/index', undefined, { raw, token: '0'.repeat(64) })
    assert.equal(badToken.status, 401)
    const large = await s.call('1/customer/index', undefined, { raw, token })
    assert.equal(large.status, 413)
    assert.equal(large.text, JSON.stringify(wire.tooLarge))
    const fits = await s.call('1/customer/index', undefined, {
      raw: JSON.stringify({ note: 'a'.repeat(1900) }),
      token,
    })
    assert.equal(fits.status, 200, fits.text)
  })

  test('access checks come before the body: 403 for a foreign branch, role or missing API access', async () => {
    const b2 = await make.branch(s)
    const m = await make.user(s, { branch_ids: [b2.id] })
    const ro = await make.user(s, { role: 'readonly', branch_ids: [1] })
    const noApi = await make.user(s, { is_v2api: 0 })
    const big = JSON.stringify({ note: 'x'.repeat(3000) })
    const cases: Array<[string, string, string]> = [
      [m.token, '1/customer/index', '{bad'],
      [m.token, '1/customer/index', big],
      [ro.token, '1/customer/create', '{bad'],
      [ro.token, '1/customer/create', big],
      [noApi.token, '1/customer/index', '{bad'],
      [noApi.token, '1/customer/index', big],
    ]
    for (const [t, path, raw] of cases) {
      const r = await s.call(path, undefined, { raw, token: t })
      assert.equal(r.status, 403, `${path} ${raw.slice(0, 10)}: ${r.text}`)
      assert.deepEqual(r.body, wire.accessDenied)
    }
  })

  test('missing and ill-typed parameters are 400 before the record is looked up', async () => {
    const missing = await s.call('1/customer/update', { name: 'X' }, { token })
    assert.equal(missing.status, 400)
    assert.deepEqual(missing.body, wire.missing('id'))
    const badId = await s.call('1/customer/index', { id: 'abc' }, { token })
    assert.equal(badId.status, 400)
    assert.deepEqual(badId.body, wire.badParam('id'))
    const badPage = await s.call('1/customer/index', { page: 'x' }, { token })
    assert.equal(badPage.status, 400)
    assert.equal(badPage.body.message, 'Неверное значение параметра «page».')
    const unknown = await s.call('1/customer/update?id=999999', { name: 'X' }, { token })
    assert.equal(unknown.status, 404)
    assert.deepEqual(unknown.body, wire.notFound)
  })
})

describe('request ids and strict mode (§1.9, §1.10)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' })

  test('a well-formed X-Request-Id is echoed; a missing or malformed one is replaced by a new id', async () => {
    for (const id of ['abc-123_X.y', 'a', 'Z'.repeat(128)]) {
      const r = await s.api('1/customer/index', {}, { headers: { 'X-Request-Id': id } })
      assert.equal(r.headers.get('x-request-id'), id)
    }
    const seen = new Set<string>()
    for (const id of [undefined, '', 'has space', 'a/b', 'Z'.repeat(129), 'semi;colon']) {
      const headers: Record<string, string> = id === undefined ? {} : { 'X-Request-Id': id }
      const r = await s.api('1/customer/index', {}, { headers })
      const got = r.headers.get('x-request-id') ?? ''
      assert.match(got, /^[A-Za-z0-9._-]{1,128}$/, String(id))
      assert.notEqual(got, id)
      seen.add(got)
    }
    assert.equal(seen.size, 6, 'every generated id is new')
    const replies = [
      await s.call('1/nothing/index', {}, { headers: { 'X-Request-Id': 'r-404' } }),
      await s.call('1/customer/index', {}, { headers: { 'X-Request-Id': 'r-401' } }),
      await s.call('1/customer/index', {}, { method: 'PUT', headers: { 'X-Request-Id': 'r-405' } }),
      await s.call(
        'auth/login',
        { email: ADMIN.email, api_key: 'x' },
        { headers: { 'X-Request-Id': 'r-403' } },
      ),
    ]
    assert.deepEqual(
      replies.map((r) => r.headers.get('x-request-id')),
      ['r-404', 'r-401', 'r-405', 'r-403'],
    )
  })

  test('X-Strict: 1 rejects an unknown filter key with 400 and an unknown body key with 422', async () => {
    const filter = await s.api('1/customer/index', { x: 1 }, strict)
    assert.equal(filter.status, 400)
    assert.equal(filter.text, JSON.stringify(wire.unknownParam('x')))
    const queryFilter = await s.api('1/customer/index?colour=red', {}, strict)
    assert.equal(queryFilter.status, 400)
    assert.equal(queryFilter.body.message, 'Неизвестный параметр «colour».')

    const before = await s.api('1/customer/index', { is_study: 2, removed: 1 })
    const body = await attempt.customer(s, { name: 'Строгий', x: 1 }, strict)
    assert.equal(body.status, 422)
    assert.deepEqual(body.body, wire.invalid({ x: ['Неизвестное поле.'] }))
    const afterStrict = await s.api('1/customer/index', { is_study: 2, removed: 1 })
    assert.equal(afterStrict.body.total, before.body.total, 'nothing stored')
    const c = await make.customer(s, { branch_ids: [1] })
    const update = await s.api(`1/customer/update?id=${c.id}`, { lesson_type_id: 1 }, strict)
    assert.equal(update.status, 422)
    assert.deepEqual(update.body.errors, { lesson_type_id: ['Неизвестное поле.'] })

    const lax = await s.api('1/customer/index', { x: 1 })
    assert.equal(lax.status, 200, 'without strict mode an unknown filter is ignored')
    const laxBody = await attempt.customer(s, { name: 'Нестрогий', x: 1 })
    assert.equal(laxBody.status, 200, laxBody.text)
    assert.ok(!('x' in laxBody.body.model))
  })

  test('strict mode accepts every known key: fields, read-only fields, filters, paging, scoping and id', async () => {
    const c = await make.customer(s, { branch_ids: [1] })
    const known = await s.api(
      '1/customer/index?per-page=5&page=0',
      {
        id: c.id,
        is_study: 2,
        removed: 1,
        name: c.name,
        phone: '',
        page: 0,
        count: 5,
        pageSize: 5,
        page_size: 5,
        per_page: 5,
      },
      strict,
    )
    assert.equal(known.status, 200, known.text)
    assert.deepEqual(idsOf(known), [c.id])
    const readOnly = await s.api(
      `1/customer/update?id=${c.id}`,
      { id: c.id, balance: '1.00', e_date: '2030-12-31', note: 'ok' },
      strict,
    )
    assert.equal(readOnly.status, 200, readOnly.text)
    assert.equal(readOnly.body.model.balance, '0.00')
    const comment = await s.api(
      `1/communication/create?class=Customer&related_id=${c.id}`,
      { comment: 'Строго', class: 'Customer', related_id: c.id },
      strict,
    )
    assert.equal(comment.status, 200, comment.text)
  })

  test('STRICT_INPUT=1 turns strict mode on for every request', async () => {
    await withServer({ STRICT_INPUT: '1' }, async (strictServer) => {
      const filter = await strictServer.api('1/customer/index', { x: 1 })
      assert.equal(filter.status, 400)
      assert.equal(filter.body.message, 'Неизвестный параметр «x».')
      const body = await strictServer.api('1/location/create', { name: 'Зал', y: 2 })
      assert.equal(body.status, 422)
      assert.deepEqual(body.body.errors, { y: ['Неизвестное поле.'] })
      const fine = await strictServer.api('1/location/create', { name: 'Зал' })
      assert.equal(fine.status, 200, fine.text)
    })
  })
})
