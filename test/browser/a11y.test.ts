import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ADMIN } from '../helpers/server.js'
import { accessibilityProblems, demoSite, NO_BROWSER, PASSWORDS, signIn } from './harness.js'

/**
 * Keyboard, labels and layout on every page of the app, at a laptop's 1366×768 and a tablet's 768×1024:
 * every visible control has an accessible name and no page scrolls sideways.
 */
describe('staff app: accessibility basics and layout', { skip: NO_BROWSER }, () => {
  const site = demoSite()

  test('the sign-in form works from the keyboard alone', async () => {
    const page = await site.page()
    await page.goto(`${site.url}/`)
    // The form shows once the session check has answered; the e-mail field then has the focus (typing
    // earlier, while the check is still out, would go nowhere).
    await page.getByLabel('E-mail').waitFor()
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.tagName === 'INPUT')
    assert.deepEqual(await accessibilityProblems(page), [])
    // The e-mail field has the focus first; Tab goes on to the password, Enter submits.
    await page.keyboard.type(ADMIN.email)
    await page.keyboard.press('Tab')
    await page.keyboard.type(PASSWORDS.admin)
    await page.keyboard.press('Enter')
    await page.getByTestId('user-menu').waitFor()
  })

  for (const viewport of [
    { width: 1366, height: 768 },
    { width: 768, height: 1024 },
  ]) {
    test(`every page at ${viewport.width}×${viewport.height}: labelled controls, no sideways scroll`, async () => {
      const student = (await site.api.index('customer', { count: 1 })).items[0]!
      const page = await signIn(site, ADMIN.email, PASSWORDS.admin, viewport)
      for (const path of [
        '/',
        '/customers',
        '/customers?tab=leads',
        `/customers/${student.id}`,
        '/customers/new',
        '/leads',
        '/payments',
        '/settings/users',
        '/settings/branches',
      ]) {
        await page.goto(`${site.url}${path}`, { waitUntil: 'networkidle' })
        await page.getByTestId('user-menu').waitFor()
        assert.deepEqual(await accessibilityProblems(page), [], `${path} at ${viewport.width} px`)
      }
    })
  }
})
