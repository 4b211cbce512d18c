import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { type Lesson, MODELS } from '../../web/src/api/models.gen.js'
import { ADMIN } from '../helpers/server.js'
import {
  accessibilityProblems,
  demoSite,
  NO_BROWSER,
  PASSWORDS,
  READONLY_EMAIL,
  type Site,
  signIn,
} from './harness.js'

/** Waits (at most 15 s) until the API's answer satisfies `ok`; returns the last answer. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const v = await read()
    if (ok(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A money string as kopecks, exactly. */
function kopecks(value: string): number {
  const [whole = '0', frac = ''] = value.replace('-', '').split('.')
  const k = Number(whole) * 100 + Number(`${frac}00`.slice(0, 2))
  return value.startsWith('-') ? -k : k
}

const ALL: Array<1 | 2 | 3> = [1, 2, 3]
const EVERYONE = { is_study: 2, removed: 1 } as const

const lessonOf = (site: Site, id: number) => site.api.get('lesson', id, { status: ALL })

/** Each pupil's balance in kopecks, from the API. */
async function balances(site: Site, ids: number[]): Promise<Map<number, number>> {
  const list = await site.api.all('customer', { id: ids, ...EVERYONE })
  return new Map(list.map((c) => [c.id, kopecks(c.balance)]))
}

/** The balances the page shows once they equal `want` (the page reads them again after a save). */
async function shownBalances(page: Page, want: Map<number, number>): Promise<Map<number, number>> {
  const read = () =>
    page
      .getByTestId('lesson-balance')
      .evaluateAll((els) =>
        els.map((e) => [Number(e.getAttribute('data-customer-id')), e.getAttribute('data-value')]),
      )
  const deadline = Date.now() + 15_000
  for (;;) {
    const cells = (await read()) as Array<[number, string | null]>
    const shown = new Map(cells.filter(([, v]) => v).map(([id, v]) => [id, kopecks(v!)]))
    const same = [...want].every(([id, k]) => shown.get(id) === k)
    if (same || Date.now() > deadline) return shown
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A planned group lesson of the demo whose pupils (at least three) mostly pay for it. */
async function plannedGroupLesson(site: Site, skip: number[] = []): Promise<Lesson> {
  const planned = await site.api.all('lesson', { status: 1 })
  const found = planned.find(
    (l) =>
      !skip.includes(l.id) &&
      l.group_ids.length > 0 &&
      l.details.length >= 3 &&
      l.details.filter((d) => kopecks(d.commission ?? '0') > 0).length >= 2,
  )
  assert.ok(found, 'a planned group lesson with paying pupils')
  return found
}

async function openLesson(page: Page, site: Site, id: number) {
  await page.goto(`${site.url}/lessons/${id}`)
  await page.getByTestId('lesson-page').waitFor()
}

/**
 * The lesson page in a real browser: conducting charges exactly the attending pupils (the balances on the
 * page and in the API drop by the API's charge), un-conducting gives every kopeck back, cancelling works; a
 * readonly user sees no buttons; a teacher user marks attendance on their own lessons only.
 */
describe('staff app: lesson', { skip: NO_BROWSER }, () => {
  const site = demoSite()
  let conducted: Lesson | undefined

  test('conducting with one pupil absent charges each attending pupil exactly the lesson price', async () => {
    const lesson = await plannedGroupLesson(site)
    const pupils = lesson.details.map((d) => d.customer_id)
    const forecast = new Map(lesson.details.map((d) => [d.customer_id, kopecks(d.commission ?? '0')]))
    // The absent one is a pupil who would pay, so "unchanged" means something.
    const absent = lesson.details.find((d) => kopecks(d.commission ?? '0') > 0)!.customer_id
    const before = await balances(site, pupils)

    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    const calls: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/v2api/')) calls.push(new URL(r.url()).pathname)
    })
    await openLesson(page, site, lesson.id)
    assert.deepEqual(await shownBalances(page, before), before, 'the balances before')
    assert.ok(calls.length <= 10, `first load: ${calls.length} calls (${calls.join(', ')})`)
    const rows = page.getByTestId('lesson-pupil')
    assert.equal(await rows.count(), pupils.length, 'a row per participant')
    for (const id of pupils) {
      const box = page.locator(
        `[data-testid="lesson-pupil"][data-customer-id="${id}"] [data-testid="lesson-attend"]`,
      )
      if (id !== absent) await box.check()
    }
    await page.getByTestId('lesson-topic').fill('Времена глагола')
    assert.deepEqual(await accessibilityProblems(page), [])
    await site.shot(page, 'lesson-planned')

    await page.getByTestId('lesson-conduct').click()
    await page.locator('[data-testid="lesson-page"][data-status="3"]').waitFor()
    const after = (await lessonOf(site, lesson.id))!
    assert.equal(after.status, 3)
    assert.equal(after.topic, 'Времена глагола')
    const now = await balances(site, pupils)
    for (const d of after.details) {
      const charge = kopecks(d.commission ?? '0')
      if (d.customer_id === absent) {
        assert.equal(d.is_attend, 0)
        assert.equal(charge, 0, 'the absent pupil pays nothing')
        assert.equal(now.get(d.customer_id), before.get(d.customer_id), 'the absent balance is unchanged')
      } else {
        assert.equal(d.is_attend, 1)
        assert.equal(charge, forecast.get(d.customer_id), 'the charge is the forecast price of the tariff')
        assert.equal(
          now.get(d.customer_id),
          before.get(d.customer_id)! - charge,
          'the balance drops by the charge',
        )
      }
    }
    assert.deepEqual(await shownBalances(page, now), now, 'the page shows the new balances')
    const charges = await page
      .getByTestId('lesson-charge')
      .evaluateAll((els) =>
        els.map((e) => [Number(e.getAttribute('data-customer-id')), e.getAttribute('data-value')]),
      )
    assert.deepEqual(
      charges,
      after.details.map((d) => [d.customer_id, d.commission]),
      'the page shows the API charges',
    )
    await site.shot(page, 'lesson-conducted')
    conducted = after

    // Un-conducting gives every charge back, exactly.
    await page.getByTestId('lesson-unconduct').click()
    await page.getByTestId('lesson-confirm').click()
    await page.locator('[data-testid="lesson-page"][data-status="1"]').waitFor()
    const back = await until(
      () => balances(site, pupils),
      (b) => [...before].every(([id, k]) => b.get(id) === k),
    )
    assert.deepEqual(back, before, 'every balance restored')
    assert.deepEqual(await shownBalances(page, before), before, 'the page shows them restored')
    assert.equal((await lessonOf(site, lesson.id))!.status, 1)
  })

  test('cancelling a lesson from its page', async () => {
    const lesson = await plannedGroupLesson(site, conducted ? [conducted.id] : [])
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await openLesson(page, site, lesson.id)
    await page.getByTestId('lesson-cancel').click()
    await page.getByTestId('lesson-confirm').click()
    await page.locator('[data-testid="lesson-page"][data-status="2"]').waitFor()
    const after = await lessonOf(site, lesson.id)
    assert.equal(after?.status, 2)
    assert.ok(
      after!.details.every((d) => d.commission === '0.00'),
      'a cancelled lesson charges nobody',
    )
    // And back to the plan.
    await page.getByTestId('lesson-restore').click()
    await page.locator('[data-testid="lesson-page"][data-status="1"]').waitFor()
    assert.equal((await lessonOf(site, lesson.id))?.status, 1)
  })

  test('a readonly user sees the lesson and no buttons', async () => {
    const lesson = await plannedGroupLesson(site)
    const page = await signIn(site, READONLY_EMAIL, PASSWORDS.readonly)
    await openLesson(page, site, lesson.id)
    await page.getByTestId('lesson-pupil').first().waitFor()
    const buttons = await page.getByTestId('lesson-page').getByRole('button').count()
    assert.equal(buttons, 0, 'no buttons')
    assert.equal(await page.getByTestId('lesson-attend').first().isDisabled(), true)
    assert.deepEqual(await accessibilityProblems(page), [])
    // The schedule has no create button for them either.
    await page.goto(`${site.url}/schedule`)
    await page.locator('[data-testid="schedule-grid"][data-loaded="1"]').waitFor()
    assert.equal(await page.getByTestId('schedule-create').count(), 0)
  })

  const linked = 'teacher_id' in (MODELS.user.labels as Record<string, string>)
  test('a teacher user sees their own lessons, marks attendance on them, is refused on others', {
    skip: linked ? false : 'user.teacher_id is not in the API yet (branch api-2)',
  }, async () => {
    const lesson = await plannedGroupLesson(site)
    const teacherId = lesson.teacher_ids[0]!
    const email = 'pedagog@school.example'
    const password = 'pedagog-parol-2026'
    await site.api.create('user', {
      email,
      name: 'Педагог',
      role: 'teacher',
      branch_ids: [1],
      teacher_id: teacherId,
      password,
    } as never)
    const page = await signIn(site, email, password)

    // The week: only their lessons.
    await page.goto(`${site.url}/schedule?date=${lesson.date}`)
    await page.locator('[data-testid="schedule-grid"][data-loaded="1"]').waitFor()
    const ids = await page
      .getByTestId('lesson-block')
      .evaluateAll((els) => [...new Set(els.map((e) => Number(e.getAttribute('data-id'))))])
    const monday = new Date(`${lesson.date}T00:00:00Z`)
    monday.setUTCDate(monday.getUTCDate() + 1 - (monday.getUTCDay() || 7))
    const from = monday.toISOString().slice(0, 10)
    monday.setUTCDate(monday.getUTCDate() + 6)
    const own = await site.api.all('lesson', {
      status: ALL,
      date_from: from,
      date_to: monday.toISOString().slice(0, 10),
      teacher_id: teacherId,
    })
    assert.deepEqual(ids.sort(), own.map((l) => l.id).sort())
    await site.shot(page, 'teacher-schedule')
    assert.equal(await page.getByRole('link', { name: 'Настройки' }).count(), 0, 'no settings in the menu')

    // Their lesson: attendance is saved.
    await openLesson(page, site, lesson.id)
    assert.equal(await page.getByTestId('lesson-move').count(), 0, 'no move for a teacher')
    const first = lesson.details[0]!.customer_id
    await page
      .locator(`[data-testid="lesson-pupil"][data-customer-id="${first}"] [data-testid="lesson-attend"]`)
      .check()
    await page.getByTestId('lesson-save').click()
    const saved = await until(
      () => lessonOf(site, lesson.id),
      (l) => l?.details.find((d) => d.customer_id === first)?.is_attend === 1,
    )
    assert.equal(saved?.details.find((d) => d.customer_id === first)?.is_attend, 1)

    // Another teacher's lesson: the page shows the refusal, the API says 403.
    const other = (await site.api.all('lesson', { status: 1 })).find(
      (l) => !l.teacher_ids.includes(teacherId),
    )
    assert.ok(other, 'a lesson of another teacher')
    await openLesson(page, site, other.id).catch(() => undefined)
    const refused = page.getByTestId('lesson-error').or(page.getByRole('alert'))
    if ((await page.getByTestId('lesson-save').count()) > 0) {
      await page.getByTestId('lesson-save').click()
      await page.getByTestId('lesson-error').waitFor()
    } else {
      await refused.first().waitFor()
    }
    const status = await page.evaluate(async (id) => {
      const r = await fetch(`/v2api/1/lesson/update?id=${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-parta-csrf': '1' },
        body: JSON.stringify({ topic: 'чужой урок' }),
      })
      return r.status
    }, other.id)
    assert.equal(status, 403)

    // No settings for a teacher.
    await page.goto(`${site.url}/settings`)
    await page
      .getByText(/Страница не найдена|Недостаточно прав/)
      .first()
      .waitFor()
  })
})
