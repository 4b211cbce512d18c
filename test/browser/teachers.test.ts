import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Cookie, Page } from 'playwright-core'
import { ADMIN } from '../helpers/server.js'
import { accessibilityProblems, demoSite, NO_BROWSER, PASSWORDS, READONLY_EMAIL, signIn } from './harness.js'

async function clearToasts(page: Page) {
  for (const b of await page.locator('.mantine-Notification-closeButton').all())
    await b.click().catch(() => {})
}

/**
 * Teachers in a real browser against the demo school: the list's totals are the API's, working hours and
 * rates written in the card are in the API, a readonly user sees no write control, accessibility and the
 * number of calls a page makes to load.
 */
describe('staff app: teachers', { skip: NO_BROWSER }, () => {
  const site = demoSite()
  let cookies: Cookie[] | undefined
  const admin = async (path: string, viewport?: { width: number; height: number }) => {
    if (!cookies) {
      const first = await signIn(site, ADMIN.email, PASSWORDS.admin, viewport)
      cookies = await first.context().cookies()
      await first.close()
    }
    const page = await site.page(viewport)
    await page.context().addCookies(cookies)
    await page.goto(`${site.url}${path}`)
    await page.getByTestId('user-menu').waitFor()
    return page
  }
  const waitTotal = (page: Page, total: number) =>
    page.locator(`[data-testid="teachers-total"][data-total="${total}"]`).waitFor()
  const firstTeacher = async () => (await site.api.index('teacher', {})).items[0]!

  test('the list shows the API total; a subject filter narrows it to the API total', async () => {
    const page = await admin('/teachers')
    const all = await site.api.index('teacher', { removed: 0 })
    assert.ok(all.total > 0)
    await waitTotal(page, all.total)
    const ids = await page
      .getByTestId('teacher-row')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))))
    assert.deepEqual(
      ids,
      all.items.map((x) => x.id),
    )
    await site.shot(page, 'teachers-list')
    const subject = all.items[0]!.subject_ids[0]!
    const narrowed = await site.api.index('teacher', { removed: 0, subject_id: subject })
    const name = (await site.api.get('subject', subject))!.name
    await page.getByTestId('teachers-subject').click()
    await page.getByRole('option', { name, exact: true }).click()
    await waitTotal(page, narrowed.total)
    assert.match(page.url(), new RegExp(`subject=${subject}`))
  })

  test('working hours: an interval added on Tuesday is in the API, then changed and removed', async () => {
    const teacher = await firstTeacher()
    const page = await admin(`/teachers/${teacher.id}`)
    await page.getByTestId('hours-day-2').waitFor()
    await page.getByTestId('hours-add-2').click()
    await page.getByTestId('hours-from').fill('10:00')
    await page.getByTestId('hours-to').fill('14:30')
    await page.getByTestId('hours-save').click()
    await page.getByTestId('hours-day-2').getByTestId('hours-interval').waitFor()
    const hours = await site.api.index('teacher/working-hour', { teacher_id: teacher.id })
    assert.equal(hours.total, 1)
    assert.equal(hours.items[0]!.weekday, 2)
    assert.match(hours.items[0]!.time_from, /^10:00/)
    assert.match(hours.items[0]!.time_to, /^14:30/)
    // A second interval the same day, and one on Thursday.
    await page.getByTestId('hours-add-2').click()
    await page.getByTestId('hours-from').fill('16:00')
    await page.getByTestId('hours-to').fill('19:00')
    await page.getByTestId('hours-save').click()
    await page.getByTestId('hours-add-4').click()
    await page.getByTestId('hours-from').fill('09:00')
    await page.getByTestId('hours-to').fill('13:00')
    await page.getByTestId('hours-save').click()
    await page.getByTestId('hours-day-4').getByTestId('hours-interval').waitFor()
    assert.equal(await page.getByTestId('hours-day-2').getByTestId('hours-interval').count(), 2)
    assert.equal((await site.api.index('teacher/working-hour', { teacher_id: teacher.id })).total, 3)
    await clearToasts(page)
    await page.getByTestId('working-hours').scrollIntoViewIfNeeded()
    await site.shot(page, 'teacher-working-hours')

    // Change the Thursday one; a wrong period shows the API's message by the field.
    await page.getByRole('button', { name: 'Изменить интервал Четверг 09:00–13:00' }).click()
    await page.getByTestId('hours-to').fill('08:00')
    await page.getByTestId('hours-save').click()
    await page.getByText('Некорректный период').waitFor()
    await page.getByTestId('hours-to').fill('12:00')
    await page.getByTestId('hours-save').click()
    await page.getByRole('button', { name: 'Изменить интервал Четверг 09:00–12:00' }).waitFor()
    await page.getByRole('button', { name: 'Удалить интервал Четверг 09:00–12:00' }).click()
    await page.getByTestId('hours-day-4').getByText('выходной').waitFor()
    assert.equal(
      (await site.api.index('teacher/working-hour', { teacher_id: teacher.id, weekday: 4 })).total,
      0,
    )
  })

  test('a rate added in the card is in the API', async () => {
    const teacher = await firstTeacher()
    const page = await admin(`/teachers/${teacher.id}`)
    await page.getByTestId('rate-add').click()
    await page.getByTestId('rate-rate').fill('850,50')
    await page.getByTestId('rate-save').click()
    await page.getByTestId('rate-row').waitFor()
    const rates = await site.api.index('teacher/teacher-rate', { teacher_id: teacher.id })
    assert.equal(rates.total, 1)
    assert.equal(rates.items[0]!.rate, '850.50')
    assert.equal(rates.items[0]!.type, 1)
    assert.equal(rates.items[0]!.condition_attend, 3)
    assert.match((await page.getByTestId('rate-value').textContent()) ?? '', /850,50/)
    assert.equal(
      await page.getByTestId('teacher-week').getAttribute('href'),
      `/schedule?teacher=${teacher.id}&view=week`,
    )
    await clearToasts(page)
    await site.shot(page, 'teacher-card')
  })

  test('a readonly user sees no write controls', async () => {
    const teacher = await firstTeacher()
    const page = await signIn(site, READONLY_EMAIL, PASSWORDS.readonly)
    await page.goto(`${site.url}/teachers`)
    await page.getByTestId('teacher-row').first().waitFor()
    assert.equal(await page.getByTestId('teacher-create').count(), 0)
    await page.goto(`${site.url}/teachers/${teacher.id}`)
    await page.getByTestId('hours-interval').first().waitFor()
    await page.getByTestId('rate-row').first().waitFor()
    for (const id of [
      'teacher-edit',
      'teacher-archive',
      'teacher-restore',
      'hours-add-1',
      'hours-remove',
      'rate-add',
      'rate-remove',
    ])
      assert.equal(await page.getByTestId(id).count(), 0, id)
    assert.equal(await page.locator('[data-testid="hours-interval"] button').count(), 0)
  })

  test('archive and restore a teacher', async () => {
    const teacher = (await site.api.index('teacher', {})).items[1]!
    const page = await admin(`/teachers/${teacher.id}`)
    page.on('dialog', (d) => void d.accept())
    await page.getByTestId('teacher-archive').click()
    await page.getByTestId('teacher-archived').waitFor()
    assert.equal((await site.api.get('teacher', teacher.id, { removed: 1 }))!.removed, 1)
    await page.getByTestId('teacher-restore').click()
    await page.getByTestId('teacher-archive').waitFor()
    assert.equal((await site.api.get('teacher', teacher.id, { removed: 1 }))!.removed, 0)
  })

  for (const viewport of [
    { width: 1366, height: 768 },
    { width: 768, height: 1024 },
  ])
    test(`list and card: labelled controls, no sideways scroll, at most 10 calls to load (${viewport.width} px)`, async () => {
      const teacher = await firstTeacher()
      await admin('/teachers', viewport)
      for (const [path, ready] of [
        ['/teachers', 'teacher-row'],
        [`/teachers/${teacher.id}`, 'rates'],
      ] as const) {
        const page = await site.page(viewport)
        await page.context().addCookies(cookies!)
        const calls: string[] = []
        page.on('request', (r) => {
          if (r.url().includes('/v2api/')) calls.push(new URL(r.url()).pathname)
        })
        await page.goto(`${site.url}${path}`)
        await page.getByTestId(ready).first().waitFor()
        await page.waitForLoadState('networkidle')
        assert.ok(calls.length <= 10, `${path}: ${calls.length} calls\n${calls.join('\n')}`)
        assert.deepEqual(await accessibilityProblems(page), [], `${path} at ${viewport.width} px`)
      }
    })
})
