import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { make, tag } from '../helpers/make.js'
import { ADMIN, suiteServer, withServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'

/**
 * §7.30 User [ext]: api keys shown once and never logged, unique e-mails, key regeneration and token
 * revocation, the last-admin and self-delete guards, and admin-only access (§2.4, §5.11).
 */

const USER_KEYS = ['id', 'name', 'email', 'role', 'is_v2api', 'branch_ids', 'is_active', 'teacher_id']
const LAST_ADMIN = 'Нельзя удалить или ограничить последнего администратора.'
const UUID_LIKE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

describe('user (§7.30)', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' })

  /** The admin that runs a guard test, so the bootstrap admin stays untouched for the others. */
  const anotherAdmin = () => make.user(s, { role: 'admin', branch_ids: [] })

  test('create shows a generated 36-character api_key once, last; index never shows it', async () => {
    const email = `u${tag()}@school.example`
    const r = await s.api('user/create', { name: 'Ольга', email, branch_ids: 1 })
    assert.equal(r.status, 200, r.text)
    const m = r.body.model
    assert.deepEqual(Object.keys(m), [...USER_KEYS, 'api_key'])
    assert.match(m.api_key, UUID_LIKE)
    assert.equal(m.role, 'manager')
    assert.equal(m.is_v2api, 1)
    assert.equal(m.is_active, 1)
    assert.deepEqual(m.branch_ids, [1])
    const idx = await s.api('user/index', { id: m.id })
    assert.deepEqual(Object.keys(idx.body.items[0]), USER_KEYS)
    assert.ok(!idx.text.includes(m.api_key))
    const all = await s.api('user/index')
    assert.ok(all.body.items.every((u: Record<string, unknown>) => !('api_key' in u)))
    assert.ok(await s.login(email, m.api_key))
  })

  test('an update that does not touch the key does not show it', async () => {
    const u = await make.user(s)
    const r = await s.api(`user/update?id=${u.id}`, { name: 'Новое имя' })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(Object.keys(r.body.model), USER_KEYS)
    assert.equal(r.body.model.name, 'Новое имя')
  })

  test('a chosen api_key of 16 or more characters is kept and logs in', async () => {
    const email = `u${tag()}@school.example`
    const key = 'my-own-key-12345'
    const r = await s.api('user/create', { name: 'Пётр', email, api_key: key })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.model.api_key, key)
    assert.ok(await s.login(email, key))
  })

  test('an api_key under 16 characters is a 422 on api_key, on create and update, and nothing changes', async () => {
    const email = `u${tag()}@school.example`
    const r = await s.api('user/create', { name: 'Пётр', email, api_key: 'short-key-15chr' })
    assert.equal(r.status, 422, r.text)
    assert.deepEqual(Object.keys(r.body.errors), ['api_key'])
    assert.equal((await s.api('user/index', { email })).body.total, 0)
    const u = await make.user(s)
    const up = await s.api(`user/update?id=${u.id}`, { api_key: '123456789012345' })
    assert.equal(up.status, 422, up.text)
    assert.deepEqual(Object.keys(up.body.errors), ['api_key'])
    assert.ok(await s.login(u.email, u.apiKey), 'the old key still works')
    const still = await s.call('1/customer/index', {}, { token: u.token })
    assert.equal(still.status, 200, 'a refused update revokes nothing')
  })

  test('branch_ids must name existing branches', async () => {
    const r = await s.api('user/create', {
      name: 'Пётр',
      email: `u${tag()}@school.example`,
      branch_ids: [1, 999],
    })
    assert.deepEqual(r.body, wire.invalid({ branch_ids: ['Значение «Филиалы» неверно.'] }))
  })

  test('the e-mail is unique case-insensitively, on create and on update', async () => {
    const taken = ADMIN.email.toUpperCase()
    const r = await s.api('user/create', { name: 'Двойник', email: taken })
    assert.equal(r.status, 422, r.text)
    assert.deepEqual(r.body, wire.invalid({ email: [`Значение «${taken}» для «E-mail» уже занято.`] }))
    const u = await make.user(s)
    const other = await make.user(s)
    const mixed = other.email.replace(/^u/, 'U')
    const up = await s.api(`user/update?id=${u.id}`, { email: mixed })
    assert.deepEqual(up.body, wire.invalid({ email: [`Значение «${mixed}» для «E-mail» уже занято.`] }))
    const own = await s.api(`user/update?id=${u.id}`, { email: u.email.toUpperCase() })
    assert.equal(own.status, 200, 'a user may change the case of its own e-mail')
    assert.ok(await s.login(u.email, u.apiKey))
  })

  test('regenerate_api_key returns a new 36-character key; the old key stops logging in, the new one works', async () => {
    const u = await make.user(s)
    const r = await s.api(`user/update?id=${u.id}`, { regenerate_api_key: 1 })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(Object.keys(r.body.model), [...USER_KEYS, 'api_key'])
    const key = r.body.model.api_key
    assert.equal(key.length, 36)
    assert.match(key, UUID_LIKE)
    assert.notEqual(key, u.apiKey)
    const old = await s.call('auth/login', { email: u.email, api_key: u.apiKey })
    assert.equal(old.status, 403)
    assert.deepEqual(old.body, wire.notAuthorized)
    assert.ok(await s.login(u.email, key))
    const stale = await s.call('1/customer/index', {}, { token: u.token })
    assert.equal(stale.status, 401)
    assert.deepEqual(stale.body, wire.unauthorized)
  })

  for (const [what, change] of [
    ['a new api_key', { api_key: 'a-brand-new-key-0001' }],
    ['is_active 0', { is_active: 0 }],
    ['is_v2api 0', { is_v2api: 0 }],
  ] as const) {
    test(`setting ${what} revokes the user’s tokens (401 afterwards)`, async () => {
      const u = await make.user(s)
      const second = await s.login(u.email, u.apiKey)
      assert.equal((await s.call('1/customer/index', {}, { token: u.token })).status, 200)
      const r = await s.api(`user/update?id=${u.id}`, change)
      assert.equal(r.status, 200, r.text)
      if ('api_key' in change) assert.equal(r.body.model.api_key, change.api_key, 'a set key is shown once')
      else assert.ok(!('api_key' in r.body.model))
      for (const token of [u.token, second]) {
        const after = await s.call('1/customer/index', {}, { token })
        assert.equal(after.status, 401)
        assert.deepEqual(after.body, wire.unauthorized)
      }
    })
  }

  test('a change of name, role or branches keeps the user’s tokens', async () => {
    const b = await make.branch(s)
    const u = await make.user(s)
    const r = await s.api(`user/update?id=${u.id}`, {
      name: 'Другое',
      role: 'readonly',
      branch_ids: [1, b.id],
    })
    assert.equal(r.status, 200, r.text)
    assert.equal((await s.call(`${b.id}/customer/index`, {}, { token: u.token })).status, 200)
  })

  test('an admin cannot delete itself, even when another admin exists', async () => {
    const a = await anotherAdmin()
    await anotherAdmin()
    const r = await s.call(`user/delete?id=${a.id}`, undefined, { token: a.token })
    assert.equal(r.status, 422, r.text)
    assert.deepEqual(r.body, wire.invalid({ id: ['Нельзя удалить свою учётную запись.'] }))
    assert.equal((await s.api('user/index', { id: a.id })).body.total, 1)
    assert.equal((await s.call('user/index', {}, { token: a.token })).status, 200, 'its token still works')
  })

  test('the last active admin cannot be demoted, deactivated or lose API access', async () => {
    await withServer({ LOGIN_RATE_LIMIT: '1000' }, async (fresh) => {
      const me = (await fresh.api('user/index', { role: 'admin' })).body.items[0]
      for (const change of [{ role: 'manager' }, { role: 'readonly' }, { is_active: 0 }, { is_v2api: 0 }]) {
        const r = await fresh.api(`user/update?id=${me.id}`, change)
        assert.equal(r.status, 422, `${JSON.stringify(change)}: ${r.text}`)
        assert.deepEqual(r.body, wire.invalid({ id: [LAST_ADMIN] }))
      }
      const self = await fresh.api(`user/delete?id=${me.id}`)
      assert.deepEqual(
        self.body,
        wire.invalid({ id: ['Нельзя удалить свою учётную запись.'] }),
        'for oneself',
      )
      const stored = (await fresh.api('user/index', { id: me.id })).body.items[0]
      assert.deepEqual([stored.role, stored.is_active, stored.is_v2api], ['admin', 1, 1])
      assert.equal((await fresh.api('user/index')).status, 200, 'the admin token still works')
    })
  })

  test('an inactive admin does not count: the last active one stays protected', async () => {
    await withServer({ LOGIN_RATE_LIMIT: '1000' }, async (fresh) => {
      const other = await make.user(fresh, { role: 'admin' })
      const off = await fresh.api(`user/update?id=${other.id}`, { is_active: 0 })
      assert.equal(off.status, 200, 'allowed while the bootstrap admin is active')
      const me = (await fresh.api('user/index', { email: ADMIN.email })).body.items[0]
      const r = await fresh.api(`user/update?id=${me.id}`, { role: 'manager' })
      assert.deepEqual(r.body, wire.invalid({ id: [LAST_ADMIN] }))
    })
  })

  test('another active admin may be demoted, deactivated and deleted', async () => {
    const a = await anotherAdmin()
    const demoted = await s.api(`user/update?id=${a.id}`, { role: 'manager' })
    assert.equal(demoted.status, 200, demoted.text)
    assert.equal(demoted.body.model.role, 'manager')
    const b = await anotherAdmin()
    const off = await s.api(`user/update?id=${b.id}`, { is_active: 0 })
    assert.equal(off.status, 200, off.text)
    const c = await anotherAdmin()
    const del = await s.api(`user/delete?id=${c.id}`)
    assert.deepEqual(del.body, wire.deleted)
    const gone = await s.call('user/index', {}, { token: c.token })
    assert.equal(gone.status, 401, 'a deleted user’s tokens are revoked')
  })

  test('an admin may limit itself while another active admin exists', async () => {
    const a = await anotherAdmin()
    const r = await s.call(`user/update?id=${a.id}`, { role: 'manager' }, { token: a.token })
    assert.equal(r.status, 200, r.text)
    assert.equal((await s.call('user/index', {}, { token: a.token })).status, 403)
  })

  test('the log rows of a user never contain its api key', async () => {
    const email = `u${tag()}@school.example`
    const chosen = 'first-chosen-key-0001'
    const c = await s.api('user/create', { name: 'Анна', email, api_key: chosen })
    const id = c.body.model.id
    await s.api(`user/update?id=${id}`, { api_key: 'second-chosen-key-0002' })
    const regen = await s.api(`user/update?id=${id}`, { regenerate_api_key: 1, name: 'Анна Петровна' })
    await s.api(`user/update?id=${id}`, { is_active: 0 })
    await s.api(`user/delete?id=${id}`)
    const log = await s.api('1/log/index', { entity: 'User', entity_id: id })
    const events = log.body.items.map((i: { event: number }) => i.event)
    assert.equal(events[0], 3)
    assert.equal(events.at(-1), 1)
    const create = log.body.items.at(-1)
    assert.deepEqual(Object.keys(create.fields_new), [
      'name',
      'email',
      'role',
      'is_v2api',
      'branch_ids',
      'is_active',
      'teacher_id',
    ])
    for (const row of log.body.items) {
      for (const side of [row.fields_old, row.fields_new])
        assert.ok(!Array.isArray(side) ? !('api_key' in side) : true)
    }
    for (const secret of [chosen, 'second-chosen-key-0002', regen.body.model.api_key]) {
      assert.ok(!log.text.includes(secret), 'no key in the log')
    }
    assert.ok(!log.text.includes('api_key'))
  })

  for (const role of ['manager', 'teacher', 'readonly']) {
    test(`a ${role} gets 403 Access Denied on every user action, with or without a branch prefix`, async () => {
      const u = await make.user(s, { role })
      const target = await make.user(s)
      const calls: Array<[string, unknown]> = [
        ['user/index', {}],
        ['1/user/index', {}],
        ['user', {}],
        ['user/create', { name: 'Кто-то', email: `u${tag()}@school.example` }],
        [`user/update?id=${target.id}`, { name: 'Взлом' }],
        [`user/update?id=${u.id}`, { role: 'admin' }],
        [`user/delete?id=${target.id}`, {}],
        [`1/user/delete?id=${u.id}`, {}],
      ]
      for (const [path, body] of calls) {
        const r = await s.call(path, body, { token: u.token })
        assert.equal(r.status, 403, `${path}: ${r.text}`)
        assert.deepEqual(r.body, wire.accessDenied)
      }
      const stored = (await s.api('user/index', { id: [u.id, target.id] })).body.items
      assert.deepEqual(
        stored.map((x: { role: string; name: string }) => [x.role, x.name]),
        [
          [role, 'Сотрудник'],
          ['manager', 'Сотрудник'],
        ],
      )
    })
  }

  test('log rows about users and custom fields are hidden from a manager’s log/index', async () => {
    const m = await make.user(s)
    const created = await make.user(s)
    const field = await make.customField(s)
    const location = await make.location(s)
    for (const [entity, id] of [
      ['User', created.id],
      ['CustomField', field.id],
    ] as const) {
      const admin = await s.api('1/log/index', { entity, entity_id: id })
      assert.equal(admin.body.total, 1, `the admin sees ${entity}`)
      const mine = await s.call('1/log/index', { entity, entity_id: id }, { token: m.token })
      assert.equal(mine.status, 200)
      assert.equal(mine.body.total, 0, `a manager does not see ${entity}`)
    }
    const everything = await s.call('1/log/index', { 'per-page': 50 }, { token: m.token })
    const entities = new Set(everything.body.items.map((i: { entity: string }) => i.entity))
    assert.ok(!entities.has('User') && !entities.has('CustomField'), [...entities].join(','))
    const own = await s.call(
      '1/log/index',
      { entity: 'Location', entity_id: location.id },
      { token: m.token },
    )
    assert.equal(own.body.total, 1, 'other rows stay visible')
    const b = await make.branch(s)
    const branchRows = await s.call('1/log/index', { entity: 'Branch', entity_id: b.id }, { token: m.token })
    assert.equal(branchRows.body.total, 1, 'rows about branches are shown in every branch')
    const branchLess = await s.call('log/index', { entity: 'user' }, { token: m.token })
    assert.equal(branchLess.body.total, 0)
  })
})
