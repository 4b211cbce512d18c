import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Cookie, Page } from 'playwright-core'
import { ADMIN } from '../helpers/server.js'
import {
  accessibilityProblems,
  demoSite,
  MANAGER_EMAIL,
  NO_BROWSER,
  PASSWORDS,
  type Site,
  signIn,
} from './harness.js'

const PASSWORD = 'novyi-parol-2026'
const EMAIL = 'irina.sokolova@school.example'
const NAME = 'Соколова Ирина'

async function clearToasts(page: Page) {
  for (const b of await page.locator('.mantine-Notification-closeButton').all())
    await b.click().catch(() => {})
  await page.locator('.mantine-Notification-root').first().waitFor({ state: 'detached' })
}

/** The message a Mantine input shows under itself: the element its aria-describedby names as the error. */
async function fieldError(page: Page, testid: string): Promise<string> {
  const input = page.getByTestId(testid)
  await page.locator(`[data-testid="${testid}"][aria-describedby*="-error"]`).waitFor()
  const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(/\s+/)
  const errorId = ids.find((id) => id.endsWith('-error'))!
  return (await page.locator(`[id="${errorId}"]`).textContent()) ?? ''
}

/** `auth/login` with an api key: the status (200 with a token, 403 refused). */
async function apiLogin(site: Site, email: string, apiKey: string): Promise<number> {
  const r = await fetch(`${site.url}/v2api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, api_key: apiKey }),
  })
  const body = (await r.json()) as { token?: string }
  if (r.status === 200) assert.ok(body.token, 'a token')
  return r.status
}

/** The sign-in form with these credentials: true when the app opens, false when it says they are wrong. */
async function trySignIn(site: Site, email: string, password: string): Promise<boolean> {
  const page = await site.page()
  await page.goto(`${site.url}/`)
  await page.getByLabel('E-mail').fill(email)
  await page.getByLabel('Пароль').fill(password)
  await page.getByRole('button', { name: 'Войти' }).click()
  const shown = await page.getByTestId('user-menu').or(page.getByTestId('sign-in-error')).first()
  await shown.waitFor()
  const inside = (await page.getByTestId('user-menu').count()) > 0
  if (!inside) assert.match((await page.getByTestId('sign-in-error').textContent()) ?? '', /Неверный/)
  await page.context().close()
  return inside
}

const row = (page: Page, email: string) => page.locator(`[data-testid="user-row"][data-email="${email}"]`)

async function rowAction(page: Page, email: string, action: string) {
  await row(page, email).getByTestId('user-actions').click()
  await page.getByTestId(action).click()
}

/**
 * Settings (admins) in a real browser against the demo school: users created through the form sign in
 * with their password, a rotated api key works and the old one does not, a deactivated user cannot sign
 * in, the API's validation messages sit by their fields, and a new branch reaches the branch switcher.
 */
describe('staff app: settings — users and branches', { skip: NO_BROWSER }, () => {
  const site = demoSite()
  let cookies: Cookie[] | undefined
  const admin = async (path: string) => {
    if (!cookies) {
      const first = await signIn(site, ADMIN.email, PASSWORDS.admin)
      cookies = await first.context().cookies()
      await first.close()
    }
    const page = await site.page()
    await page.context().addCookies(cookies)
    page.on('dialog', (d) => void d.accept())
    await page.goto(`${site.url}${path}`)
    await page.getByTestId('user-menu').waitFor()
    return page
  }
  let createdKey = ''

  test('an admin creates a manager with one branch and a password; that user signs in', async () => {
    const branches = await site.api.all('branch', {})
    assert.ok(branches.length >= 2, 'the demo school has two branches')
    const second = branches[1]!
    const page = await admin('/settings/users')
    const all = await site.api.index('user', {})
    await page.locator(`[data-testid="users-total"][data-total="${all.total}"]`).waitFor()
    assert.equal(await page.getByTestId('user-row').count(), Math.min(all.total, 50))
    assert.deepEqual(await accessibilityProblems(page), [], 'the users tab')
    await site.shot(page, 'settings-users')

    await page.getByTestId('user-create').click()
    await page.getByTestId('user-form-name').fill(NAME)
    await page.getByTestId('user-form-email').fill(EMAIL)
    // The teacher select is there for the teacher role only.
    await page.getByTestId('user-form-role').click()
    await page.getByRole('option', { name: 'Педагог', exact: true }).click()
    await page.getByTestId('user-form-teacher').waitFor()
    await page.getByTestId('user-form-role').click()
    await page.getByRole('option', { name: 'Менеджер', exact: true }).click()
    assert.equal(await page.getByTestId('user-form-teacher').count(), 0)
    // The current branch is chosen at first: swap it for the second one.
    const pick = page.getByTestId('user-form-branches')
    await pick.click()
    await pick.press('Backspace')
    await pick.fill(second.name)
    await page.getByRole('option', { name: second.name, exact: true }).click()
    await pick.press('Escape')
    await page.getByTestId('user-form-password').fill(PASSWORD)
    assert.deepEqual(await accessibilityProblems(page), [], 'the user form')
    await site.shot(page, 'settings-user-form')
    await page.getByTestId('user-form-save').click()

    // The new user's key, shown once.
    await page.getByTestId('api-key-shown').waitFor()
    createdKey = await page.getByTestId('api-key-value').inputValue()
    assert.ok(createdKey.length >= 16, 'a key is shown')
    await page.getByTestId('api-key-done').click()
    await page.getByTestId('api-key-shown').waitFor({ state: 'detached' })
    await row(page, EMAIL).waitFor()
    assert.equal(await row(page, EMAIL).getByTestId('user-role').textContent(), 'Менеджер')
    assert.equal(await row(page, EMAIL).getByTestId('user-branches').textContent(), second.name)

    const [made] = (await site.api.index('user', { email: EMAIL })).items
    assert.ok(made)
    assert.equal(made.name, NAME)
    assert.equal(made.role, 'manager')
    assert.deepEqual(made.branch_ids, [second.id])
    assert.equal(made.is_active, 1)
    assert.equal(await apiLogin(site, EMAIL, createdKey), 200)

    // A fresh browser: the user signs in with that password and lands in the app, in their branch.
    const theirs = await signIn(site, EMAIL, PASSWORD)
    await theirs.getByTestId('user-menu').getByText(NAME).waitFor()
    assert.equal(await theirs.getByTestId('branch-switcher').inputValue(), second.name)
    await theirs.context().close()
  })

  test('the API’s messages sit by their fields: a taken e-mail, a short password, the last admin', async () => {
    const page = await admin('/settings/users')
    await page.getByTestId('user-create').click()
    await page.getByTestId('user-form-name').fill('Дубликат')
    await page.getByTestId('user-form-email').fill(MANAGER_EMAIL.toUpperCase())
    await page.getByTestId('user-form-password').fill('123')
    await page.getByTestId('user-form-save').click()
    assert.match(await fieldError(page, 'user-form-email'), /уже занято/)
    assert.match(await fieldError(page, 'user-form-password'), /от 8 до 255 символов/)
    assert.equal((await site.api.index('user', { email: 'Дубликат' })).total, 0)
    assert.equal((await site.api.index('user', { email: MANAGER_EMAIL })).total, 1)
    await page.getByRole('button', { name: 'Отмена' }).click()

    // The only admin cannot demote themself: the refusal is shown in the form.
    const admins = await site.api.index('user', { role: 'admin', is_active: 1 })
    assert.equal(admins.total, 1, 'one admin in the demo school')
    await row(page, ADMIN.email).getByTestId('user-actions').click()
    assert.equal(await page.getByTestId('user-deactivate').isDisabled(), true, 'no deactivating oneself')
    await page.getByTestId('user-edit').click()
    await page.getByTestId('user-form-role').click()
    await page.getByRole('option', { name: 'Менеджер', exact: true }).click()
    await page.getByTestId('user-form-save').click()
    await page.getByTestId('user-form-error').getByText('последнего администратора').waitFor()
    assert.equal((await site.api.index('user', { email: ADMIN.email })).items[0]!.role, 'admin')
  })

  test('a rotated api key is shown once and works; the old one no longer does', async () => {
    assert.ok(createdKey, 'the user of the first test')
    const page = await admin('/settings/users')
    await rowAction(page, EMAIL, 'user-rotate-key')
    await page.getByTestId('api-key-shown').waitFor()
    const key = await page.getByTestId('api-key-value').inputValue()
    assert.match(
      (await page.getByTestId('api-key-warning').textContent()) ?? '',
      /один раз/,
      'the warning that it is not shown again',
    )
    assert.notEqual(key, createdKey)
    await clearToasts(page)
    await site.shot(page, 'settings-api-key')
    assert.equal(await apiLogin(site, EMAIL, key), 200)
    assert.equal(await apiLogin(site, EMAIL, createdKey), 403)
    // Gone once closed: not on the page, not in the browser's storage.
    await page.getByTestId('api-key-done').click()
    await page.getByTestId('api-key-shown').waitFor({ state: 'detached' })
    const kept = await page.evaluate<boolean>(
      `[document.body.innerHTML, JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })]
        .some((s) => s.includes(${JSON.stringify(key)}))`,
    )
    assert.equal(kept, false)
  })

  test('a deactivated user cannot sign in; activated again, they can', async () => {
    assert.equal(await trySignIn(site, EMAIL, PASSWORD), true)
    const page = await admin('/settings/users?active=active')
    await rowAction(page, EMAIL, 'user-deactivate')
    await row(page, EMAIL).waitFor({ state: 'detached' })
    const [off] = (await site.api.index('user', { email: EMAIL })).items
    assert.equal(off!.is_active, 0)
    assert.equal(await trySignIn(site, EMAIL, PASSWORD), false)

    await page.getByTestId('users-active').click()
    await page.getByRole('option', { name: 'Отключённые', exact: true }).click()
    await row(page, EMAIL).waitFor()
    assert.equal(await row(page, EMAIL).getByTestId('user-active').textContent(), 'Отключён')
    await rowAction(page, EMAIL, 'user-activate')
    await row(page, EMAIL).waitFor({ state: 'detached' })
    assert.equal((await site.api.index('user', { email: EMAIL })).items[0]!.is_active, 1)
    assert.equal(await trySignIn(site, EMAIL, PASSWORD), true)
  })

  test('an admin creates a branch; it appears in the branch switcher', async () => {
    const page = await admin('/settings/branches')
    const before = await site.api.all('branch', {})
    await page.locator(`[data-testid="branches-total"][data-total="${before.length}"]`).waitFor()
    assert.deepEqual(await accessibilityProblems(page), [], 'the branches tab')
    await page.getByTestId('branch-create').click()
    await page.getByTestId('branch-form-name').fill('Заречье')
    await page.getByTestId('branch-form-save').click()
    await page.getByTestId('branch-name').getByText('Заречье', { exact: true }).waitFor()
    const made = (await site.api.all('branch', {})).find((b) => b.name === 'Заречье')
    assert.ok(made, 'the branch is in the API')
    assert.equal(made.is_active, 1)
    assert.equal(made.weight, Math.max(...before.map((b) => b.weight)) + 1)
    await page.getByTestId('branch-switcher').click()
    await page.getByRole('option', { name: 'Заречье', exact: true }).waitFor()
    await page.keyboard.press('Escape')
    await clearToasts(page)
    await site.shot(page, 'settings-branches')
  })
})
