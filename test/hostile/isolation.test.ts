import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { before, describe, test } from 'node:test'
import { connect } from '../../src/db/connect.js'
import type { Model } from '../../src/engine/model.js'
import { models } from '../../src/models/index.js'
import { everything, type Post } from '../helpers/ledger.js'
import { type ApiUser, make } from '../helpers/make.js'
import { spawnServer } from '../helpers/process.js'
import { createPath, SCOPED, sampleBody } from '../helpers/samples.js'
import { ADMIN, adminEnv, freshDatabase, suiteServer, withServer } from '../helpers/server.js'
import { wire } from '../helpers/wire.js'

/**
 * Isolation and authentication (§2): through the registry, a user without access to a branch is refused
 * (403) and a record of another branch is invisible — empty index, 404 exactly like an unknown id, and
 * never leaked through filters, scoping parameters, `details`, calendars or the log. Each role may do
 * exactly what §2.4 allows. Bad tokens are 401, login brute force 429, and secrets are stored hashed and
 * never logged.
 */
const entries = [...models]
const actionsOf = (m: Model) => [...m.actions, ...Object.keys(m.extra ?? {})]
const isRead = (m: Model, action: string) => action === 'index' || m.extra?.[action]?.read === true
/** Index filters that show every record whatever the defaults (§4.7). */
const EVERYTHING = { removed: 1, is_study: 2, status: [1, 2, 3] }
/** Branch-1 records: they belong to branches (not tenant-wide dictionaries, not global). */
const branchScoped = entries.filter(
  ([, m]) => m.scope !== 'global' && m.scope !== 'tenant' && m.actions.includes('create'),
)

/** §2.4 as the spec states it, independently of src/auth/roles.ts. */
function roleMay(role: string, m: Model, action: string): boolean {
  if (role === 'admin') return true
  if (m.slug === 'user') return false
  const global = m.scope === 'global'
  if (isRead(m, action)) return !global || ['branch', 'pay-type', 'custom-field'].includes(m.slug)
  if (role === 'manager') return !global
  return role === 'teacher' && m.slug === 'lesson' && action === 'update'
}

/** A call that reaches the action with the least input: ids that do not exist, empty bodies. */
const probe = (key: string, action: string, branch = 1) =>
  ['update', 'delete', 'restore'].includes(action)
    ? `${branch}/${key}/${action}?id=999999`
    : `${branch}/${key}/${action}`

describe('branch isolation (§2.5, §2.6)', () => {
  let b2: ApiUser
  /** Records made in branch 1 by the admin, as their create replies show them. */
  const made = new Map<string, Record<string, any>>()
  const s = suiteServer({ MAX_PAGE_SIZE: '1000' }, async (server) => {
    await make.secondBranch(server)
  })
  const as =
    (token: string): Post =>
    (p, body) =>
      s.call(p, body, { token })
  before(async () => {
    b2 = await make.user(s, { role: 'manager', branch_ids: [2] })
    for (const [key, model] of branchScoped) {
      const query = SCOPED[key] ? await SCOPED[key](s, models) : ''
      const r = await s.api(createPath(key, query), await sampleBody(s, models, model, true))
      assert.equal(r.status, 200, `${key}: ${r.text}`)
      made.set(key, r.body.model)
    }
  })

  test('a manager of branch 2 gets 403 for path branch 1 on every action of every branch model', async () => {
    let calls = 0
    for (const [key, model] of entries) {
      if (model.scope === 'global') continue
      for (const action of actionsOf(model)) {
        const r = await s.call(probe(key, action), {}, { token: b2.token })
        assert.deepEqual([r.status, r.body], [403, wire.accessDenied], `1/${key}/${action}`)
        calls++
      }
    }
    assert.ok(calls > 80, `${calls} calls`)
  })

  test('a record of branch 1 is invisible through branch 2: empty index, 404 exactly like an unknown id', async () => {
    const b2post = as(b2.token)
    for (const [key, model] of branchScoped) {
      const rec = made.get(key)!
      const scoping = (model.scoping?.params ?? []).map((p) => `${p.name}=${rec[p.field]}`).join('&')
      const index = await b2post(`2/${key}/index${scoping ? `?${scoping}` : ''}`, {
        id: rec.id,
        ...EVERYTHING,
      })
      assert.deepEqual(
        [index.status, index.body.total, index.body.items],
        [200, 0, []],
        `${key}: ${index.text}`,
      )
      for (const action of ['update', 'delete', 'restore'].filter((a) => model.actions.includes(a))) {
        const hidden = await b2post(`2/${key}/${action}?id=${rec.id}`, { name: 'x' })
        const unknown = await b2post(`2/${key}/${action}?id=999999`, { name: 'x' })
        assert.deepEqual([hidden.status, hidden.body], [404, wire.notFound], `2/${key}/${action}`)
        assert.equal(hidden.text, unknown.text, `${key}/${action}: the same reply as an unknown id`)
      }
      // §1.4: create?id= of a record not visible in the path branch creates, never updates it.
      const still = await s.api(`1/${key}/index${scoping ? `?${scoping}` : ''}`, {
        id: rec.id,
        ...EVERYTHING,
      })
      assert.equal(still.body.total, 1, `${key} ${rec.id} is untouched`)
      assert.deepEqual(still.body.items[0], withoutSecrets(rec), `${key} ${rec.id} keeps its values`)
    }
  })

  test('create?id= of a branch-1 record through branch 2 creates a new record and leaves that one alone', async () => {
    const c = made.get('customer')!
    const r = await s.call(
      `2/customer/create?id=${c.id}`,
      { name: 'Новый', is_study: 1, legal_type: 1 },
      {
        token: b2.token,
      },
    )
    assert.equal(r.status, 200)
    assert.notEqual(r.body.model.id, c.id)
    assert.deepEqual(r.body.model.branch_ids, [2])
    assert.equal((await s.api('1/customer/index', { id: c.id, ...EVERYTHING })).body.items[0].name, c.name)
  })

  test('no branch-1 record leaks through id lists, filters, scoping parameters or calendars', async () => {
    const b2post = as(b2.token)
    const [c, g, t] = ['customer', 'group', 'teacher'].map((k) => made.get(k)!) as [any, any, any]
    const own = await make.customer(s, {}, { branch: 2 })
    const ids = await b2post('2/customer/index', { id: [c.id, own.id], is_study: 2, removed: 1 })
    assert.deepEqual(
      ids.body.items.map((x: any) => x.id),
      [own.id],
    )
    const empty = async (p: string, body: Record<string, unknown> = {}) => {
      const r = await b2post(p, body)
      assert.equal(r.status, 200, `${p}: ${r.text}`)
      assert.deepEqual([r.body.total, r.body.items], [0, []], `${p} ${JSON.stringify(body)}`)
    }
    await empty('2/lesson/index', { customer_id: c.id, status: [1, 2, 3] })
    await empty('2/lesson/index', { group_id: g.id, status: [1, 2, 3] })
    await empty('2/lesson/index', { teacher_id: t.id, status: [1, 2, 3] })
    await empty('2/pay/index', { customer_id: c.id })
    await empty('2/regular-lesson/index', { customer_id: c.id })
    await empty(`2/customer-tariff/index?customer_id=${c.id}`)
    await empty(`2/cgi/index?customer_id=${c.id}`, { date_from: '01.01.2000' })
    await empty(`2/cgi/index?group_id=${g.id}`, { date_from: '01.01.2000' })
    await empty(`2/cgi/customer?customer_id=${c.id}`, { date_from: '01.01.2000' })
    await empty(`2/communication/index?class=Customer&related_id=${c.id}`)
    await empty(`2/teacher/working-hour/index?teacher_id=${t.id}`)
    await empty(`2/teacher/teacher-rate/index?teacher_id=${t.id}`)
    await empty('2/customer/index', { name: c.name, is_study: 2, removed: 1 })
    for (const [view, id] of [
      ['customer', c.id],
      ['group', g.id],
      ['teacher', t.id],
    ] as const) {
      const r = await b2post(`2/calendar/${view}?id=${id}&date1=01.01.2020&date2=31.12.2020`)
      assert.deepEqual([r.status, r.body], [200, []], `calendar/${view} of a branch-1 record`)
    }
  })

  test('a branch-1 id in a write through branch 2 gets the same 422 as an id that does not exist', async () => {
    const b2post = as(b2.token)
    let checked = 0
    const same = async (p: string, field: string, hidden: unknown, unknown: unknown) => {
      const a = await b2post(p, { [field]: hidden })
      const b = await b2post(p, { [field]: unknown })
      assert.equal(a.status, 422, `${p} ${field}: ${a.text}`)
      assert.deepEqual(a.body.errors[field], b.body.errors[field], `${p} ${field}: ${a.text}`)
      assert.ok(a.body.errors[field], `${p} ${field} is refused`)
      checked++
    }
    for (const [key, model] of entries) {
      if (!model.actions.includes('create') || model.scope === 'global' || model.scoping) continue
      for (const [field, kind] of Object.entries(model.fields)) {
        const target = kind.ref ? made.get(kind.ref) : undefined
        if (!target || kind.readOnly || field === 'branch_id' || field === 'branch_ids') continue
        const list = kind.type.endsWith('[]')
        await same(`2/${key}/create`, field, list ? [target.id] : target.id, list ? [999999] : 999999)
      }
    }
    const [c, t] = [made.get('customer')!, made.get('teacher')!]
    const group = await b2post('2/group/create', { name: 'Группа 2' })
    for (const [p, field, id] of [
      [`2/cgi/create?group_id=${group.body.model.id}`, 'customer_id', c.id],
      ['2/teacher/working-hour/create', 'teacher_id', t.id],
      ['2/customer-tariff/create', 'customer_id', c.id],
    ] as const) {
      const a = await b2post(`${p}${p.includes('?') ? '&' : '?'}${field}=${id}`, {})
      const b = await b2post(`${p}${p.includes('?') ? '&' : '?'}${field}=999999`, {})
      assert.equal(a.status, b.status, `${p}: ${a.text}`)
      assert.deepEqual(a.body.errors?.[field], b.body.errors?.[field], `${p}: ${a.text} / ${b.text}`)
      checked++
    }
    assert.ok(checked > 20, `${checked} references checked`)
  })

  test('a branch-2 lesson cannot take branch-1 customers or groups; its details show only its participants', async () => {
    const b2post = as(b2.token)
    const [c, g] = ['customer', 'group'].map((k) => made.get(k)!) as [any, any]
    const own = await make.customer(s, {}, { branch: 2 })
    const subject = await make.dictionary(s, 'subject')
    const base = {
      date: '2025-09-15',
      time_from: '10:00',
      duration: 60,
      subject_id: subject.id,
      lesson_type_id: 1,
    }
    const lesson = await b2post('2/lesson/create', { ...base, customer_ids: [own.id] })
    assert.equal(lesson.status, 200, lesson.text)
    const id = lesson.body.model.id
    for (const [field, value] of [
      ['customer_ids', c.id],
      ['group_ids', g.id],
    ] as const) {
      const hidden = await b2post(`2/lesson/update?id=${id}`, { [field]: [value] })
      const unknown = await b2post(`2/lesson/update?id=${id}`, { [field]: [999999] })
      assert.equal(hidden.status, 422, hidden.text)
      assert.deepEqual(hidden.body.errors, unknown.body.errors, `${field}: the same as an unknown id`)
    }
    const marks = await b2post(`2/lesson/update?id=${id}`, { details: [{ customer_id: c.id, is_attend: 1 }] })
    assert.deepEqual(marks.body.errors, { details: [`Клиент ${c.id} не участвует в уроке.`] })
    const after = await b2post('2/lesson/index', { id, status: [1, 2, 3] })
    assert.deepEqual(
      after.body.items[0].details.map((d: any) => d.customer_id),
      [own.id],
    )
  })

  test('the log through branch 2 shows no row about a branch-1 record, nor about users or custom fields', async () => {
    const c = await make.customer(s)
    assert.equal((await s.api(`1/customer/update?id=${c.id}`, { note: 'изменено' })).status, 200)
    assert.equal((await s.api(`1/customer/delete?id=${c.id}`)).status, 200)
    const hidden = new Set([...made].map(([key, rec]) => `${models.get(key)!.logName}:${rec.id}`))
    hidden.add(`Customer:${c.id}`)
    const lesson = made.get('lesson')!
    for (const d of lesson.details ?? []) hidden.add(`LessonDetails:${d.id}`)
    const rows = await everything(as(b2.token), '2/log/index')
    assert.ok(rows.length > 0)
    for (const r of rows) {
      assert.ok(!hidden.has(`${r.entity}:${r.entity_id}`), `log row ${r.id} about ${r.entity} ${r.entity_id}`)
      assert.ok(!['User', 'CustomField'].includes(r.entity), `log row ${r.id} about a ${r.entity}`)
    }
    // Every row about a record of a branch model is about a record visible through branch 2.
    for (const [key, model] of branchScoped) {
      if (model.scoping) continue
      const ids = [...new Set(rows.filter((r) => r.entity === model.logName).map((r) => r.entity_id))]
      if (ids.length === 0) continue
      const seen = await everything(as(b2.token), `2/${key}/index`, { id: ids, ...EVERYTHING })
      assert.deepEqual(seen.map((x) => x.id).sort(), ids.sort(), `${key}: log rows through branch 2`)
    }
    const direct = await s.call('2/log/index', { entity: 'Customer', entity_id: c.id }, { token: b2.token })
    assert.deepEqual([direct.body.total, direct.body.items], [0, []])
    const through1 = await s.api('1/log/index', { entity: 'Customer', entity_id: c.id })
    assert.deepEqual(
      through1.body.items.map((r: any) => r.event),
      [3, 2, 1],
    )
  })

  test('writes of a branch-2 manager that name branch 1 are 403 (§2.6)', async () => {
    for (const [key, model] of entries) {
      if (!model.actions.includes('create')) continue
      const field = model.fields.branch_id ? 'branch_id' : model.fields.branch_ids ? 'branch_ids' : null
      if (!field || model.scope === 'global' || model.scoping) continue
      const r = await s.call(
        `2/${key}/create`,
        { [field]: field === 'branch_id' ? 1 : [2, 1] },
        { token: b2.token },
      )
      assert.deepEqual([r.status, r.body], [403, wire.accessDenied], `${key}.${field}`)
    }
    const own = await make.customer(s, {}, { branch: 2 })
    const moved = await s.call(`2/customer/update?id=${own.id}`, { branch_ids: [1] }, { token: b2.token })
    assert.deepEqual([moved.status, moved.body], [403, wire.accessDenied])
  })
})

/** A create reply shows a new user's api key once (§7.30); the index never does. */
function withoutSecrets(rec: Record<string, any>) {
  const { api_key: _key, ...rest } = rec
  return rest
}

describe('roles (§2.4): a matrix over the registry', () => {
  const users: Record<string, string> = {}
  const s = suiteServer({ MAX_PAGE_SIZE: '1000' }, async (server) => {
    users.admin = await server.login()
    for (const role of ['manager', 'teacher', 'readonly'])
      users[role] = (await make.user(server, { role, branch_ids: [1] })).token
  })

  test('each role is allowed or refused every action of every model exactly as §2.4 says', async (t) => {
    let size = 0
    const allowedStatuses = [200, 400, 404, 422]
    for (const role of ['admin', 'manager', 'teacher', 'readonly']) {
      for (const [key, model] of entries) {
        for (const action of actionsOf(model)) {
          for (const p of [probe(key, action), probe(key, action).slice(2)]) {
            const r = await s.call(p, {}, { token: users[role] })
            const tag = `${role} ${p} → ${r.status} ${r.text.slice(0, 120)}`
            if (roleMay(role, model, action)) assert.ok(allowedStatuses.includes(r.status), tag)
            else assert.deepEqual([r.status, r.body], [403, wire.accessDenied], tag)
            size++
          }
        }
      }
    }
    t.diagnostic(`role matrix: ${size} calls (4 roles × ${size / 8} actions × 2 path forms)`)
  })

  test('a revoked token (new api key, deactivated, deleted user) and a malformed one get exactly 401', async () => {
    const admin = users.admin!
    const check = async (token: string, what: string) => {
      const r = await s.call('1/customer/index', {}, { token })
      assert.deepEqual([r.status, r.body], [401, wire.unauthorized], what)
    }
    for (const change of [{ api_key: 'a-brand-new-key-0123456789' }, { is_active: 0 }, null]) {
      const u = await make.user(s, { role: 'manager' })
      const r = change
        ? await s.call(`user/update?id=${u.id}`, change, { token: admin })
        : await s.call(`user/delete?id=${u.id}`, {}, { token: admin })
      assert.equal(r.status, 200, r.text)
      await check(u.token, `revoked by ${JSON.stringify(change)}`)
    }
    const valid = users.manager!
    for (const bad of [
      'x',
      'null',
      'g'.repeat(64),
      `${valid}0`,
      valid.slice(1),
      ` ${valid}x`,
      `Bearer ${valid}`,
    ])
      await check(bad, `malformed ${bad}`)
  })

  test('a manager really creates, updates and deletes a record of every branch model', async () => {
    for (const [key, model] of entries) {
      if (model.scope === 'global' || !model.actions.includes('create')) continue
      const query = SCOPED[key] ? await SCOPED[key](s, models) : ''
      const body = await sampleBody(s, models, model, true)
      const created = await s.call(createPath(key, query), body, { token: users.manager })
      assert.equal(created.status, 200, `${key}: ${created.text}`)
      const id = created.body.model.id
      const updated = await s.call(`1/${key}/update?id=${id}`, {}, { token: users.manager })
      assert.equal(updated.status, 200, `${key}: ${updated.text}`)
      const deleted = await s.call(`1/${key}/delete?id=${id}`, {}, { token: users.manager })
      assert.equal(deleted.status, 200, `${key}: ${deleted.text}`)
    }
  })

  test('readonly and teacher really read every model they may; a teacher changes only what a teacher may', async () => {
    for (const role of ['readonly', 'teacher']) {
      for (const [key, model] of entries) {
        if (!roleMay(role, model, 'index') || !model.actions.includes('index') || model.scoping) continue
        const r = await s.call(`1/${key}/index`, {}, { token: users[role] })
        assert.equal(r.status, 200, `${role} ${key}: ${r.text}`)
      }
    }
    const c = await make.customer(s)
    const room = await make.room(s)
    const subject = await make.dictionary(s, 'subject')
    const lesson = await s.api('1/lesson/create', {
      date: '2025-09-15',
      time_from: '10:00',
      duration: 60,
      subject_id: subject.id,
      lesson_type_id: 1,
      customer_ids: [c.id],
    })
    const id = lesson.body.model.id
    const teacher = (body: unknown) => s.call(`1/lesson/update?id=${id}`, body, { token: users.teacher })
    const allowed = await teacher({
      status: 3,
      topic: 'Тема',
      homework: 'Упр. 1',
      note: 'ok',
      details: [{ customer_id: c.id, is_attend: 1 }],
      subject_id: subject.id,
    })
    assert.equal(allowed.status, 200, allowed.text)
    for (const body of [
      { room_id: room.id },
      { date: '2025-09-16' },
      { customer_ids: [] },
      { duration: 30 },
    ]) {
      const r = await teacher(body)
      assert.deepEqual([r.status, r.body], [403, wire.accessDenied], JSON.stringify(body))
    }
    const stored = (await s.api('1/lesson/index', { id, status: 3 })).body.items[0]
    assert.deepEqual(
      [stored.status, stored.topic, stored.room_id, stored.date, stored.details[0].is_attend],
      [3, 'Тема', null, '2025-09-15', 1],
    )
  })
})

describe('tokens and logins (§2.1–§2.3, §2.7)', () => {
  test('an expired token (TOKEN_TTL=1) gets exactly 401, the admin’s and a manager’s alike', async () => {
    await withServer({ TOKEN_TTL: '1' }, async (s) => {
      const email = 'ttl@school.example'
      const created = await s.call(
        'user/create',
        { name: 'М', email, branch_ids: [1] },
        { token: await s.login() },
      )
      assert.equal(created.status, 200, created.text)
      const manager = await s.login(email, created.body.model.api_key)
      const token = await s.login()
      const ok = await s.call('1/customer/index', {}, { token })
      assert.equal(ok.status, 200)
      await new Promise((r) => setTimeout(r, 1100))
      for (const t of [token, manager]) {
        const r = await s.call('1/customer/index', {}, { token: t })
        assert.deepEqual([r.status, r.body], [401, wire.unauthorized], 'expired')
      }
    })
  })

  test('login brute force: the attempt over LOGIN_RATE_LIMIT is 429, even with the right key; others log in', async () => {
    await withServer({ LOGIN_RATE_LIMIT: '5' }, async (s) => {
      const u = await make.user(s, {}, { login: false })
      for (let i = 0; i < 5; i++) {
        const r = await s.call('auth/login', { email: u.email, api_key: `wrong-key-${i}-0123456789` })
        assert.deepEqual([r.status, r.body], [403, wire.notAuthorized])
      }
      for (const key of ['wrong-key-x-0123456789', u.apiKey]) {
        const r = await s.call('auth/login', { email: u.email.toUpperCase(), api_key: key })
        assert.deepEqual([r.status, r.body], [429, wire.rateLimited])
        assert.ok(Number(r.headers.get('retry-after')) >= 1)
      }
      const other = await s.call('auth/login', ADMIN)
      assert.equal(other.status, 200, 'another e-mail is not limited')
    })
  })

  test('tokens and api keys are stored only hashed and never appear in the log of a debug server', async () => {
    const db = await freshDatabase()
    const env = adminEnv(db)
    const secrets = [ADMIN.api_key]
    try {
      const server = await spawnServer({ ...env, LOG_LEVEL: 'debug' })
      const call = async (p: string, body: unknown, token?: string) => {
        const r = await fetch(`${server.url}/v2api/${p}`, {
          method: 'POST',
          headers: token ? { 'x-alfacrm-token': token } : {},
          body: JSON.stringify(body),
        })
        return { status: r.status, body: (await r.json()) as any }
      }
      const admin = (await call('auth/login', ADMIN)).body.token as string
      secrets.push(admin)
      const user = (await call('user/create', { name: 'Секрет', email: 'secret@school.example' }, admin)).body
        .model
      secrets.push(user.api_key)
      const chosen = 'chosen-key-for-the-log-test-42'
      await call(`user/update?id=${user.id}`, { api_key: chosen }, admin)
      secrets.push(chosen)
      const regenerated = (await call(`user/update?id=${user.id}`, { regenerate_api_key: 1 }, admin)).body
        .model
      secrets.push(regenerated.api_key)
      const userToken = (
        await call('auth/login', { email: 'secret@school.example', api_key: regenerated.api_key })
      ).body.token
      secrets.push(userToken)
      await call('auth/login', { email: 'secret@school.example', api_key: 'a-wrong-key-that-is-long' })
      secrets.push('a-wrong-key-that-is-long')
      await call('1/customer/index', {}, userToken)
      await call('1/customer/create', { name: 'Клиент' }, userToken)
      await call('1/nothing/index', {}, userToken)
      // Clients that put secrets where they do not belong (the query string) must not get them logged.
      await call(`1/customer/index?token=${userToken}&x-alfacrm-token=${admin}`, {}, userToken)
      await call(`auth/login?email=${ADMIN.email}&api_key=${ADMIN.api_key}`, {})
      server.child.kill('SIGTERM')
      assert.equal(await server.exited, 0)
      const log = server.output()
      assert.match(log, /"level":20|incoming request/, 'the debug log was captured')
      for (const secret of secrets) assert.ok(!log.includes(secret), `the log shows ${secret}`)

      const conn = connect({ databaseUrl: env.DATABASE_URL ?? null, dataDir: env.DATA_DIR ?? '' })
      try {
        const tables =
          conn.dialect === 'postgres'
            ? (
                await conn.kysely
                  .selectFrom('information_schema.tables')
                  .select('table_name as name')
                  .where('table_schema', '=', 'public')
                  .execute()
              ).map((r) => r.name as string)
            : (
                await conn.kysely
                  .selectFrom('sqlite_master')
                  .select('name')
                  .where('type', '=', 'table')
                  .execute()
              ).map((r) => r.name as string)
        assert.ok(tables.includes('tokens') && tables.includes('users'))
        for (const table of tables) {
          const dump = JSON.stringify(await conn.kysely.selectFrom(table).selectAll().execute())
          for (const secret of secrets) assert.ok(!dump.includes(secret), `table ${table} stores ${secret}`)
        }
      } finally {
        await conn.close()
      }
      if (env.DATA_DIR) {
        for (const file of fs.readdirSync(env.DATA_DIR)) {
          const bytes = fs.readFileSync(path.join(env.DATA_DIR, file)).toString('latin1')
          for (const secret of secrets) assert.ok(!bytes.includes(secret), `${file} holds ${secret}`)
        }
      }
    } finally {
      await db.drop()
    }
  })
})
