import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { ADMIN } from '../helpers/server.js'
import { demoSite, NO_BROWSER, PASSWORDS, signIn } from './harness.js'

/**
 * Sign-in, the frame, sign-out and CSRF in a real browser: the session lives in an HttpOnly,
 * SameSite=Strict cookie the page's scripts cannot read, and a page of another origin cannot use it.
 */
describe('staff app: session', { skip: NO_BROWSER }, () => {
  const site = demoSite()

  test('a wrong password is refused on the form, the right one opens the app', async () => {
    const page = await site.page()
    await page.goto(`${site.url}/customers`)
    await page.getByLabel('E-mail').fill(ADMIN.email)
    await page.getByLabel('Пароль').fill('not-the-password')
    await page.getByRole('button', { name: 'Войти' }).click()
    await page.getByTestId('sign-in-error').waitFor()
    assert.match((await page.getByTestId('sign-in-error').textContent()) ?? '', /Неверный e-mail или пароль/)
    await site.shot(page, 'sign-in-refused')

    await page.getByLabel('Пароль').fill(PASSWORDS.admin)
    await page.getByRole('button', { name: 'Войти' }).click()
    await page.getByTestId('user-menu').waitFor()
    const cookies = await page.context().cookies()
    const session = cookies.find((c) => c.name === 'parta_session')
    assert.ok(session, 'the session cookie is set')
    assert.equal(session.httpOnly, true)
    assert.equal(session.sameSite, 'Strict')
    // Nothing secret is kept where scripts can read it.
    const stored = await page.evaluate<string>('JSON.stringify({ ...localStorage, ...sessionStorage })')
    assert.ok(!stored.includes(session.value), 'no token in web storage')
    assert.equal(await page.evaluate<boolean>("document.cookie.includes('parta_session')"), false)
    await site.shot(page, 'layout')
  })

  test('a page of another origin cannot write with the session (form post and fetch)', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    const before = (await site.api.index('customer', { is_study: 2, removed: 1 })).total
    const target = `${site.url}/v2api/1/customer/create`
    // The attacker's site: an auto-submitting form, and a fetch with credentials.
    const evil = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.end(`<!doctype html><form id="f" method="POST" action="${target}" enctype="text/plain">
        <input name='{"name":"CSRF","is_study":1,"legal_type":1,"x":"' value='"}'></form>
        <script>
          fetch(${JSON.stringify(target)}, { method: 'POST', credentials: 'include', mode: 'no-cors',
            headers: { 'content-type': 'text/plain' }, body: '{"name":"CSRF fetch","is_study":1,"legal_type":1}' })
            .finally(() => document.getElementById('f').submit())
        </script>`)
    })
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r))
    try {
      const port = (evil.address() as AddressInfo).port
      // Another origin (localhost vs 127.0.0.1 counts as another site for SameSite too).
      await page.goto(`http://localhost:${port}/`)
      await page.waitForURL((u) => u.href.startsWith(target), { timeout: 10_000 })
      const body = (await page.locator('body').textContent()) ?? ''
      assert.match(body, /401|403|credentials|Access Denied/i, body)
    } finally {
      evil.close()
    }
    const after = (await site.api.index('customer', { is_study: 2, removed: 1 })).total
    assert.equal(after, before, 'no customer was created')
  })

  test('sign-out revokes the session: its cookie no longer works', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    const cookie = (await page.context().cookies()).find((c) => c.name === 'parta_session')!
    await page.getByTestId('user-menu').click()
    await page.getByTestId('sign-out').click()
    await page.getByRole('button', { name: 'Войти' }).waitFor()
    const r = await fetch(`${site.url}/v2api/auth/me`, {
      method: 'POST',
      headers: { cookie: `parta_session=${cookie.value}`, 'x-parta-csrf': '1' },
    })
    assert.equal(r.status, 401)
  })
})
