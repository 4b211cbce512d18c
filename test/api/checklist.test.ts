import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { attempt, idsOf, make, tag } from '../helpers/make.js'
import { type RawReply, rawRequest } from '../helpers/raw-http.js'
import { ADMIN, suiteServer, withServer } from '../helpers/server.js'
import { BOOL_FORMS, JSON_TYPE, wire } from '../helpers/wire.js'

/**
 * §8: the compatibility checklist, one test per item that the models built so far can show. Items
 * that need group, lesson, teacher, pay, tariff, cgi or calendar wait for those models.
 */

describe('§8 compatibility checklist', () => {
  let adminToken: string
  // Many logins happen here; the login limit itself is tested in auth.test.ts.
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000' }, async () => {
    adminToken = await s.login()
  })

  test('§8.1 customer/index answers with the envelope with and without a branch; branch-less means the default branch', async () => {
    const name = tag()
    const inOne = await make.customer(s, { name: `${name} один` })
    const b2 = await make.branch(s)
    const inTwo = await make.customer(s, { name: `${name} два` }, { branch: b2.id })
    const withBranch = await s.api('1/customer/index', { name })
    const branchLess = await s.api('customer/index', { name })
    const noAction = await s.api('1/customer', { name })
    for (const r of [withBranch, branchLess, noAction]) {
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(Object.keys(r.body), ['total', 'count', 'page', 'items'])
    }
    assert.deepEqual(idsOf(withBranch), [inOne.id])
    assert.deepEqual(idsOf(branchLess), [inOne.id], 'an admin’s default branch is the lowest active id')
    assert.deepEqual(noAction.body, withBranch.body, 'no action segment is index')
    const manager = await make.user(s, { branch_ids: [b2.id] })
    const managers = await s.call('customer/index', { name }, { token: manager.token })
    assert.equal(managers.status, 200, managers.text)
    assert.deepEqual(idsOf(managers), [inTwo.id], 'a manager’s default branch is its own')
  })

  test('§8.3 a global model answers the same with and without a branch prefix', async () => {
    const plain = await s.api('branch/index')
    const prefixed = await s.api('1/branch/index')
    const unknownPrefix = await s.api('987654/branch/index')
    assert.equal(plain.status, 200)
    assert.deepEqual(prefixed.body, plain.body)
    assert.deepEqual(unknownPrefix.body, plain.body, 'the prefix of a global model is not even checked')
  })

  test('§8.4 every action answers GET as it answers POST', async () => {
    const post = await s.api('1/lesson-type/index')
    const get = await s.api('1/lesson-type/index', undefined, { method: 'GET' })
    assert.equal(get.status, 200, get.text)
    assert.deepEqual(get.body, post.body)
    assert.equal(get.body.total, 3)

    const token = adminToken
    const name = `GET ${tag()}`
    const created = await rawRequest(s.url, '1/location/create', {
      method: 'GET',
      headers: { 'X-ALFACRM-TOKEN': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    })
    assert.equal(created.status, 200, created.text)
    assert.equal(created.body.model.name, name, 'a GET body is read like a POST body')
    const id = created.body.model.id
    const byQuery = await s.api(`1/location/index?id=${id}`, undefined, { method: 'GET' })
    assert.deepEqual(idsOf(byQuery), [id])
    const updated = await s.api(`1/location/update?id=${id}&name=ignored`, undefined, { method: 'GET' })
    assert.equal(updated.status, 200, updated.text)
    assert.equal(updated.body.model.name, name)
    const deleted = await s.api(`1/location/delete?id=${id}`, undefined, { method: 'GET' })
    assert.deepEqual(deleted.body, wire.deleted)
  })

  test('§8.5 parses a JSON body with no, misspelled or text/plain content type', async () => {
    const name = tag()
    const lead = await make.customer(s, { name, is_study: 0 })
    const token = adminToken
    const body = JSON.stringify({ name, is_study: 0 })
    const variants: Record<string, string>[] = [
      {},
      { 'Content-Typ': 'application/json' },
      { 'Content-Type': 'text/plain' },
      { 'Content-Type': 'text/plain; charset=UTF-8' },
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      { 'Content-Type': 'application/json' },
    ]
    for (const headers of variants) {
      const r = await rawRequest(s.url, '1/customer/index', {
        headers: { 'X-ALFACRM-TOKEN': token, ...headers },
        body,
      })
      assert.equal(r.status, 200, `${JSON.stringify(headers)}: ${r.text}`)
      assert.deepEqual(idsOf(r), [lead.id], JSON.stringify(headers))
    }
    const bom = await rawRequest(s.url, '1/customer/index', {
      headers: { 'X-ALFACRM-TOKEN': token },
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]),
    })
    assert.equal(bom.status, 200, bom.text)
    assert.deepEqual(idsOf(bom), [lead.id], 'a byte-order mark is dropped')
    const form = await rawRequest(s.url, '1/customer/index', {
      headers: { 'X-ALFACRM-TOKEN': token, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `name=${name}&is_study=0&id[]=${lead.id}`,
    })
    assert.equal(form.status, 200, form.text)
    assert.deepEqual(idsOf(form), [lead.id], 'a form body with PHP brackets')
  })

  test('§8.6 an empty, blank, null, "" or [] body is {} on index, delete and create', async () => {
    const all = await s.api('1/location/index', {})
    for (const raw of ['', '   \n', 'null', '""', '[]']) {
      const index = await s.api('1/location/index', undefined, { raw })
      assert.equal(index.status, 200, `${JSON.stringify(raw)}: ${index.text}`)
      assert.deepEqual(index.body, all.body, JSON.stringify(raw))

      const loc = await make.location(s)
      const del = await s.api(`1/location/delete?id=${loc.id}`, undefined, { raw })
      assert.deepEqual(del.body, wire.deleted, JSON.stringify(raw))

      const create = await s.api('1/customer/create', undefined, { raw })
      assert.equal(create.status, 422, `${JSON.stringify(raw)}: ${create.text}`)
      assert.deepEqual(create.body.errors.name, ['Необходимо заполнить «Имя».'])
    }
  })

  test('§8.7 the token header is matched in any case and extra headers change nothing', async () => {
    const token = adminToken
    const replies: RawReply[] = []
    for (const header of ['X-ALFACRM-TOKEN', 'x-alfacrm-token', 'X-Alfacrm-Token']) {
      replies.push(
        await rawRequest(s.url, '1/pay-type/index', {
          headers: { [header]: token, 'X-APP-KEY': 'c0ffee', 'X-Custom': '1', Accept: 'text/html' },
          body: '{}',
        }),
      )
    }
    for (const r of replies) {
      assert.equal(r.status, 200, r.text)
      assert.equal(r.headers['content-type'], JSON_TYPE, 'Accept never changes the format')
      assert.deepEqual(r.body, replies[0]?.body)
    }
    assert.equal(replies[0]?.body.total, 4)
  })

  test('§8.8 login answers 200 with a token key', async () => {
    const r = await s.call('auth/login', { email: ADMIN.email, api_key: ADMIN.api_key })
    assert.equal(r.status, 200)
    assert.equal(typeof r.body.token, 'string')
    assert.match(r.body.token, /^[0-9a-f]{64}$/)
  })

  test('§8.9 a bad login answers exactly 403 Not Authorized', async () => {
    const r = await s.call('auth/login', { email: ADMIN.email, api_key: 'wrong-key' })
    assert.equal(r.status, 403)
    assert.equal(r.text, JSON.stringify(wire.notAuthorized))
  })

  test('§8.10 an expired, unknown or missing token is 401; logging in again and repeating succeeds', async () => {
    await withServer({ TOKEN_TTL: '1' }, async (short) => {
      const token = await short.login()
      await sleep(2100)
      const attempts = [
        await short.call('1/customer/index', {}, { token }),
        await short.call('1/customer/index', {}, { token: crypto.randomBytes(32).toString('hex') }),
        await short.call('1/customer/index', {}),
      ]
      for (const r of attempts) {
        assert.equal(r.status, 401)
        assert.deepEqual(r.body, wire.unauthorized)
      }
      const again = await short.login()
      const repeated = await short.call('1/customer/index', {}, { token: again })
      assert.equal(repeated.status, 200, repeated.text)
    })
  })

  test('§8.11 after a second login the first token still works', async () => {
    const first = await s.login()
    const second = await s.login()
    assert.notEqual(first, second)
    for (const token of [first, second]) {
      const r = await s.call('1/customer/index', {}, { token })
      assert.equal(r.status, 200, r.text)
    }
  })

  test('§8.12 the same token works in every allowed branch', async () => {
    const b2 = await make.branch(s)
    const b3 = await make.branch(s)
    const manager = await make.user(s, { branch_ids: [1, b2.id, b3.id] })
    for (const b of [1, b2.id, b3.id]) {
      const r = await s.call(`${b}/customer/index`, {}, { token: manager.token })
      assert.equal(r.status, 200, `branch ${b}: ${r.text}`)
    }
    for (const b of [1, b2.id, b3.id]) {
      assert.equal((await s.call(`${b}/location/index`, {}, { token: adminToken })).status, 200)
    }
  })

  test('§8.13 create and update answer 200 with success, empty errors and model.id', async () => {
    const created = await s.api('1/lead-source/create', { name: 'Рекомендация' })
    assert.equal(created.status, 200)
    assert.deepEqual(Object.keys(created.body), ['success', 'errors', 'model'])
    assert.equal(created.body.success, true)
    assert.deepEqual(created.body.errors, [])
    assert.ok(Number.isInteger(created.body.model.id))
    const updated = await s.api(`1/lead-source/update?id=${created.body.model.id}`, { name: 'Сарафан' })
    assert.equal(updated.status, 200)
    assert.deepEqual(Object.keys(updated.body), ['success', 'errors', 'model'])
    assert.equal(updated.body.success, true)
    assert.deepEqual(updated.body.errors, [])
    assert.equal(updated.body.model.id, created.body.model.id)
    assert.equal(updated.body.model.name, 'Сарафан')
  })

  test('§8.14 no successful reply carries a non-empty errors', async () => {
    const c = await make.customer(s)
    const replies = [
      await s.api('1/customer/update', { id: c.id, note: 'x' }),
      await s.api(`1/customer/update?id=${c.id}`, {}),
      await s.api(`1/customer/delete?id=${c.id}`),
      await s.api(`1/customer/delete?id=${c.id}`),
      await s.api(`1/customer/restore?id=${c.id}`),
      await s.api('1/room/create', { name: 'Каб. 1' }),
      await s.api('1/task/create', { title: 'Позвонить', text: 'Перезвонить клиенту', assigned_ids: [1] }),
    ]
    for (const r of replies) {
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.body.errors, [])
    }
  })

  test('§8.15 a validation failure is 422 with Russian messages keyed by field in field order', async () => {
    const r = await s.api('1/location/create', { weight: 'abc', name: 'Ж'.repeat(51), is_active: 'yes' })
    assert.equal(r.status, 422)
    assert.equal(r.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(
      r.body,
      wire.invalid({
        is_active: ['Значение «Активна» должно быть равно «1» или «0».'],
        name: ['Значение «Название» должно содержать максимум 50 символов.'],
        weight: ['Значение «Порядок» должно быть целым числом.'],
      }),
    )
    const customer = await s.api('1/customer/create', {
      name: '',
      is_study: 1,
      legal_type: 3,
      gender: 7,
      dob: '30.02.2012',
    })
    assert.equal(customer.status, 422)
    assert.equal(customer.body.success, false)
    assert.deepEqual(customer.body.errors, {
      name: ['Необходимо заполнить «Имя».'],
      legal_type: ['Значение «Тип клиента» неверно.'],
      dob: ['Неверный формат значения «Дата рождения».'],
      gender: ['Значение «Пол» неверно.'],
    })
    assert.deepEqual(Object.keys(customer.body.errors), ['name', 'legal_type', 'dob', 'gender'])
    assert.equal(customer.body.message, 'Необходимо заполнить «Имя».')
  })

  test('§8.16 delete answers exactly {"success":true,"errors":[]}', async () => {
    const loc = await make.location(s)
    const hard = await s.api(`1/location/delete?id=${loc.id}`)
    assert.equal(hard.status, 200)
    assert.equal(hard.text, '{"success":true,"errors":[]}')
    const c = await make.customer(s)
    const archive = await s.api(`1/customer/delete?id=${c.id}`)
    assert.equal(archive.text, '{"success":true,"errors":[]}')
  })

  test('§8.17 index replies have integer total, count, page and an items array', async () => {
    await make.customer(s)
    const r = await s.api('1/customer/index?page=0', { 'per-page': '1' })
    assert.equal(r.status, 200)
    assert.ok(Number.isInteger(r.body.total) && r.body.total >= 1)
    assert.equal(r.body.count, 1)
    assert.equal(r.body.page, 0)
    assert.ok(Array.isArray(r.body.items))
    assert.ok(Number.isInteger(r.body.items[0].id))
  })

  test('§8.18 a page past the end has count 0, no items and the true total', async () => {
    const name = tag()
    await make.customer(s, { name })
    await make.customer(s, { name })
    const r = await s.api('1/customer/index', { name, page: 5 })
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, { total: 2, count: 0, page: 5, items: [] })
  })

  test('§8.19 the page size comes from ?per-page or the body keys and never exceeds 50', async () => {
    const name = tag()
    for (let i = 0; i < 53; i++) await make.dictionary(s, 'subject', { name: `${name} ${i}` })
    const size = async (path: string, body: Record<string, unknown>) => {
      const r = await s.api(path, { name, ...body })
      assert.equal(r.status, 200, r.text)
      assert.equal(r.body.total, 53)
      return r.body.count
    }
    assert.equal(await size('1/subject/index?per-page=3', {}), 3)
    assert.equal(await size('1/subject/index', { count: 4 }), 4)
    assert.equal(await size('1/subject/index', { pageSize: 5 }), 5)
    assert.equal(await size('1/subject/index', { page_size: 6 }), 6)
    assert.equal(await size('1/subject/index', { per_page: 7 }), 7)
    assert.equal(await size('1/subject/index', { 'per-page': '8' }), 8)
    assert.equal(await size('1/subject/index?per-page=9', { count: 4 }), 9, 'query per-page comes first')
    assert.equal(await size('1/subject/index?per-page=500', {}), 50)
    assert.equal(await size('1/subject/index', { count: 1000 }), 50)
    assert.equal(await size('1/subject/index', {}), 50)
    assert.equal(await size('1/subject/index?count=2', {}), 2)
    assert.equal(await size('1/subject/index?pageSize=3', {}), 3)
    assert.equal(await size('1/subject/index?page_size=4', {}), 4)
    assert.equal(await size('1/subject/index?per_page=5', {}), 5)
    assert.equal(await size('1/subject/index?count=2', { per_page: 6 }), 6, 'body keys before query keys')
    assert.equal(await size('1/subject/index', { count: '', pageSize: 7 }), 7, 'an empty size is skipped')
    assert.equal(await size('1/subject/index?per-page=0', {}), 1, 'clamped to at least 1')
    const bad = await s.api('1/subject/index?per-page=abc', { name })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.message, 'Неверное значение параметра «per-page».')
    const last = await s.api('1/subject/index?per-page=50', { name, page: 1 })
    assert.equal(last.body.count, 3)
  })

  test('§8.20 page is 0-based and read from the body, else the query', async () => {
    const name = tag()
    const made = [
      await make.dictionary(s, 'subject', { name: `${name} a` }),
      await make.dictionary(s, 'subject', { name: `${name} b` }),
      await make.dictionary(s, 'subject', { name: `${name} c` }),
    ]
    const at = async (path: string, body: Record<string, unknown>) => {
      const r = await s.api(path, { name, ...body })
      assert.equal(r.status, 200, r.text)
      return r.body
    }
    assert.deepEqual((await at('1/subject/index?per-page=1', {})).items[0].id, made[0]?.id)
    const second = await at('1/subject/index?per-page=1', { page: 1 })
    assert.equal(second.page, 1)
    assert.equal(second.items[0].id, made[1]?.id)
    const third = await at('1/subject/index?per-page=1&page=2', {})
    assert.equal(third.page, 2)
    assert.equal(third.items[0].id, made[2]?.id)
    const bodyWins = await at('1/subject/index?per-page=1&page=2', { page: 0 })
    assert.equal(bodyWins.items[0].id, made[0]?.id)
    const negative = await at('1/subject/index?per-page=1', { page: -3 })
    assert.equal(negative.page, 0, 'a negative page is served as page 0')
    assert.equal(negative.items[0].id, made[0]?.id)
    const bad = await s.api('1/subject/index', { name, page: '1.5' })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.message, 'Неверное значение параметра «page».')
  })

  test('§8.21 filters are top-level body keys and unknown ones are ignored', async () => {
    const types = await s.api('1/lesson-type/index', {})
    const withRemoved = await s.api('1/lesson-type/index', { removed: 1 })
    assert.equal(withRemoved.status, 200)
    assert.deepEqual(withRemoved.body, types.body)
    const payTypes = await s.api('1/pay-type/index', { pageSize: 50, colour: 'red', filter: { id: 1 } })
    assert.equal(payTypes.status, 200, payTypes.text)
    assert.deepEqual(idsOf(payTypes), [1, 2, 3, 4])
    const filtered = await s.api('1/lesson-type/index', { type: 3 })
    assert.deepEqual(idsOf(filtered), [3], 'a listed top-level key filters')
  })

  test('§8.22 index?id=N with an empty body returns record N', async () => {
    const loc = await make.location(s)
    await make.location(s)
    const r = await s.api(`1/location/index?id=${loc.id}`)
    assert.equal(r.status, 200)
    assert.deepEqual(idsOf(r), [loc.id])
    assert.equal(r.body.total, 1)
  })

  test('§8.23 the id filter accepts 5, "5", [5] and ["5"]; ids likewise', async () => {
    const loc = await make.location(s)
    for (const value of [loc.id, String(loc.id), [loc.id], [String(loc.id)]]) {
      const byId = await s.api('1/location/index', { id: value })
      assert.deepEqual(idsOf(byId), [loc.id], JSON.stringify(value))
      const byIds = await s.api('1/location/index', { ids: value })
      assert.deepEqual(idsOf(byIds), [loc.id], `ids ${JSON.stringify(value)}`)
    }
    const other = await make.location(s)
    const both = await s.api(`1/location/index?ids[]=${loc.id}&ids[]=${other.id}`)
    assert.deepEqual(idsOf(both), [loc.id, other.id], 'query arrays use PHP brackets')
    const indexed = await s.api(`1/location/index?id[0]=${other.id}&id[1]=${loc.id}`)
    assert.deepEqual(idsOf(indexed), [loc.id, other.id])
  })

  test('§8.24 an index filtered by an unknown id answers 200 with no items', async () => {
    const r = await s.api('1/customer/index', { id: 999999 })
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, { total: 0, count: 0, page: 0, items: [] })
    const q = await s.api('1/location/index?id=999999')
    assert.equal(q.status, 200)
    assert.deepEqual(q.body.items, [])
  })

  test('§8.25 update reads the id from ?id=, else from the body', async () => {
    const a = await make.location(s)
    const b = await make.location(s)
    const byQuery = await s.api(`1/location/update?id=${a.id}`, { name: 'По запросу' })
    assert.equal(byQuery.body.model.id, a.id)
    assert.equal(byQuery.body.model.name, 'По запросу')
    const byBody = await s.api('1/location/update', { id: String(b.id), name: 'По телу' })
    assert.equal(byBody.status, 200, byBody.text)
    assert.equal(byBody.body.model.id, b.id)
    assert.equal(byBody.body.model.name, 'По телу')
    const queryFirst = await s.api(`1/location/update?id=${a.id}`, { id: b.id, name: 'Запрос главнее' })
    assert.equal(queryFirst.body.model.id, a.id)
    const untouched = await s.api('1/location/index', { id: b.id })
    assert.equal(untouched.body.items[0].name, 'По телу')
  })

  test('§8.26 create?id=N of an existing record updates it; an unknown N creates', async () => {
    const loc = await make.location(s)
    const before = await s.api('1/location/index', {})
    const r = await s.api(`1/location/create?id=${loc.id}`, { name: 'Обновлена через create' })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.model.id, loc.id)
    assert.equal(r.body.model.name, 'Обновлена через create')
    const afterUpdate = await s.api('1/location/index', {})
    assert.equal(afterUpdate.body.total, before.body.total)
    const created = await s.api('1/location/create?id=999999', { name: 'Новая' })
    assert.equal(created.status, 200, created.text)
    assert.notEqual(created.body.model.id, 999999)
    assert.equal((await s.api('1/location/index', {})).body.total, before.body.total + 1)
  })

  test('§8.29 communication/index?class=Customer&related_id=C lists C’s comments', async () => {
    const c = await make.customer(s)
    const other = await make.customer(s)
    const first = await s.api(`1/communication/create?class=Customer&related_id=${c.id}`, {
      comment: 'Позвонить маме',
    })
    assert.equal(first.status, 200, first.text)
    const second = await s.api(`1/communication/create?class=Customer&related_id=${c.id}`, {
      comment: 'Перезвонила',
    })
    await s.api(`1/communication/create?class=Customer&related_id=${other.id}`, { comment: 'Чужой' })
    assert.equal(first.body.model.class, 'Customer')
    assert.equal(first.body.model.related_id, c.id)
    const r = await s.api(`1/communication/index?class=Customer&related_id=${c.id}`)
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.total, 2)
    assert.deepEqual(idsOf(r), [second.body.model.id, first.body.model.id], 'newest first')
    assert.deepEqual(
      r.body.items.map((i: { comment: string }) => i.comment),
      ['Перезвонила', 'Позвонить маме'],
    )
    const fromBody = await s.api('1/communication/index', { class: 'Customer', related_id: c.id })
    assert.deepEqual(fromBody.body, r.body, 'the body is the fallback for scoping parameters')
    const missing = await s.api('1/communication/index')
    assert.equal(missing.status, 400)
    assert.deepEqual(missing.body, wire.missing('class', 'related_id'))
  })

  test('§8.30 booleans come out as 0/1 and accept true, false, 1, 0, "1", "0"', async () => {
    const cases: Array<[unknown, number]> = [...BOOL_FORMS, ['TRUE', 1], ['false', 0]]
    const loc = await make.location(s)
    assert.equal(loc.is_active, 1)
    for (const [input, output] of cases) {
      const created = await s.api('1/location/create', { name: 'Булево', is_active: input })
      assert.equal(created.status, 200, `${JSON.stringify(input)}: ${created.text}`)
      assert.strictEqual(created.body.model.is_active, output, JSON.stringify(input))
      const updated = await s.api(`1/location/update?id=${loc.id}`, { is_active: input })
      assert.strictEqual(updated.body.model.is_active, output, JSON.stringify(input))
    }
    const listed = await s.api('1/location/index', { id: loc.id, is_active: 'false' })
    assert.deepEqual(idsOf(listed), [loc.id], 'a flag filter converts too')
    assert.ok(listed.text.includes('"is_active":0'))
  })

  test('§8.31 money comes out as a two-decimal string and money inputs accept 5000, "5000", "5000,00"', async () => {
    // The models with writable money fields (pay, tariff) are not built yet; the customer balance
    // shows the output form and its range filter takes money inputs.
    const name = tag()
    const c = await make.customer(s, { name })
    assert.strictEqual(c.balance, '0.00')
    assert.strictEqual(c.balance_base, '0.00')
    assert.strictEqual(c.balance_bonus, '0.00')
    for (const value of [5000, '5000', '5000,00', ' 5000.00 ']) {
      const above = await s.api('1/customer/index', { name, balance_contract_from: value })
      assert.equal(above.status, 200, `${JSON.stringify(value)}: ${above.text}`)
      assert.equal(above.body.total, 0)
      const below = await s.api('1/customer/index', { name, balance_contract_to: value })
      assert.deepEqual(idsOf(below), [c.id], JSON.stringify(value))
    }
    const zero = await s.api('1/customer/index', {
      name,
      balance_contract_from: '0,00',
      balance_contract_to: 0,
    })
    assert.deepEqual(idsOf(zero), [c.id])
  })

  test('§8.32 customer dob is dd.mm.yyyy, e_date and last_attend_date yyyy-mm-dd', async () => {
    const c = await make.customer(s, { dob: '04.03.2012' })
    assert.equal(c.dob, '04.03.2012')
    assert.equal(c.e_date, '2030-12-31')
    assert.equal(c.last_attend_date, null)
    assert.match(c.b_date, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    const listed = await s.api('1/customer/index', { id: c.id })
    assert.equal(listed.body.items[0].dob, '04.03.2012')
    assert.equal(listed.body.items[0].e_date, '2030-12-31')
  })

  test('§8.33 date inputs accept both dd.mm.yyyy and yyyy-mm-dd', async () => {
    const name = tag()
    const iso = await make.customer(s, { name, dob: '2012-03-04' })
    const dmy = await make.customer(s, { name, dob: '04.03.2012' })
    const stamp = await make.customer(s, { name, dob: '2012-03-04 10:30:00' })
    for (const c of [iso, dmy, stamp]) assert.equal(c.dob, '04.03.2012')
    const updated = await s.api(`1/customer/update?id=${iso.id}`, { dob: '2013-05-06' })
    assert.equal(updated.body.model.dob, '06.05.2013')
    for (const [from, to] of [
      ['2012-03-04', '04.03.2012'],
      ['04.03.2012', '2012-03-04'],
    ]) {
      const r = await s.api('1/customer/index', { name, dob_from: from, dob_to: to })
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(idsOf(r), [dmy.id, stamp.id], `${from}…${to}`)
    }
    const dueIso = await s.api('1/task/create', {
      title: 'Срок',
      text: 'ISO',
      assigned_ids: [1],
      due_date: '20.09.2025',
    })
    assert.equal(dueIso.body.model.due_date, '2025-09-20', 'an iso output field takes dd.mm.yyyy too')
  })

  test('§8.34 an active customer shows e_date 2030-12-31', async () => {
    const c = await make.customer(s, { is_study: 0 })
    assert.equal(c.e_date, '2030-12-31')
    await s.api(`1/customer/delete?id=${c.id}`)
    const restored = await s.api(`1/customer/restore?id=${c.id}`)
    assert.equal(restored.body.model.e_date, '2030-12-31')
  })

  test('§8.35 customer/index shows active students by default; is_study and removed widen it', async () => {
    const name = tag()
    const student = await make.customer(s, { name, is_study: 1 })
    const lead = await make.customer(s, { name, is_study: 0 })
    const oldStudent = await make.customer(s, { name, is_study: 1 })
    const oldLead = await make.customer(s, { name, is_study: 0 })
    await s.api(`1/customer/delete?id=${oldStudent.id}`)
    await s.api(`1/customer/delete?id=${oldLead.id}`)
    const list = async (filters: Record<string, unknown>) =>
      idsOf(await s.api('1/customer/index', { name, ...filters }))
    assert.deepEqual(await list({}), [student.id])
    assert.deepEqual(await list({ is_study: 0 }), [lead.id])
    assert.deepEqual(await list({ is_study: 2 }), [student.id, lead.id])
    assert.deepEqual(await list({ removed: 1 }), [student.id, oldStudent.id])
    assert.deepEqual(await list({ removed: 2 }), [oldStudent.id])
    assert.deepEqual(await list({ is_study: 2, removed: 1 }), [
      student.id,
      lead.id,
      oldStudent.id,
      oldLead.id,
    ])
    assert.deepEqual(await list({ is_study: '', removed: null }), [student.id], 'empty values are absent')
  })

  test('§8.41 the phone filter 79991234567 finds +7(999)123-45-67', async () => {
    const c = await make.customer(s, { phone: ['+7(999)123-45-67'] })
    for (const q of ['79991234567', '999 123-45-67', '+7 999 1234567']) {
      const r = await s.api('1/customer/index', { phone: q })
      assert.deepEqual(idsOf(r), [c.id], q)
    }
  })

  test('§8.42 unknown body keys are ignored', async () => {
    const r = await attempt.customer(s, {
      name: 'Лишние ключи',
      lesson_type_id: 2,
      subject_ids: [1],
      is_public: 1,
      lesson_count: 8,
      unit: 'шт',
    })
    assert.equal(r.status, 200, r.text)
    for (const key of ['lesson_type_id', 'subject_ids', 'is_public', 'lesson_count', 'unit']) {
      assert.ok(!(key in r.body.model), key)
    }
    const loc = await make.location(s)
    const updated = await s.api(`1/location/update?id=${loc.id}`, {
      is_public: 1,
      name: 'Новое имя',
      teacher_ids: [3],
    })
    assert.equal(updated.status, 200, updated.text)
    assert.equal(updated.body.model.name, 'Новое имя')
  })

  test('§8.43 balance sent in a customer update is ignored; the reply shows the derived balance', async () => {
    const c = await make.customer(s, { balance: 700 })
    assert.equal(c.balance, '0.00')
    const r = await s.api(`1/customer/update?id=${c.id}`, {
      balance: '100000.00',
      balance_base: 5,
      paid_count: 9,
    })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.model.balance, '0.00')
    assert.equal(r.body.model.balance_base, '0.00')
    assert.equal(r.body.model.paid_count, 0)
  })

  test('§8.44 a single phone string becomes a list and branch_ids: 1 becomes [1]', async () => {
    const c = await make.customer(s, { phone: '+7 (916) 000-11-22', email: 'one@example.ru', branch_ids: 1 })
    assert.deepEqual(c.phone, ['+7 (916) 000-11-22'])
    assert.deepEqual(c.email, ['one@example.ru'])
    assert.deepEqual(c.branch_ids, [1])
    const asString = await make.customer(s, { branch_ids: '1' })
    assert.deepEqual(asString.branch_ids, [1])
  })

  test('§8.45 declared custom fields read and write as flat custom_<code> keys', async () => {
    await make.customField(s, { code: 'school', label: 'Школа' })
    await make.customField(s, { code: 'level', label: 'Уровень', type: 'select', options: ['A1', 'A2'] })

    const plain = await make.customer(s)
    const c = await make.customer(s, { custom_school: 'Лицей № 1', custom_level: 'A2' })
    assert.equal(c.custom_school, 'Лицей № 1')
    assert.equal(c.custom_level, 'A2')
    const keys = Object.keys(c)
    assert.deepEqual(keys.slice(-2), ['custom_school', 'custom_level'], 'custom keys come last')

    const listed = await s.api('1/customer/index', { id: [plain.id, c.id] })
    assert.equal(listed.body.items[0].custom_school, null, 'a declared field is present, null when unset')
    assert.equal(listed.body.items[1].custom_school, 'Лицей № 1')
    const byValue = await s.api('1/customer/index', { custom_school: 'Лицей № 1' })
    assert.deepEqual(idsOf(byValue), [c.id])

    const updated = await s.api(`1/customer/update?id=${c.id}`, { custom_school: 'Гимназия 2' })
    assert.equal(updated.body.model.custom_school, 'Гимназия 2')
    assert.equal(updated.body.model.custom_level, 'A2')

    const bad = await s.api(`1/customer/update?id=${c.id}`, { custom_level: 'B2' })
    assert.equal(bad.status, 422)
    assert.deepEqual(bad.body.errors, { custom_level: ['Значение «Уровень» неверно.'] })
    assert.equal(bad.body.message, 'Значение «Уровень» неверно.')
    const badCreate = await attempt.customer(s, { name: 'X', custom_level: 'C1' })
    assert.equal(badCreate.status, 422)
    assert.deepEqual(badCreate.body.errors, { custom_level: ['Значение «Уровень» неверно.'] })
    const unchanged = await s.api('1/customer/index', { id: c.id })
    assert.equal(unchanged.body.items[0].custom_level, 'A2')

    const undeclared = await s.api(`1/customer/update?id=${c.id}`, { custom_nothing: 'x' })
    assert.equal(undeclared.status, 200, 'an undeclared custom_* key is ignored')
    assert.ok(!('custom_nothing' in undeclared.body.model))
  })

  test('§8.46 empty fields_old, fields_new and fields_rel come out as []', async () => {
    const loc = await make.location(s)
    await s.api(`1/location/delete?id=${loc.id}`)
    const r = await s.api('1/log/index', { entity: 'Location', entity_id: loc.id })
    assert.equal(r.status, 200, r.text)
    const [deleted, created] = r.body.items
    assert.equal(deleted.event, 3)
    assert.deepEqual(deleted.fields_new, [])
    assert.deepEqual(deleted.fields_rel, [])
    assert.equal(deleted.fields_old.name, loc.name)
    assert.equal(created.event, 1)
    assert.deepEqual(created.fields_old, [])
    assert.equal(created.fields_new.name, loc.name)
    assert.ok(!r.text.includes('{}'), 'no empty object anywhere in the reply')
  })

  test('§8.47 customer/delete archives: gone from the default index, listed with removed', async () => {
    const c = await make.customer(s)
    const d = await s.api(`1/customer/delete?id=${c.id}`)
    assert.deepEqual(d.body, wire.deleted)
    assert.equal((await s.api('1/customer/index', { id: c.id })).body.total, 0)
    for (const removed of [1, 2]) {
      const r = await s.api('1/customer/index', { id: c.id, removed })
      assert.deepEqual(idsOf(r), [c.id], `removed ${removed}`)
      assert.equal(r.body.items[0].removed, 1)
      assert.notEqual(r.body.items[0].e_date, '2030-12-31')
    }
  })

  test('§8.50 unknown or misspelled slugs and unknown actions answer 404 Page not found', async () => {
    const paths = [
      '1/student/index',
      '1/customer_tariff/index',
      '1/lead_reject/index',
      '1/study_status/index',
      'student',
      '1/Customer/index',
      '1/customer/view',
      '1/customer/Index',
      '1/log/create',
      '1/pay-type/create',
      '1/customer/index/extra',
      '1/auth/login',
      'auth/logout',
      'auth',
      '12345678901/customer/index',
      '1//customer/index',
      '',
    ]
    for (const p of paths) {
      for (const token of [undefined, adminToken]) {
        const r = await s.call(p, {}, { token })
        assert.equal(r.status, 404, `${p}: ${r.text}`)
        assert.equal(r.text, JSON.stringify(wire.notFoundRoute), p)
        assert.equal(r.headers.get('content-type'), JSON_TYPE)
      }
    }
    const outside = await fetch(`${s.url}/api/v2/customer/index`, { method: 'POST', body: '{}' })
    assert.equal(outside.status, 404)
    assert.deepEqual(await outside.json(), wire.notFoundRoute)
    const trailing = await s.api('1/customer/index/')
    assert.equal(trailing.status, 200, 'a single trailing slash is ignored')
  })

  test('§8.54 replies are application/json; charset=UTF-8 with Cyrillic and slashes unescaped', async () => {
    const created = await s.api('1/location/create', { name: 'Корпус А/Б' })
    const replies = [
      created,
      await s.api('1/location/index', { id: created.body.model.id }),
      await s.api('1/location/create', {}),
      await s.call('1/location/index', {}),
      await s.api('1/nothing/index'),
    ]
    for (const r of replies) assert.equal(r.headers.get('content-type'), JSON_TYPE, r.text)
    assert.ok(created.text.includes('"Корпус А/Б"'), created.text)
    assert.ok(replies[2]?.text.includes('Необходимо заполнить «Название».'))
    for (const r of replies) assert.ok(!/\\u[0-9a-fA-F]{4}|\\\//.test(r.text), r.text)
  })

  test('§8.55 the token never causes a 400 or 404, and nothing but the token causes a 401', async () => {
    const c = await make.customer(s)
    const badTokens = [
      undefined,
      '',
      'abc',
      'z'.repeat(64),
      crypto.randomBytes(32).toString('hex'),
      'x'.repeat(5000),
    ]
    for (const token of badTokens) {
      const headers: Record<string, string> = token === undefined ? {} : { 'x-alfacrm-token': token }
      const requests: Array<[string, string | undefined]> = [
        ['1/customer/index', '{not json'],
        ['1/customer/update?id=999999', '{}'],
        ['1/customer/update', '{}'],
        [`1/customer/update?id=${c.id}`, '{"name": ""}'],
        ['1/customer/index?id=abc', '{}'],
        ['1/communication/index', '{}'],
        ['99999/customer/index', '{}'],
      ]
      for (const [p, raw] of requests) {
        const r = await s.call(p, undefined, { raw, headers })
        assert.equal(r.status, 401, `${JSON.stringify(token?.slice(0, 10))} ${p}: ${r.text}`)
        assert.deepEqual(r.body, wire.unauthorized)
      }
    }
    const token = adminToken
    const valid: Array<[string, string, number, unknown]> = [
      ['1/customer/index', '{not json', 400, wire.badJson],
      ['1/customer/update?id=999999', '{}', 404, wire.notFound],
      ['1/customer/update', '{}', 400, wire.missing('id')],
      [`1/customer/update?id=${c.id}`, '{"name": ""}', 422, null],
      ['1/customer/index?id=abc', '{}', 400, wire.badParam('id')],
      ['1/communication/index', '{}', 400, null],
      ['99999/customer/index', '{}', 403, wire.accessDenied],
    ]
    for (const [p, raw, status, body] of valid) {
      const r = await s.call(p, undefined, { raw, token })
      assert.equal(r.status, status, `${p}: ${r.text}`)
      if (body) assert.deepEqual(r.body, body, p)
    }
    const badLogin = await s.call('auth/login', { email: ADMIN.email, api_key: 'nope' }, { token: 'garbage' })
    assert.equal(badLogin.status, 403, 'a bad login is never a 401')
  })

  test('§8.56 with RATE_LIMIT_RPS, excess calls get 429 and Retry-After; waiting a second succeeds', async () => {
    await withServer({ RATE_LIMIT_RPS: '2' }, async (limited) => {
      const token = await limited.login()
      const burst = await Promise.all([1, 2, 3].map(() => limited.call('1/pay-type/index', {}, { token })))
      const statuses = burst.map((r) => r.status).sort()
      assert.deepEqual(statuses, [200, 200, 429])
      const refused = burst.find((r) => r.status === 429)!
      assert.equal(refused.text, JSON.stringify(wire.rateLimited))
      assert.equal(refused.headers.get('content-type'), JSON_TYPE)
      const retryAfter = refused.headers.get('retry-after')
      assert.match(retryAfter ?? '', /^\d+$/)
      assert.ok(Number(retryAfter) >= 1)
      await sleep(1100)
      const retried = await limited.call('1/pay-type/index', {}, { token })
      assert.equal(retried.status, 200, retried.text)
    })
  })
})
