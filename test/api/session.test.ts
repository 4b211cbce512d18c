import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { make, tag } from '../helpers/make.js'
import { type Reply, type Server, suiteServer, withServer } from '../helpers/server.js'

/**
 * The staff app's sign-in: a password, a session token in an HttpOnly SameSite=Strict cookie, CSRF
 * defence for cookie-authenticated calls, logout and password changes that revoke, and the same roles
 * and branches as an API user.
 */

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const PASSWORD = 'correct horse battery'
const CSRF = { 'x-parta-csrf': '1' }

/** Makes a user through the API with a password set by the admin. */
async function staff(s: Server, fields: Record<string, unknown> = {}) {
  return make.user(s, { password: PASSWORD, ...fields }, { login: false })
}

/** Signs in as the browser does; returns the reply and the `name=value` of its cookie. */
async function signIn(s: Server, email: string, password = PASSWORD, headers: Record<string, string> = CSRF) {
  const r = await s.call('auth/session', { email, password }, { headers })
  const setCookie = r.headers.get('set-cookie') ?? ''
  return { r, setCookie, cookie: setCookie.split(';')[0] ?? '' }
}

/** A call as the staff app makes it: the cookie, and the CSRF header unless told otherwise. */
function browser(
  s: Server,
  cookie: string,
  path: string,
  body: unknown = {},
  headers: Record<string, string> = CSRF,
) {
  return s.call(path, body, { token: null, headers: { cookie, ...headers } })
}

async function locationsNamed(s: Server, name: string): Promise<number> {
  const r = await s.api('1/location/index', { name })
  return (r.body.items as Array<{ name: string }>).filter((l) => l.name === name).length
}

function cli(
  s: Server,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: s.target.dataDir }
  for (const name of ['DATABASE_URL', 'ALFACRM_ADMIN_EMAIL', 'ALFACRM_ADMIN_API_KEY']) delete env[name]
  if (s.target.databaseUrl) env.DATABASE_URL = s.target.databaseUrl
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
    child.stdin?.end(input ?? '')
  })
}

const assertDenied = (r: Reply) => {
  assert.equal(r.status, 403, r.text)
  assert.equal(r.body.message, 'Access Denied')
}

describe('staff sign-in with a session cookie', () => {
  const s = suiteServer({ LOGIN_RATE_LIMIT: '1000', TOKEN_TTL: '1800' })

  test('signing in sets an HttpOnly, SameSite=Strict cookie for the TTL and answers the user, no token', async () => {
    const u = await staff(s, { name: 'Анна', role: 'manager', branch_ids: [1] })
    const { r, setCookie } = await signIn(s, u.email)
    assert.equal(r.status, 200, r.text)
    assert.match(setCookie, /^parta_session=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=1800$/)
    assert.deepEqual(r.body, {
      user: { id: u.id, name: 'Анна', email: u.email, role: 'manager', branch_ids: [1], teacher_id: null },
      expires_in: 1800,
    })
    assert.ok(!r.text.includes(setCookie.slice('parta_session='.length, 78)), 'no token in the body')
    assert.equal(r.headers.get('cache-control'), 'no-store')
    assert.equal(r.headers.get('access-control-allow-origin'), null, 'never CORS')
  })

  test('auth/me answers the signed-in user with the cookie, and with a header token', async () => {
    const u = await staff(s, { role: 'teacher', branch_ids: [1] })
    const { cookie } = await signIn(s, u.email)
    const me = await browser(s, cookie, 'auth/me')
    assert.equal(me.status, 200, me.text)
    assert.equal(me.body.user.id, u.id)
    assert.equal(me.body.user.role, 'teacher')
    const viaGet = await s.call('auth/me', undefined, {
      method: 'GET',
      token: null,
      headers: { cookie, ...CSRF },
    })
    assert.equal(viaGet.body.user.id, u.id)
    const byToken = await s.call('auth/me', {}, { token: await s.login(u.email, u.apiKey) })
    assert.equal(byToken.body.user.id, u.id)
    assert.equal((await s.call('auth/me', {})).status, 401)
  })

  test('a read and a write with the cookie and the CSRF header work', async () => {
    const u = await staff(s)
    const { cookie } = await signIn(s, u.email)
    const read = await browser(s, cookie, '1/customer/index')
    assert.equal(read.status, 200, read.text)
    const name = `Из приложения ${tag()}`
    const write = await browser(s, cookie, '1/location/create', { name })
    assert.equal(write.status, 200, write.text)
    assert.equal(await locationsNamed(s, name), 1)
  })

  test('without the CSRF header a cookie call is 403 Access Denied, reads too, and nothing is written', async () => {
    const u = await staff(s)
    const { cookie } = await signIn(s, u.email)
    assertDenied(await browser(s, cookie, '1/customer/index', {}, {}))
    assertDenied(await browser(s, cookie, 'auth/me', {}, { 'x-parta-csrf': '0' }))
    const name = `Без заголовка ${tag()}`
    assertDenied(await browser(s, cookie, '1/location/create', { name }, {}))
    assert.equal(await locationsNamed(s, name), 0)
  })

  test('an Origin other than the server’s own is 403; its own origin passes', async () => {
    const u = await staff(s)
    const { cookie } = await signIn(s, u.email)
    const name = `Чужой сайт ${tag()}`
    for (const origin of ['https://evil.example', 'null', s.url.replace('http:', 'https:')])
      assertDenied(await browser(s, cookie, '1/location/create', { name }, { ...CSRF, origin }))
    assert.equal(await locationsNamed(s, name), 0)
    const own = await browser(s, cookie, '1/location/create', { name }, { ...CSRF, origin: s.url })
    assert.equal(own.status, 200, own.text)
  })

  test('a cross-site form post (form body, cookie, foreign Origin, no custom header) is refused and writes nothing', async () => {
    const u = await staff(s)
    const { cookie } = await signIn(s, u.email)
    const name = `Форма ${tag()}`
    const r = await s.call('1/location/create', undefined, {
      token: null,
      raw: `name=${encodeURIComponent(name)}`,
      headers: {
        cookie,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
    })
    assertDenied(r)
    assert.equal(await locationsNamed(s, name), 0)
  })

  test('a wrong password, an unknown e-mail or a user without a password get the api-key login’s 403', async () => {
    const u = await staff(s)
    const keyOnly = await make.user(s, {}, { login: false })
    const refusal = await s.call('auth/login', { email: u.email, api_key: 'wrong-key-0000000000' })
    assert.equal(refusal.status, 403)
    for (const [email, password] of [
      [u.email, 'wrong password'],
      [`nobody${tag()}@school.example`, PASSWORD],
      [keyOnly.email, PASSWORD],
      [keyOnly.email, keyOnly.apiKey],
      [u.email, ''],
    ] as const) {
      const { r, setCookie } = await signIn(s, email, password)
      assert.equal(r.status, 403, `${email} ${password}`)
      assert.deepEqual(r.body, refusal.body)
      assert.equal(setCookie, '')
    }
    const inactive = await staff(s, { is_active: 0 })
    assert.equal((await signIn(s, inactive.email)).r.status, 403)
  })

  test('signing in needs the CSRF header too (no cross-site sign-in as someone else)', async () => {
    const u = await staff(s)
    assertDenied((await signIn(s, u.email, PASSWORD, {})).r)
    assertDenied((await signIn(s, u.email, PASSWORD, { ...CSRF, origin: 'https://evil.example' })).r)
  })

  test('sign-out clears the cookie and revokes its token only; the old cookie is then 401', async () => {
    const u = await staff(s)
    const token = await s.login(u.email, u.apiKey)
    const { cookie } = await signIn(s, u.email)
    const out = await browser(s, cookie, 'auth/sign-out')
    assert.equal(out.status, 200, out.text)
    assert.equal(
      out.headers.get('set-cookie'),
      'parta_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0',
    )
    const after = await browser(s, cookie, 'auth/me')
    assert.equal(after.status, 401)
    assert.equal(after.body.message, 'Your request was made with invalid credentials.')
    assert.equal((await s.call('auth/me', {}, { token })).status, 200, 'the api token lives on')
    // §2.2: v2api has no logout action, and API clients still find none.
    assert.equal((await s.call('auth/logout', {}, { token })).status, 404)
  })

  test('the cookie takes session tokens only; a header token wins over the cookie and needs no CSRF header', async () => {
    const u = await staff(s)
    const token = await s.login(u.email, u.apiKey)
    assert.equal((await browser(s, `parta_session=${token}`, 'auth/me')).status, 401)
    const { cookie } = await signIn(s, u.email)
    const both = await s.call('auth/me', {}, { token, headers: { cookie: 'parta_session=garbage' } })
    assert.equal(both.status, 200, both.text)
    const badHeader = await s.call('auth/me', {}, { token: 'f'.repeat(64), headers: { cookie, ...CSRF } })
    assert.equal(badHeader.status, 401)
  })

  test('changing the password checks the current one and revokes every other session and token', async () => {
    const u = await staff(s)
    const token = await s.login(u.email, u.apiKey)
    const a = await signIn(s, u.email)
    const b = await signIn(s, u.email)
    const wrong = await browser(s, a.cookie, 'auth/password', {
      current_password: 'not it at all',
      new_password: 'x',
    })
    assert.equal(wrong.status, 422, wrong.text)
    assert.deepEqual(Object.keys(wrong.body.errors), ['current_password', 'new_password'])
    const next = 'a new password 2'
    const r = await browser(s, a.cookie, 'auth/password', { current_password: PASSWORD, new_password: next })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.body, { success: true })
    const renewed = (r.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    assert.match(renewed, /^parta_session=[0-9a-f]{64}$/)
    assert.equal((await browser(s, renewed, 'auth/me')).status, 200, 'the caller stays signed in')
    for (const cookie of [a.cookie, b.cookie]) assert.equal((await browser(s, cookie, 'auth/me')).status, 401)
    assert.equal((await s.call('auth/me', {}, { token })).status, 401)
    assert.equal((await signIn(s, u.email)).r.status, 403)
    assert.equal((await signIn(s, u.email, next)).r.status, 200)
    // The log has the change, made by the user, without either password; the refused try wrote nothing.
    const log = await s.api('1/log/index', { entity: 'User', entity_id: u.id, event: 2 })
    assert.equal(log.body.total, 1, log.text)
    const row = log.body.items[0]
    assert.equal(row.user_id, u.id)
    assert.deepEqual([row.fields_old, row.fields_new], [{ password: '[hidden]' }, { password: '[hidden]' }])
    assert.ok(!log.text.includes(next) && !log.text.includes(PASSWORD))
  })

  test('a header-token caller changing its password gets a new token in the body', async () => {
    const u = await staff(s)
    const token = await s.login(u.email, u.apiKey)
    const r = await s.call(
      'auth/password',
      { current_password: PASSWORD, new_password: 'another one 3' },
      { token },
    )
    assert.equal(r.status, 200, r.text)
    assert.equal(r.headers.get('set-cookie'), null)
    assert.match(r.body.token, /^[0-9a-f]{64}$/)
    assert.equal((await s.call('auth/me', {}, { token })).status, 401)
    assert.equal((await s.call('auth/me', {}, { token: r.body.token })).status, 200)
  })

  test('an admin sets a password with user/update: never echoed, logged as changed without the value', async () => {
    const u = await make.user(s, {}, { login: false })
    const token = await s.login(u.email, u.apiKey)
    const secret = 'set by the admin 42'
    const short = await s.api(`user/update?id=${u.id}`, { password: 'short' })
    assert.equal(short.status, 422)
    assert.deepEqual(Object.keys(short.body.errors), ['password'])
    const r = await s.api(`user/update?id=${u.id}`, { password: secret })
    assert.equal(r.status, 200, r.text)
    assert.ok(!('password' in r.body.model) && !r.text.includes(secret))
    assert.equal((await s.call('auth/me', {}, { token })).status, 401, 'a new password revokes')
    assert.equal((await signIn(s, u.email, secret)).r.status, 200)
    const created = await make.user(s, { password: secret }, { login: false })
    for (const id of [u.id, created.id]) {
      const log = await s.api('1/log/index', { entity: 'User', entity_id: id })
      assert.ok(!log.text.includes(secret), 'no password in the log')
      assert.equal(log.body.items[0].fields_new.password, '[hidden]', 'the log says it changed')
    }
  })

  test('a readonly session cannot write; a teacher session is limited like a teacher token', async () => {
    const ro = await staff(s, { role: 'readonly' })
    const roCookie = (await signIn(s, ro.email)).cookie
    assert.equal((await browser(s, roCookie, '1/customer/index')).status, 200)
    assertDenied(await browser(s, roCookie, '1/location/create', { name: `RO ${tag()}` }))
    const b2 = await make.branch(s)
    const teacher = await staff(s, { role: 'teacher', branch_ids: [1] })
    const tCookie = (await signIn(s, teacher.email)).cookie
    const tToken = await s.login(teacher.email, teacher.apiKey)
    for (const [path, body] of [
      ['1/customer/index', {}],
      ['1/customer/create', { name: 'X', is_study: 1, legal_type: 1 }],
      ['user/index', {}],
      [`${b2.id}/customer/index`, {}],
      ['1/lesson/index', {}],
    ] as const) {
      const byCookie = await browser(s, tCookie, path, body)
      const byToken = await s.call(path, body, { token: tToken })
      assert.equal(byCookie.status, byToken.status, `${path}: ${byCookie.text}`)
      assert.equal(byCookie.text, byToken.text, path)
    }
  })

  test('user set-password sets a given, a generated or a piped password, and revokes', async () => {
    const u = await make.user(s, {}, { login: false })
    const help = await cli(s, ['user', 'set-password', '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--password -/)
    const given = await cli(s, ['user', 'set-password', '--id', String(u.id), '--password', 'from the cli 1'])
    assert.equal(given.code, 0, given.stderr)
    assert.ok(!given.stdout.includes('from the cli 1'))
    assert.equal((await signIn(s, u.email, 'from the cli 1')).r.status, 200)
    const made = await cli(s, ['user', 'set-password', '--email', u.email])
    assert.equal(made.code, 0, made.stderr)
    const password = /Password: (\S+)/.exec(made.stdout)?.[1] ?? ''
    assert.equal(made.stdout.split(password).length, 2, 'printed once')
    assert.equal((await signIn(s, u.email, 'from the cli 1')).r.status, 403)
    assert.equal((await signIn(s, u.email, password)).r.status, 200)
    const piped = await cli(
      s,
      ['user', 'set-password', '--email', u.email, '--password', '-'],
      'piped secret 99\n',
    )
    assert.equal(piped.code, 0, piped.stderr)
    assert.equal((await signIn(s, u.email, 'piped secret 99')).r.status, 200)
    const short = await cli(s, ['user', 'set-password', '--email', u.email, '--password', 'short'])
    assert.equal(short.code, 1)
    assert.match(short.stderr, /8 to 255 characters/)
    const log = await s.api('1/log/index', { entity: 'User', entity_id: u.id })
    assert.ok(!log.text.includes('piped secret 99') && !log.text.includes(password))
  })
})

describe('the session cookie over HTTPS', () => {
  test('Secure only when a trusted proxy says the request came over HTTPS', async () => {
    const https = { ...CSRF, 'x-forwarded-proto': 'https' }
    await withServer({ TRUST_PROXY: '127.0.0.1' }, async (s) => {
      const u = await staff(s)
      const { r, setCookie, cookie } = await signIn(s, u.email, PASSWORD, https)
      assert.equal(r.status, 200, r.text)
      assert.match(setCookie, /; HttpOnly; SameSite=Strict; Path=\/; Max-Age=3600; Secure$/)
      const origin = s.url.replace('http:', 'https:')
      const me = await browser(s, cookie, 'auth/me', {}, { ...https, origin })
      assert.equal(me.status, 200, me.text)
      assertDenied(await browser(s, cookie, 'auth/me', {}, { ...https, origin: s.url }))
    })
    await withServer({}, async (s) => {
      const u = await staff(s)
      const { setCookie } = await signIn(s, u.email, PASSWORD, https)
      assert.ok(!setCookie.includes('Secure'), 'an untrusted X-Forwarded-Proto is ignored')
    })
  })
})
