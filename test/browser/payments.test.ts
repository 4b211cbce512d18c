import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import type { Pay, PayFilter } from '../../web/src/api/models.gen.js'
import { ADMIN } from '../helpers/server.js'
import { demoSite, NO_BROWSER, PASSWORDS, READONLY_EMAIL, type Site, signIn } from './harness.js'

interface PayTotals {
  count: number
  income: string
  refund: string
  net: string
}

/** A money string as kopecks, exactly. */
function kopecks(value: string): number {
  const [whole = '0', frac = ''] = value.replace('-', '').split('.')
  const k = Number(whole) * 100 + Number(`${frac}00`.slice(0, 2))
  return value.startsWith('-') ? -k : k
}

/** Waits (at most 15 s) until the API's answer satisfies `ok`; returns the last answer. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const v = await read()
    if (ok(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 100))
  }
}

const totals = (site: Site, filter: PayFilter = {}) =>
  site.api.call<PayTotals>('pay', 'total', filter as Record<string, unknown>)

/** Σ of the confirmed pays of one type, in kopecks, over every page of `pay/index`. */
function sum(pays: Pay[], type: number): number {
  return pays
    .filter((p) => p.pay_type_id === type && p.is_confirmed === 1)
    .reduce((s, p) => s + kopecks(p.income), 0)
}

/** The totals the page shows, once they equal `want` (the page refreshes them after a save). */
async function shownTotals(page: Page, want: PayTotals) {
  const income = page.getByTestId('pay-total-income')
  await page.locator(`[data-testid="pay-total-income"][data-value="${want.income}"]`).waitFor()
  return {
    income: await income.getAttribute('data-value'),
    refund: await page.getByTestId('pay-total-refund').getAttribute('data-value'),
    net: await page.getByTestId('pay-total-net').getAttribute('data-value'),
    count: Number(await page.getByTestId('pay-total-count').textContent()),
  }
}

const iso = (dmy: string) => dmy.split('.').reverse().join('-')
const dmy = (iso: string) => iso.split('-').reverse().join('.')

/**
 * The payment journal in a real browser: a payment taken from the page moves the customer's balance by
 * exactly its amount; the totals are the API's; filters narrow list and totals; a readonly user only looks.
 */
describe('staff app: payments', { skip: NO_BROWSER }, () => {
  const site = demoSite()
  let created: Pay | undefined

  test('a payment taken on the page raises the customer balance by exactly its amount', async () => {
    const customer = (await site.api.index('customer', { is_study: 1, count: 1 })).items[0]
    assert.ok(customer, 'a demo student')
    const before = kopecks(customer.balance)
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await page.goto(`${site.url}/payments`)
    await page.getByTestId('pay-row').first().waitFor()

    // The server's 422 messages appear next to their fields.
    await page.getByTestId('pay-create').click()
    await page.getByTestId('pay-form-save').click()
    const form = page.getByTestId('pay-form')
    await form.locator('.mantine-InputWrapper-error').first().waitFor()
    const errors = await form.locator('.mantine-InputWrapper-error').allTextContents()
    assert.ok(errors.length >= 2, `messages for the amount and the customer: ${errors.join(' | ')}`)
    await site.shot(page, 'payments-form-errors')

    await page.getByTestId('pay-form-amount').fill('2500')
    await page.getByTestId('pay-form-customer').fill(customer.name)
    await page.getByRole('option', { name: customer.name, exact: true }).click()
    await site.shot(page, 'payments-form')
    await page.getByTestId('pay-form-save').click()
    await form.waitFor({ state: 'detached' })

    const after = await until(
      () => site.api.get('customer', customer.id),
      (c) => kopecks(c?.balance ?? '0') !== before,
    )
    assert.equal(kopecks(after!.balance) - before, 250000, 'the balance rose by 2 500,00')
    const pays = await site.api.index('pay', { customer_id: customer.id, count: 1 })
    created = pays.items[0]
    assert.equal(created?.income, '2500.00')
    assert.equal(created?.pay_type_id, 1)
    await page.locator(`[data-pay-id="${created!.id}"]`).waitFor()
    await site.shot(page, 'payments')
  })

  test('the totals shown are pay/total and the sums over pay/index', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await page.goto(`${site.url}/payments`)
    const api = await totals(site)
    const all = await site.api.all('pay')
    assert.equal(api.count, all.length)
    assert.equal(kopecks(api.income), sum(all, 1))
    assert.equal(kopecks(api.refund), sum(all, 2))
    assert.equal(kopecks(api.net), sum(all, 1) - sum(all, 2))
    const shown = await shownTotals(page, api)
    assert.deepEqual(shown, { income: api.income, refund: api.refund, net: api.net, count: api.count })
    assert.equal(await page.getByTestId('pay-range').textContent(), `1–50 из ${all.length}`)
  })

  test('a date range narrows the list and the totals, and stays in the address', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await page.goto(`${site.url}/payments`)
    const all = await site.api.all('pay')
    const days = [...new Set(all.map((p) => iso(p.document_date)))].sort()
    assert.ok(days.length >= 3, 'pays on several days')
    const from = days[1]!
    const to = days[days.length - 2]!
    const filter = { date_from: from, date_to: to }
    const want = await totals(site, filter)
    assert.ok(want.count > 0 && want.count < all.length, 'the range is narrower than the journal')

    // Typed as people type dates here; the calendar closes on Tab.
    await page.getByTestId('pay-filter-from').fill(dmy(from))
    await page.keyboard.press('Tab')
    await page.getByTestId('pay-filter-to').fill(dmy(to))
    await page.keyboard.press('Tab')
    assert.equal(await page.getByTestId('pay-filter-from').inputValue(), dmy(from))
    const shown = await shownTotals(page, want)
    assert.deepEqual(shown, { income: want.income, refund: want.refund, net: want.net, count: want.count })
    const inRange = all.filter((p) => iso(p.document_date) >= from && iso(p.document_date) <= to)
    assert.equal(want.count, inRange.length)
    assert.equal(kopecks(want.income), sum(inRange, 1))
    await page
      .getByTestId('pay-range')
      .filter({ hasText: `из ${inRange.length}` })
      .waitFor()
    const rows = await page.getByTestId('pay-row').count()
    assert.equal(rows, Math.min(50, inRange.length))
    const url = new URL(page.url())
    assert.equal(url.searchParams.get('date_from'), from)
    assert.equal(url.searchParams.get('date_to'), to)

    // The address alone brings the same view back.
    const again = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await again.goto(page.url())
    assert.deepEqual(await shownTotals(again, want), shown)
  })

  test('the customer and type filters narrow the list to the API answer', async () => {
    assert.ok(created, 'the first test took a payment')
    const customer = await site.api.get('customer', created.customer_id!)
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await page.goto(`${site.url}/payments`)
    await page.getByTestId('pay-filter-customer').fill(customer!.name)
    await page.getByRole('option', { name: customer!.name, exact: true }).click()
    await page.getByTestId('pay-filter-type').click()
    await page.getByRole('option', { name: 'Приход', exact: true }).click()
    const filter = { customer_id: customer!.id, pay_type_id: 1 as const }
    const want = await totals(site, filter)
    await shownTotals(page, want)
    const listed = await site.api.all('pay', filter)
    await page
      .getByTestId('pay-range')
      .filter({ hasText: `из ${listed.length}` })
      .waitFor()
    const ids = await page
      .getByTestId('pay-row')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-pay-id'))))
    assert.deepEqual(
      ids,
      listed.map((p) => p.id),
      'the same pays in the same order',
    )
    const url = new URL(page.url())
    assert.equal(url.searchParams.get('customer_id'), String(customer!.id))
    assert.equal(url.searchParams.get('pay_type_id'), '1')
  })

  test('editing a payment amount changes the total by the difference', async () => {
    assert.ok(created, 'the first test took a payment')
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await page.goto(`${site.url}/payments`)
    const before = await totals(site)
    await shownTotals(page, before)
    await page.locator(`[data-pay-id="${created.id}"]`).getByTestId('pay-edit').click()
    const amount = page.getByTestId('pay-form-amount')
    assert.equal(await amount.inputValue(), '2500.00')
    await amount.fill('3100,50')
    await page.getByTestId('pay-form-save').click()
    await page.getByTestId('pay-form').waitFor({ state: 'detached' })
    const after = await until(
      () => totals(site),
      (t) => t.income !== before.income,
    )
    assert.equal(kopecks(after.income) - kopecks(before.income), 60050)
    assert.equal((await site.api.get('pay', created.id))?.income, '3100.50')
    assert.deepEqual(await shownTotals(page, after), {
      income: after.income,
      refund: after.refund,
      net: after.net,
      count: after.count,
    })
  })

  test('a readonly user sees the journal without create or edit buttons', async () => {
    const page = await signIn(site, READONLY_EMAIL, PASSWORDS.readonly)
    await page.goto(`${site.url}/payments`)
    await page.getByTestId('pay-row').first().waitFor()
    assert.equal(await page.getByTestId('pay-create').count(), 0)
    assert.equal(await page.getByTestId('pay-edit').count(), 0)
  })
})
