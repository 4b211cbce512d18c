import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import type { Lesson, LessonFilter } from '../../web/src/api/models.gen.js'
import { ADMIN } from '../helpers/server.js'
import { accessibilityProblems, demoSite, NO_BROWSER, PASSWORDS, type Site, signIn } from './harness.js'

/** Waits (at most 15 s) until the API's answer satisfies `ok`; returns the last answer. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const v = await read()
    if (ok(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Today where the browser is (the test contexts run in Moscow time). */
function todayInMoscow(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(new Date())
}

function addDays(iso: string, n: number): string {
  const d = new Date(`${iso}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

function monday(iso: string): string {
  const wd = new Date(`${iso}T00:00:00Z`).getUTCDay() || 7
  return addDays(iso, 1 - wd)
}

const ALL: Array<1 | 2 | 3> = [1, 2, 3]

const lessons = (site: Site, filter: LessonFilter) => site.api.all('lesson', { status: ALL, ...filter })

/** Opens a schedule address and waits until its data is drawn. */
async function open(page: Page, site: Site, query: string) {
  await page.goto(`${site.url}/schedule${query ? `?${query}` : ''}`)
  await page.locator('[data-testid="schedule-grid"][data-loaded="1"]').waitFor()
}

/** The lesson ids the grid shows (a lesson with two teachers is one lesson in two columns). */
async function shownIds(page: Page): Promise<number[]> {
  const ids = await page
    .getByTestId('lesson-block')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))))
  return [...new Set(ids)].sort((a, b) => a - b)
}

const idsOf = (list: Lesson[]) => list.map((l) => l.id).sort((a, b) => a - b)

/** Picks an option of a Mantine Select or MultiSelect. */
async function choose(page: Page, testid: string, option: string) {
  await page.getByTestId(testid).click()
  await page.getByRole('option', { name: option, exact: true }).click()
}

/**
 * The schedule in a real browser against the demo school: the grid shows exactly the API's lessons of the
 * period and filter, by room and by teacher; the month counts are the API's; a lesson is created from a
 * slot and moved by dragging; a clash is warned about before saving.
 */
describe('staff app: schedule', { skip: NO_BROWSER }, () => {
  const site = demoSite()
  const today = todayInMoscow()
  const week = monday(today)
  const nextWeek = addDays(week, 7)

  test('the week shows the API lessons of the week, by room and by teacher, in at most 10 calls', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    const calls: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/v2api/')) calls.push(new URL(r.url()).pathname)
    })
    await open(page, site, '')
    const api = await lessons(site, { date_from: week, date_to: addDays(week, 6) })
    assert.ok(api.length > 0, 'the demo week has lessons')
    assert.deepEqual(await shownIds(page), idsOf(api))
    assert.ok(calls.length <= 10, `first load: ${calls.length} calls (${calls.join(', ')})`)
    // The dictionaries and the week's first lessons page are asked together, as one batch.
    const alone = calls.filter((c) => /\/(room|teacher|subject|group|lesson)\/index$/.test(c))
    assert.deepEqual(alone, [], `asked one by one: ${calls.join(', ')}`)
    assert.ok(calls.includes('/v2api/batch'), calls.join(', '))
    const rooms = await site.api.all('room')
    const roomHeads = await page.getByTestId('slot').evaluateAll((els) => {
      const cols = new Set(
        els.map((e) => `${e.getAttribute('data-date')}|${e.getAttribute('data-resource')}`),
      )
      return cols.size
    })
    assert.equal(roomHeads, 7 * rooms.length, 'a column per day and room')
    assert.deepEqual(await accessibilityProblems(page), [])
    await site.shot(page, 'schedule-week-rooms')

    await page.getByText('По педагогам').click()
    await page.locator('[data-testid="schedule-grid"][data-columns="teacher"][data-loaded="1"]').waitFor()
    assert.equal(new URL(page.url()).searchParams.get('columns'), 'teacher')
    assert.deepEqual(await shownIds(page), idsOf(api))
    const teachers = await site.api.all('teacher')
    const resources = await page
      .getByTestId('slot')
      .evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-resource')))])
    for (const t of teachers) assert.ok(resources.includes(String(t.id)), `a column for teacher ${t.id}`)
    await site.shot(page, 'schedule-week-teachers')

    // A teacher filter narrows the grid to the API's lessons of that teacher, and stays in the address.
    const teacher = api[0]!.teacher_ids[0]!
    const name = teachers.find((t) => t.id === teacher)!.name
    await choose(page, 'filter-teacher', name)
    await page.waitForURL((u) => u.searchParams.get('teacher') === String(teacher))
    await page.locator('[data-testid="schedule-grid"][data-loaded="1"]').waitFor()
    const own = await lessons(site, { date_from: week, date_to: addDays(week, 6), teacher_id: teacher })
    assert.deepEqual(await shownIds(page), idsOf(own))

    // The same address in a new page gives the same view.
    const again = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await open(again, site, new URL(page.url()).search.slice(1))
    assert.deepEqual(await shownIds(again), idsOf(own))
  })

  test('the tablet layout scrolls the grid, not the page', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin, { width: 768, height: 1024 })
    await open(page, site, '')
    assert.deepEqual(await accessibilityProblems(page), [])
    await site.shot(page, 'schedule-week-tablet')
  })

  test('the month counts the API lessons per day; a day opens the day view', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await open(page, site, `view=month&date=${today}`)
    const month = today.slice(0, 7)
    const api = await lessons(site, { date_from: `${month}-01`, date_to: addDays(`${month}-28`, 3) })
    const days = [...new Set(api.map((l) => l.date))].sort().slice(0, 4)
    assert.ok(days.length > 0, 'lessons this month')
    for (const day of [...days, `${month}-01`]) {
      const perDay = await site.api.index('lesson', { status: ALL, date_from: day, date_to: day, count: 1 })
      const shown = await page
        .locator(`[data-testid="month-day"][data-date="${day}"]`)
        .getAttribute('data-count')
      assert.equal(Number(shown), perDay.total, `lessons on ${day}`)
    }
    assert.deepEqual(await accessibilityProblems(page), [])
    await site.shot(page, 'schedule-month')

    const day = days[days.length - 1]!
    await page.locator(`[data-testid="month-day"][data-date="${day}"]`).click()
    await page.waitForURL((u) => u.searchParams.get('view') === 'day' && u.searchParams.get('date') === day)
    await page.locator('[data-testid="schedule-grid"][data-loaded="1"]').waitFor()
    assert.deepEqual(await shownIds(page), idsOf(await lessons(site, { date_from: day, date_to: day })))
    assert.deepEqual(await accessibilityProblems(page), [])
    await site.shot(page, 'schedule-day')
  })

  test('a lesson made by clicking a slot is in the week and the API; dragging moves it', async () => {
    const rooms = await site.api.all('room')
    const subjects = await site.api.all('subject')
    const groups = await site.api.all('group')
    const room = rooms[0]!
    const day = addDays(nextWeek, 1)
    const before = await lessons(site, { date_from: day, date_to: day })
    assert.ok(!before.some((l) => l.time_from.slice(11, 16) < '12:00'), 'the morning is free')

    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await open(page, site, `date=${day}`)
    await page
      .locator(`[data-testid="slot"][data-date="${day}"][data-time="09:00"][data-resource="${room.id}"]`)
      .click()
    const form = page.getByTestId('lesson-form')
    await form.waitFor()
    assert.equal(await page.getByTestId('lesson-form-time').inputValue(), '09:00')
    assert.equal(await page.getByTestId('lesson-form-room').inputValue(), room.name)
    await choose(page, 'lesson-form-subject', subjects[0]!.name)
    await choose(page, 'lesson-form-group', groups[0]!.name)
    await page.getByTestId('lesson-form-save').click()
    await form.waitFor({ state: 'detached' })

    const made = await until(
      () => lessons(site, { date_from: day, date_to: day, room_id: room.id }),
      (list) => list.some((l) => l.time_from.endsWith('09:00:00')),
    )
    const lesson = made.find((l) => l.time_from.endsWith('09:00:00'))
    assert.ok(lesson, 'the API has the new lesson')
    assert.equal(lesson.time_to.slice(11, 16), '10:00')
    assert.equal(lesson.subject_id, subjects[0]!.id)
    assert.deepEqual(lesson.group_ids, [groups[0]!.id])
    assert.ok(lesson.details.length > 0, 'the group members take part')
    const block = page.locator(`[data-testid="lesson-block"][data-id="${lesson.id}"]`)
    await block.waitFor()

    // Dragged to 11:00 in the next room: the API has the new time and room, the length kept.
    const target = rooms[1]!
    await block.dragTo(
      page.locator(
        `[data-testid="slot"][data-date="${day}"][data-time="11:00"][data-resource="${target.id}"]`,
      ),
    )
    const moved = await until(
      () => site.api.get('lesson', lesson.id, { status: ALL }),
      (l) => l?.time_from.slice(11, 16) === '11:00',
    )
    assert.equal(moved?.time_from.slice(11, 16), '11:00')
    assert.equal(moved?.time_to.slice(11, 16), '12:00')
    assert.equal(moved?.room_id, target.id)
    assert.equal(moved?.date, day)
    await page
      .locator(`[data-testid="lesson-block"][data-id="${lesson.id}"]`)
      .filter({ hasText: '11:00–12:00' })
      .waitFor()
  })

  test('a lesson in an occupied room is warned about, listing the clash, and may still be saved', async () => {
    const busy = (
      await lessons(site, { date_from: nextWeek, date_to: addDays(nextWeek, 6), status: 1 })
    ).find((l) => l.room_id !== null)
    assert.ok(busy, 'a planned lesson with a room next week')
    const start = busy.time_from.slice(11, 16)
    const subjects = await site.api.all('subject')
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await open(page, site, `date=${busy.date}`)
    // A free slot of that room; then the time of the lesson already there.
    await page
      .locator(
        `[data-testid="slot"][data-date="${busy.date}"][data-time="08:00"][data-resource="${busy.room_id}"]`,
      )
      .click()
    await page.getByTestId('lesson-form-time').fill(start)
    await choose(page, 'lesson-form-subject', subjects[1]!.name)
    await page.getByTestId('lesson-form-save').click()
    const warning = page.getByTestId('conflict-warning')
    await warning.waitFor()
    const listed = await warning
      .getByTestId('conflict-lesson')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))))
    assert.ok(listed.includes(busy.id), `the clash with lesson ${busy.id} is listed`)
    const count = (await lessons(site, { date_from: busy.date, date_to: busy.date })).length
    assert.deepEqual(await accessibilityProblems(page), [])
    await site.shot(page, 'schedule-conflict')

    await page.getByTestId('lesson-form-save').click()
    await page.getByTestId('lesson-form').waitFor({ state: 'detached' })
    const after = await until(
      () => lessons(site, { date_from: busy.date, date_to: busy.date }),
      (list) => list.length === count + 1,
    )
    const both = after.filter((l) => l.room_id === busy.room_id && l.time_from === busy.time_from)
    assert.equal(both.length, 2, 'saved anyway: two lessons in the room at that time')
  })
})
