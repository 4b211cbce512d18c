import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import type { CustomerFilter } from '../../web/src/api/models.gen.js'
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

function monthEnd(iso: string): string {
  const d = new Date(`${iso.slice(0, 7)}-01T00:00:00Z`)
  d.setUTCMonth(d.getUTCMonth() + 1)
  d.setUTCDate(0)
  return d.toISOString().slice(0, 10)
}

const CARDS = [
  'dash-today',
  'dash-tasks',
  'dash-past',
  'dash-debtors',
  'dash-expiring',
  'dash-leads',
  'dash-income',
]

/** Opens the dashboard and waits until every card shown has its data (or its error). */
async function openDashboard(page: Page, site: Site) {
  await page.goto(`${site.url}/`)
  await page.getByTestId('dashboard').waitFor()
  const deadline = Date.now() + 15_000
  while ((await page.locator('[data-testid="dashboard"] [data-loaded="0"]').count()) > 0) {
    if (Date.now() > deadline) throw new Error('the dashboard did not finish loading')
    await page.waitForTimeout(100)
  }
}

const attr = (page: Page, testid: string, name = 'data-value') => page.getByTestId(testid).getAttribute(name)

/** The customers list's total once it has answered. */
async function listTotal(page: Page): Promise<number> {
  await page.getByTestId('customers-total').waitFor()
  return Number(await attr(page, 'customers-total', 'data-total'))
}

/**
 * The dashboard in a real browser against the demo school: every figure equals the API's answer for the
 * filter of the list it links to, and that list shows the same number; the page loads in at most 10 calls;
 * a readonly user and a teacher see it without errors.
 */
describe('staff app: dashboard', { skip: NO_BROWSER }, () => {
  const site = demoSite()
  const today = todayInMoscow()
  const debtorsFilter: CustomerFilter = { is_study: 1, removed: 0, balance_contract_to: '-0.01' }

  test('admin lands on the dashboard; each figure equals the API and opens its list; ≤ 10 calls', async (t) => {
    // A lesson left planned three days ago, an overdue task of the admin's, a lead of this week.
    const any = (await site.api.index('lesson', { status: [1, 2, 3], count: 1 })).items[0]!
    const past = await site.api.create('lesson', {
      date: addDays(today, -3),
      time_from: '08:00',
      time_to: '08:45',
      lesson_type_id: any.lesson_type_id,
      subject_id: any.subject_id,
      teacher_ids: any.teacher_ids,
      customer_ids: any.customer_ids,
      group_ids: any.group_ids,
    })
    const me = (await site.api.me()).user
    const customer = (await site.api.index('customer', { count: 1 })).items[0]!
    await site.api.create('task', {
      title: 'Позвонить родителям',
      text: 'Напомнить об оплате',
      assigned_ids: [me.id],
      customer_ids: [customer.id],
      due_date: addDays(today, -2),
    })
    const dmy = (iso: string) => iso.split('-').reverse().join('.')
    const lessonToday = await site.api.create('lesson', {
      date: today,
      time_from: '09:00',
      time_to: '09:45',
      lesson_type_id: any.lesson_type_id,
      subject_id: any.subject_id,
      teacher_ids: any.teacher_ids,
      customer_ids: any.customer_ids,
      group_ids: any.group_ids,
    })
    // A weekly subscription from today ends within the week; an income today.
    const weekly = await site.api.create('tariff', {
      type: 3,
      name: 'Неделя',
      price: '1500',
      period_count: 1,
      period_type: 2,
    } as never)
    await site.api.create('customer-tariff', { tariff_id: weekly.id, b_date: dmy(today) } as never, {
      customer_id: customer.id,
    })
    const account = (await site.api.index('pay-account', { count: 1 })).items[0]!
    await site.api.create('pay', {
      pay_type_id: 1,
      customer_id: customer.id,
      pay_account_id: account.id,
      document_date: dmy(today),
      income: '1500.00',
    })
    const source = (await site.api.index('lead-source', { count: 1 })).items[0]!
    await site.api.create('customer', {
      name: 'Лид Недели',
      is_study: 0,
      legal_type: 1,
      lead_source_id: source.id,
    })

    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    assert.equal(new URL(page.url()).pathname, '/')
    await page.getByTestId('dashboard').waitFor()

    // A fresh load of the page, every call counted (the frame's included).
    const calls: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/v2api/')) calls.push(new URL(r.url()).pathname)
    })
    await openDashboard(page, site)
    await page.waitForLoadState('networkidle')
    assert.ok(calls.length <= 10, `first load: ${calls.length} calls\n${calls.join('\n')}`)
    t.diagnostic(`first load: ${calls.length} calls: ${calls.join(', ')}`)
    for (const id of CARDS) assert.equal(await attr(page, id, 'data-loaded'), '1', `${id} loaded`)

    // Today's lessons: the API's lessons of today, in time order.
    const todays = await site.api.index('lesson', {
      status: [1, 2, 3],
      date_from: today,
      date_to: today,
      count: 50,
    })
    assert.ok(todays.items.some((l) => l.id === lessonToday.id))
    assert.equal(Number(await attr(page, 'dash-today-count')), todays.total)
    const rows = await page
      .getByTestId('dash-lesson-row')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-lesson-id'))))
    assert.deepEqual(
      [...rows].sort((a, b) => a - b),
      todays.items.map((l) => l.id).sort((a, b) => a - b),
    )

    // Past lessons still planned: the one made above among them, oldest first.
    const planned = await site.api.index('lesson', { status: 1, date_to: addDays(today, -1), count: 1 })
    assert.ok(planned.total >= 1)
    assert.equal(Number(await attr(page, 'dash-past-count')), planned.total)
    assert.ok((await page.getByTestId('dash-past-row').allTextContents()).length >= 1)
    assert.ok(past.id > 0)

    // Tasks: the overdue one is highlighted.
    const task = page.getByTestId('dash-task').filter({ hasText: 'Позвонить родителям' })
    assert.equal(await task.getAttribute('data-overdue'), '1')

    // Income this month equals pay/total for the same range, and the accounts add up to it.
    const month = { date_from: `${today.slice(0, 7)}-01`, date_to: monthEnd(today), pay_type_id: 1 }
    const totals = await site.api.call<{ income: string }>('pay', 'total', month)
    assert.ok(Number(totals.income) >= 1500)
    assert.equal(await attr(page, 'dash-income-total'), totals.income)
    const accounts = await page
      .getByTestId('dash-income-account')
      .evaluateAll((els) =>
        els.map((e) => e.querySelector('[data-value]')?.getAttribute('data-value') ?? '0'),
      )
    const kopecks = (v: string) => Math.round(Number(v) * 100)
    assert.equal(
      accounts.reduce((n, v) => n + kopecks(v), 0),
      kopecks(totals.income),
    )

    // New leads this week: the API's count, by source.
    const week = {
      is_study: 0,
      removed: 0,
      date_from: monday(today),
      date_to: addDays(monday(today), 6),
    } as const
    const leads = await site.api.index('customer', { ...week, count: 1 })
    assert.ok(leads.total >= 1)
    assert.equal(Number(await attr(page, 'dash-leads-count')), leads.total)
    const bySource = await site.api.index('customer', { ...week, lead_source_id: source.id, count: 1 })
    const sourceRow = page.getByTestId('dash-lead-source').filter({ hasText: source.name })
    assert.equal(Number(await sourceRow.locator('[data-value]').getAttribute('data-value')), bySource.total)

    assert.deepEqual(await accessibilityProblems(page), [])
    await site.shot(page, 'dashboard')

    // Debtors: the count equals customer/index with the list's debtors filter, and the list shows it too.
    const debtors = await site.api.index('customer', { ...debtorsFilter, count: 1 })
    assert.ok(debtors.total > 0, 'the demo school has debtors')
    assert.equal(Number(await attr(page, 'dash-debtors-count')), debtors.total)
    await page.getByTestId('dash-debtors-count').click()
    await page.waitForURL((u) => u.pathname === '/customers' && u.searchParams.get('debtors') === '1')
    assert.equal(await listTotal(page), debtors.total)

    // Subscriptions ending within 7 days: the same on the list it opens.
    await page.goBack()
    await openDashboard(page, site)
    const expiring = await site.api.index('customer', {
      tariff_till_from: today,
      tariff_till_to: addDays(today, 7),
      count: 1,
    })
    assert.ok(expiring.total >= 1)
    assert.equal(Number(await attr(page, 'dash-expiring-count')), expiring.total)
    await page.getByTestId('dash-expiring-count').click()
    await page.waitForURL((u) => u.searchParams.get('till_to') === addDays(today, 7))
    assert.equal(await listTotal(page), expiring.total)
    await page.getByTestId('filter-chip-till').waitFor()

    // The week's leads open the leads tab with the same number.
    await page.goBack()
    await openDashboard(page, site)
    await page.getByTestId('dash-leads-count').click()
    await page.waitForURL((u) => u.searchParams.get('tab') === 'leads')
    assert.equal(await listTotal(page), leads.total)

    // The month's income opens the payments page with the same total.
    await page.goBack()
    await openDashboard(page, site)
    await page.getByTestId('dash-income-total').click()
    await page.waitForURL((u) => u.pathname === '/payments')
    await page.locator(`[data-testid="pay-total-income"][data-value="${totals.income}"]`).waitFor()
  })

  test('a tablet shows the dashboard without sideways scroll', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin, { width: 768, height: 1024 })
    await openDashboard(page, site)
    assert.deepEqual(await accessibilityProblems(page), [])
    await site.shot(page, 'dashboard-tablet')
  })

  test('a readonly user and a teacher see the dashboard without errors', async () => {
    const readonly = await signIn(site, READONLY_EMAIL, PASSWORDS.readonly)
    await openDashboard(readonly, site)
    assert.equal(await readonly.locator('[data-testid$="-error"]').count(), 0)
    assert.deepEqual(await accessibilityProblems(readonly), [])
    await site.shot(readonly, 'dashboard-readonly')

    // A call the role is refused (403) hides its card; the rest of the page stays.
    await readonly.route('**/v2api/*/pay/total', (r) =>
      r.fulfill({
        status: 403,
        contentType: 'application/json',
        body: JSON.stringify({ name: 'Forbidden', message: 'Доступ запрещён.', code: 0, status: 403 }),
      }),
    )
    await openDashboard(readonly, site)
    assert.equal(await readonly.getByTestId('dash-income').count(), 0)
    assert.equal(await readonly.getByTestId('dash-debtors').count(), 1)
    assert.equal(await readonly.locator('[data-testid$="-error"]').count(), 0)

    const lesson = (
      await site.api.index('lesson', { status: [1, 2, 3], date_from: today, date_to: today, count: 50 })
    ).items.find((l) => l.teacher_ids.length > 0)
    const teacherId = lesson?.teacher_ids[0] ?? (await site.api.index('teacher', { count: 1 })).items[0]!.id
    const email = 'pedagog-dash@school.example'
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
    await openDashboard(page, site)
    assert.equal(await page.locator('[data-testid$="-error"]').count(), 0)
    // Only their own lessons of today.
    const own = await site.api.index('lesson', {
      status: [1, 2, 3],
      date_from: today,
      date_to: today,
      teacher_id: teacherId,
      count: 50,
    })
    assert.equal(Number(await attr(page, 'dash-today-count')), own.total)
    await site.shot(page, 'dashboard-teacher')
  })
})
