import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Cookie, Page } from 'playwright-core'
import { ADMIN } from '../helpers/server.js'
import { accessibilityProblems, demoSite, NO_BROWSER, PASSWORDS, READONLY_EMAIL, signIn } from './harness.js'

const ISO = (d: Date) => d.toISOString().slice(0, 10)
const DMY = (iso: string) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`
/** `dd.mm.yyyy` or `yyyy-mm-dd` → `yyyy-mm-dd`. */
const toIso = (v: string) =>
  /^\d{2}\.\d{2}\.\d{4}$/.test(v) ? `${v.slice(6)}-${v.slice(3, 5)}-${v.slice(0, 2)}` : v.slice(0, 10)
const plusDays = (iso: string, n: number) => {
  const d = new Date(`${iso}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return ISO(d)
}
/** ISO weekday, 1 = Monday … 7 = Sunday. */
const weekday = (iso: string) => ((new Date(`${iso}T00:00:00Z`).getUTCDay() + 6) % 7) + 1

/** Today in the browser's calendar (the harness runs it in Europe/Moscow). */
function moscowToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(new Date())
}

async function until(check: () => Promise<boolean>, what: string, ms = 15_000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function clearToasts(page: Page) {
  for (const b of await page.locator('.mantine-Notification-closeButton').all())
    await b.click().catch(() => {})
}

/** Types a date into a Mantine date input and leaves it. */
async function typeDate(page: Page, testid: string, iso: string) {
  const input = page.getByTestId(testid)
  await input.fill(DMY(iso))
  // Away from the field (inside the dialog): the calendar closes, the typed date stays.
  await page.locator('.mantine-Modal-title').click()
}

async function pick(page: Page, testid: string, option: string) {
  await page.getByTestId(testid).click()
  await page.getByRole('option', { name: option, exact: true }).click()
}

/**
 * Groups in a real browser against the demo school: the list's totals are the API's, a weekly slot made in
 * the card generates the lessons §6.7 says, memberships are added and ended, archive and restore, a
 * readonly user sees no write control, accessibility and the number of calls a page makes to load.
 */
describe('staff app: groups', { skip: NO_BROWSER }, () => {
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
    page.locator(`[data-testid="groups-total"][data-total="${total}"]`).waitFor()
  let groupId = 0

  test('the list shows the API total; a teacher filter narrows it to the API total, kept in the URL', async () => {
    const page = await admin('/groups')
    const all = await site.api.index('group', { removed: 0 })
    assert.ok(all.total > 0)
    await waitTotal(page, all.total)
    assert.equal(await page.getByTestId('group-row').count(), all.items.length)
    // Every row's member count is the number of current memberships (one cgi/count for the page).
    const first = all.items[0]!
    const members = await site.api.index('cgi', { group_id: first.id })
    await page
      .locator(
        `[data-testid="group-row"][data-id="${first.id}"] [data-testid="group-members"][data-count="${members.total}"]`,
      )
      .waitFor()
    for (const g of all.items) {
      const n = (await site.api.index('cgi', { group_id: g.id, count: 1 })).total
      await page
        .locator(
          `[data-testid="group-row"][data-id="${g.id}"] [data-testid="group-members"][data-count="${n}"]`,
        )
        .waitFor()
    }
    await site.shot(page, 'groups-list')

    const teacher = first.teacher_ids[0]!
    const narrowed = await site.api.index('group', { removed: 0, teacher_id: teacher })
    assert.ok(narrowed.total < all.total)
    const name = (await site.api.get('teacher', teacher))!.name
    await pick(page, 'groups-teacher', name)
    await waitTotal(page, narrowed.total)
    assert.match(page.url(), new RegExp(`teacher=${teacher}`))
    const ids = await page
      .getByTestId('group-row')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))))
    assert.deepEqual(
      ids,
      narrowed.items.map((g) => g.id),
    )
    await page.reload()
    await waitTotal(page, narrowed.total)
  })

  test('creating a group and a weekly slot generates its lessons; the card lists them', async () => {
    const page = await admin('/groups')
    await page.getByTestId('group-create').click()
    await page.getByTestId('group-form-name').fill('Тестовая группа · вечер')
    await page.getByTestId('group-form-save').click()
    await page.getByTestId('group-card').waitFor()
    groupId = Number(await page.getByTestId('group-card').getAttribute('data-id'))
    assert.equal((await site.api.get('group', groupId))!.name, 'Тестовая группа · вечер')
    await page.getByTestId('upcoming-empty').waitFor()

    // Mondays and Wednesdays 18:00–19:00, from today for four weeks.
    const from = moscowToday()
    const to = plusDays(from, 27)
    await page.getByTestId('regular-add').click()
    await page.getByLabel('Понедельник').check()
    await page.getByLabel('Среда').check()
    await page.getByTestId('regular-time-from').fill('18:00')
    await page.getByTestId('regular-time-to').fill('19:00')
    await typeDate(page, 'regular-e-date', to)
    const subjects = await site.api.index('subject', {})
    await pick(page, 'regular-subject', subjects.items[0]!.name)
    await site.shot(page, 'group-regular-lessons-form')
    await page.getByTestId('regular-save').click()
    await page.getByTestId('regular-row').waitFor()

    const slots = await site.api.index('regular-lesson', { related_class: 'Group', related_id: groupId })
    assert.equal(slots.total, 1)
    const slot = slots.items[0]!
    assert.deepEqual(slot.days, [1, 3])
    assert.equal(slot.b_date, from)
    assert.equal(slot.e_date, to)
    // §6.7: one lesson per date of the period whose weekday is in `days`.
    let expected = 0
    for (let d = from; d <= to; d = plusDays(d, 1)) if ([1, 3].includes(weekday(d))) expected++
    assert.equal(expected, 8)
    const lessons = await site.api.index('lesson', { group_id: groupId, status: [1] })
    assert.equal(lessons.total, expected)
    for (const l of lessons.items) {
      assert.ok([1, 3].includes(weekday(l.date)))
      assert.match(l.time_from, /18:00/)
    }
    // The card's upcoming list was refreshed by the change: the same lessons, the nearest first.
    const upcoming = await site.api.index('lesson', {
      group_id: groupId,
      status: [1],
      date_from: from,
      sort: 'date,time_from',
      count: 10,
    })
    await page.locator(`[data-testid="upcoming-total"][data-total="${upcoming.total}"]`).waitFor()
    const shown = await page
      .getByTestId('upcoming-row')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))))
    assert.deepEqual(
      shown,
      upcoming.items.map((l) => l.id),
    )
    assert.equal(
      await page
        .getByTestId('group-upcoming')
        .getByRole('link', { name: 'Расписание группы' })
        .getAttribute('href'),
      `/schedule?group=${groupId}`,
    )
    await clearToasts(page)
    await page.getByTestId('regular-lessons').scrollIntoViewIfNeeded()
    await site.shot(page, 'group-regular-lessons')

    // Changing the slot from a later date: the old one ends the day before, a new one starts then.
    const later = plusDays(from, 14)
    await page.getByTestId('regular-change').click()
    await page.getByTestId('regular-time-from').fill('17:00')
    await page.getByTestId('regular-time-to').fill('18:00')
    await typeDate(page, 'regular-from', later)
    await page.getByTestId('regular-save').click()
    await until(async () => (await page.getByTestId('regular-row').count()) === 2, 'two slots')
    const after = await site.api.index('lesson', { group_id: groupId, status: [1], count: 50 })
    assert.equal(after.total, expected)
    for (const l of after.items) assert.match(l.time_from, l.date < later ? /18:00/ : /17:00/)
  })

  test('a pupil joins from a date and the membership is ended', async () => {
    assert.ok(groupId > 0)
    const page = await admin(`/groups/${groupId}`)
    const pupil = (await site.api.index('customer', { is_study: 1 })).items[2]!
    const from = plusDays(moscowToday(), -10)
    await page.getByTestId('member-add').click()
    await page.getByTestId('member-customer').fill(pupil.name.split(' ')[0]!)
    await page.getByRole('option', { name: pupil.name }).click()
    await typeDate(page, 'member-from', from)
    await page.getByTestId('member-save').click()
    await page.locator(`[data-testid="members-current"] [data-customer="${pupil.id}"]`).waitFor()
    const joined = await site.api.index('cgi', { group_id: groupId })
    assert.equal(joined.total, 1)
    assert.equal(toIso(joined.items[0]!.b_date), from)
    // The pupil takes part in the group's planned lessons (§6.3).
    const lessons = await site.api.index('lesson', { group_id: groupId, status: [1], customer_id: pupil.id })
    assert.equal(lessons.total, (await site.api.index('lesson', { group_id: groupId, status: [1] })).total)
    await clearToasts(page)
    await site.shot(page, 'group-card')

    const till = plusDays(moscowToday(), -1)
    await page.getByTestId('member-end').click()
    await typeDate(page, 'member-end-date', till)
    await page.getByTestId('member-end-save').click()
    await page.locator(`[data-testid="members-ended"] [data-customer="${pupil.id}"]`).waitFor()
    const ended = await site.api.index('cgi', { group_id: groupId, date_from: '2000-01-01' })
    assert.equal(toIso(ended.items[0]!.e_date!), till)
    assert.equal((await site.api.index('cgi', { group_id: groupId })).total, 0)
    // No longer a participant of the planned lessons after the end.
    const still = await site.api.index('lesson', { group_id: groupId, status: [1], customer_id: pupil.id })
    assert.equal(still.total, 0)
  })

  test('archive and restore the group', async () => {
    const page = await admin(`/groups/${groupId}`)
    page.on('dialog', (d) => void d.accept())
    await page.getByTestId('group-archive').click()
    await page.getByTestId('group-archived').waitFor()
    assert.equal((await site.api.get('group', groupId, { removed: 1 }))!.removed, 1)
    await page.getByTestId('group-restore').click()
    await page.getByTestId('group-archive').waitFor()
    assert.equal((await site.api.get('group', groupId, { removed: 1 }))!.removed, 0)
  })

  test('a readonly user sees no write controls', async () => {
    const page = await signIn(site, READONLY_EMAIL, PASSWORDS.readonly)
    await page.goto(`${site.url}/groups`)
    await page.getByTestId('group-row').first().waitFor()
    assert.equal(await page.getByTestId('group-create').count(), 0)
    await page.goto(`${site.url}/groups/${groupId}`)
    await page.getByTestId('regular-row').first().waitFor()
    await page.getByTestId('upcoming-row').first().waitFor()
    for (const id of [
      'group-edit',
      'group-archive',
      'group-restore',
      'member-add',
      'member-end',
      'member-remove',
      'regular-add',
      'regular-change',
      'regular-end',
      'regular-remove',
    ])
      assert.equal(await page.getByTestId(id).count(), 0, id)
    assert.equal(await page.getByTestId('group-schedule').count(), 1)
  })

  for (const viewport of [
    { width: 1366, height: 768 },
    { width: 768, height: 1024 },
  ])
    test(`list and card: labelled controls, no sideways scroll, at most 10 calls to load (${viewport.width} px)`, async () => {
      await admin('/groups', viewport)
      for (const [path, ready] of [
        ['/groups', 'group-row'],
        [`/groups/${groupId}`, 'upcoming-row'],
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
        if (viewport.width === 768 && path !== '/groups') await site.shot(page, 'group-card-tablet')
      }
    })
})
