import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import type { Customer } from '../../web/src/api/models.gen.js'
import { ADMIN } from '../helpers/server.js'
import { demoSite, NO_BROWSER, PASSWORDS, READONLY_EMAIL, signIn } from './harness.js'

/** "−1 234,50 ₽" as shown on the card → -123450 kopecks, read exactly from the text. */
function shownKopecks(text: string): number {
  const negative = /[-−]/.test(text)
  const [whole = '0', frac = '00'] = text.replace(/[^\d,]/g, '').split(',')
  const k = Number(whole) * 100 + Number(frac.padEnd(2, '0').slice(0, 2))
  return negative ? -k : k
}

/** Polls `check` (the page's CSP forbids evaluated strings, so the waiting is done from here). */
async function until(check: () => Promise<boolean>, what: string, ms = 15_000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Closes the notifications, so a screenshot shows the page under them. */
async function clearToasts(page: Page) {
  for (const b of await page.locator('.mantine-Notification-closeButton').all())
    await b.click().catch(() => {})
}

/** "-1234.50" → -123450. */
function apiKopecks(money: string): number {
  const negative = money.trim().startsWith('-')
  const [whole = '0', frac = '00'] = money.replace('-', '').trim().split('.')
  const k = Number(whole) * 100 + Number(frac.padEnd(2, '0').slice(0, 2))
  return negative ? -k : k
}

/**
 * The customer card in a real browser against the demo school: the figures are the API's, payments,
 * refunds and subscriptions change them at once, the form shows the API's own messages, archive and
 * restore, create, the change history, and a readonly user who can neither see nor forge a write.
 */
describe('staff app: customer card', { skip: NO_BROWSER }, () => {
  const site = demoSite()
  let student: Customer

  before(async () => {
    if (NO_BROWSER) return
    const r = await site.api.index('customer', { is_study: 1 })
    // A student with a subscription and pays (the demo gives every student one).
    student = r.items[0]!
  })

  const reload = async (id: number) => (await site.api.get('customer', id, { is_study: 2, removed: 1 }))!

  async function openCard(page: Page, id: number) {
    await page.goto(`${site.url}/customers/${id}`)
    await page.getByTestId('card-balance').waitFor()
  }

  async function balanceOnCard(page: Page) {
    return shownKopecks((await page.getByTestId('card-balance').textContent()) ?? '')
  }

  /** Waits until the card's balance is `expected` kopecks (the figure refreshes after the write). */
  async function balanceBecomes(page: Page, expected: number) {
    await until(async () => (await balanceOnCard(page)) === expected, `balance ${expected}`)
  }

  test('a student’s card shows the API’s balance, paid lessons and dates', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await openCard(page, student.id)
    const c = await reload(student.id)
    assert.equal(await page.getByTestId('card-name').textContent(), c.name)
    assert.equal(await page.getByTestId('card-kind').textContent(), 'Ученик')
    assert.equal(await balanceOnCard(page), apiKopecks(c.balance))
    assert.equal(await page.getByTestId('card-paid-lessons').textContent(), String(c.paid_lesson_count))
    if (c.next_lesson_date) {
      const [y, mo, d] = c.next_lesson_date.slice(0, 10).split('-')
      assert.match(
        (await page.getByTestId('card-next-lesson').textContent()) ?? '',
        new RegExp(`${d}\\.${mo}\\.${y}`),
      )
    }
    // The phone is shown formatted, the date of birth as dd.mm.yyyy, the source by name.
    assert.ok(c.dob)
    assert.equal(await page.getByTestId('card-field-dob').locator('div').last().textContent(), c.dob)
    const sources = await site.api.index('lead-source', {})
    const source = sources.items.find((s) => s.id === c.lead_source_id)!
    await page.getByTestId('card-field-lead_source_id').getByText(source.name).waitFor()
    assert.match(
      (await page.getByTestId('card-field-phone').textContent()) ?? '',
      /\+7 \(\d{3}\) \d{3}-\d{2}-\d{2}/,
    )
    await clearToasts(page)
    await site.shot(page, 'customer-card')
  })

  test('taking a payment of 1500 raises the balance by exactly 1500.00; a refund lowers it', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await openCard(page, student.id)
    const before = apiKopecks((await reload(student.id)).balance)
    assert.equal(await balanceOnCard(page), before)

    await page.getByTestId('card-pay').click()
    await page.getByTestId('pay-form').waitFor()
    await page.getByTestId('pay-amount').fill('1500')
    await page.getByTestId('pay-save').click()
    await balanceBecomes(page, before + 150_000)
    assert.equal(apiKopecks((await reload(student.id)).balance), before + 150_000)
    // The pay is in the payments tab, which the button opened.
    await page
      .getByTestId('pays')
      .getByText(/1\s500,00/)
      .first()
      .waitFor()

    await page.getByTestId('pay-refund').click()
    await page.getByTestId('pay-amount').fill('250,50')
    await page.getByTestId('pay-save').click()
    await balanceBecomes(page, before + 150_000 - 25_050)
    assert.equal(apiKopecks((await reload(student.id)).balance), before + 150_000 - 25_050)
    const pays = await site.api.index('pay', { customer_id: student.id })
    const refund = pays.items.find((p) => p.pay_type_id === 2)
    assert.ok(refund, 'the refund is a pay of type 2')
    assert.equal(refund.income, '250.50')
    await page.getByTestId('pays').getByText('Возврат').first().waitFor()
    await clearToasts(page)
    await site.shot(page, 'customer-card-payments')
  })

  test('a subscription added on the card appears in its tab and in the API', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await openCard(page, student.id)
    await page.getByTestId('tab-subscriptions').click()
    const subsOf = () =>
      site.api.call<{ items: Array<{ tariff_id: number }> }>('customer-tariff', 'index', {
        customer_id: student.id,
      })
    const before = (await subsOf()).items.length
    await until(async () => (await page.getByTestId('subs-row').count()) === before, 'the subscriptions')
    await page.getByTestId('sub-add').click()
    await page.getByTestId('sub-tariff').click()
    await page.getByRole('option', { name: /Абонемент на 4 занятия/ }).click()
    await page.getByTestId('sub-save').click()
    await page.getByTestId('sub-form').waitFor({ state: 'detached' })
    await until(async () => (await page.getByTestId('subs-row').count()) === before + 1, 'the new row')
    const subs = await subsOf()
    assert.equal(subs.items.length, before + 1)
    const tariffs = await site.api.index('tariff', { name: 'Абонемент на 4 занятия' })
    assert.equal(subs.items.at(-1)!.tariff_id, tariffs.items[0]!.id)
  })

  test('the edit form shows the API’s messages next to the fields; a valid edit is saved and logged', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    const c = await reload(student.id)
    await openCard(page, c.id)
    await page.getByTestId('card-edit').click()
    await page.getByTestId('customer-form').waitFor()
    await page.getByTestId('field-name').fill('')
    await page.getByTestId('field-email-0').fill(`${'x'.repeat(260)}@example.com`)
    await page.getByTestId('customer-form-save').click()
    const nameError = page.getByText('Необходимо заполнить «Имя».')
    await nameError.waitFor()
    await page.getByText('Значение «E-mail» должно содержать максимум 255 символов.').waitFor()
    // The message belongs to the field: the input is described by it.
    const described = await page.getByTestId('field-name').getAttribute('aria-describedby')
    assert.ok(
      described && (await page.locator(`[id="${described.split(' ')[0]}"]`).textContent())?.includes('Имя'),
    )
    await page.getByTestId('field-name').scrollIntoViewIfNeeded()
    await clearToasts(page)
    await site.shot(page, 'customer-form-errors')
    assert.equal((await reload(c.id)).name, c.name, 'nothing was saved')

    await page.getByTestId('field-name').fill(`${c.name} (изм.)`)
    await page.getByTestId('field-email-0').fill('parent@example.com')
    await page.getByTestId('customer-form-save').click()
    await page.getByTestId('customer-form').waitFor({ state: 'detached' })
    await page.getByTestId('card-name').getByText(`${c.name} (изм.)`).waitFor()
    const after = await reload(c.id)
    assert.equal(after.name, `${c.name} (изм.)`)
    assert.deepEqual(after.email, ['parent@example.com'])

    await page.getByTestId('tab-history').click()
    const change = page.getByTestId('history-change-name').first()
    await change.waitFor()
    const text = (await change.textContent()) ?? ''
    assert.ok(text.startsWith('Имя:'), text)
    assert.ok(text.includes(c.name) && text.includes(`${c.name} (изм.)`), text)
    await clearToasts(page)
    await site.shot(page, 'customer-card-history')
  })

  test('discounts, comments and tasks are added on their tabs', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    page.on('dialog', (d) => void d.accept())
    await openCard(page, student.id)

    await page.getByTestId('tab-discounts').click()
    await page.getByTestId('discount-add').click()
    await page.getByTestId('discount-amount').fill('150')
    await page.getByTestId('discount-save').click()
    await page.getByText('Значение «Размер скидки» должно быть не больше 100.').waitFor()
    await page.getByTestId('discount-amount').fill('10')
    await page.getByTestId('discount-save').click()
    await page.getByTestId('discounts').getByText('10 %').waitFor()
    const discounts = await site.api.index('discount', { customer_id: student.id })
    assert.equal(discounts.items.length, 1)
    assert.equal(discounts.items[0]!.amount, 10)
    await page.getByTestId('discounts').getByRole('button', { name: 'Удалить скидку' }).click()
    await page.getByTestId('discounts-empty').waitFor()
    assert.equal((await site.api.index('discount', { customer_id: student.id })).total, 0)

    await page.getByTestId('tab-comments').click()
    await page.getByTestId('comment-text').fill('Мама просит перезвонить после 18:00')
    await page.getByTestId('comment-add').click()
    await page.getByTestId('comments').getByText('Мама просит перезвонить после 18:00').waitFor()
    const comments = await site.api.call<{ items: Array<{ comment: string }> }>('communication', 'index', {
      class: 'Customer',
      related_id: student.id,
    })
    assert.equal(comments.items[0]!.comment, 'Мама просит перезвонить после 18:00')

    await page.getByTestId('tab-tasks').click()
    await page.getByTestId('task-add').click()
    await page.getByTestId('task-title').fill('Продлить абонемент')
    await page.getByTestId('task-text').fill('Напомнить о продлении')
    await page.getByTestId('task-save').click()
    await page.getByTestId('tasks').getByText('Продлить абонемент').waitFor()
    await page.getByRole('button', { name: 'Отметить выполненной: Продлить абонемент' }).click()
    await page.getByTestId('tasks').getByText('Выполнена').waitFor()
    const tasks = await site.api.index('task', { customer_id: student.id })
    assert.equal(tasks.items.at(-1)!.is_done, 1)
  })

  test('archive and restore: the badge follows and the API’s removed flips', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    page.on('dialog', (d) => void d.accept())
    await openCard(page, student.id)
    assert.equal(await page.getByTestId('card-archived').count(), 0)
    await page.getByTestId('card-archive').click()
    await page.getByTestId('card-archived').waitFor()
    assert.equal((await reload(student.id)).removed, 1)
    await page.getByTestId('card-restore').click()
    await page.getByTestId('card-archived').waitFor({ state: 'detached' })
    await page.getByTestId('card-archive').waitFor()
    assert.equal((await reload(student.id)).removed, 0)
  })

  test('a new customer made at /customers/new, custom fields included, lands on its card', async () => {
    await site.api.create('custom-field', {
      model: 'customer',
      code: 'school',
      label: 'Школа',
      type: 'string',
    })
    await site.api.create('custom-field', {
      model: 'customer',
      code: 'level',
      label: 'Уровень',
      type: 'select',
      options: ['A1', 'A2', 'B1'],
    })
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await page.goto(`${site.url}/customers/new`)
    await page.getByTestId('customer-form').waitFor()
    await page.getByTestId('field-name').fill('Тестова Анна Павловна')
    await page.getByTestId('field-phone-0').fill('89991234567')
    await page.getByTestId('field-phone-add').click()
    await page.getByTestId('field-phone-1').fill('+7 912 000-11-22')
    await page.getByTestId('field-dob').fill('01.02.2015')
    await page.getByTestId('field-custom_school').fill('Лицей № 1')
    await page.getByTestId('field-custom_level').click()
    await page.getByRole('option', { name: 'A2' }).click()
    await site.shot(page, 'customer-new')
    await page.getByTestId('customer-form-save').click()
    await page.waitForURL(/\/customers\/\d+$/)
    await page.getByTestId('card-name').getByText('Тестова Анна Павловна').waitFor()
    const id = Number(new URL(page.url()).pathname.split('/').pop())
    const c = await reload(id)
    assert.equal(c.name, 'Тестова Анна Павловна')
    assert.equal(c.is_study, 1)
    assert.equal(c.dob, '01.02.2015')
    assert.deepEqual(c.phone, ['89991234567', '+7 912 000-11-22'])
    assert.equal(c.custom_school, 'Лицей № 1')
    assert.equal(c.custom_level, 'A2')
    assert.match((await page.getByTestId('card-field-custom_level').textContent()) ?? '', /Уровень.*A2/)

    // A lead: ?is_study=0, then made a student from its card.
    await page.goto(`${site.url}/customers/new?is_study=0`)
    await page.getByTestId('field-name').fill('Лидов Пётр')
    await page.getByTestId('customer-form-save').click()
    await page.waitForURL(/\/customers\/\d+$/)
    assert.equal(await page.getByTestId('card-kind').textContent(), 'Лид')
    const leadId = Number(new URL(page.url()).pathname.split('/').pop())
    assert.equal((await reload(leadId)).is_study, 0)
    await page.getByTestId('card-convert').click()
    await page.getByTestId('card-kind').getByText('Ученик').waitFor()
    assert.equal((await reload(leadId)).is_study, 1)
  })

  test('a wrong id and a customer of another branch are “not found”', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await page.goto(`${site.url}/customers/999999`)
    await page.getByTestId('card-not-found').getByText('Запись не найдена').waitFor()
    const other = await site.api.inBranch(2).index('customer', { branch_id: 2 })
    const elsewhere = other.items.find((c) => !c.branch_ids.includes(1))!
    await page.goto(`${site.url}/customers/${elsewhere.id}`)
    await page.getByTestId('card-not-found').waitFor()
  })

  test('a readonly user sees no write buttons, and a forged write with the session is refused', async () => {
    const page = await signIn(site, READONLY_EMAIL, PASSWORDS.readonly)
    await openCard(page, student.id)
    for (const id of ['card-edit', 'card-archive', 'card-restore', 'card-pay', 'card-convert'])
      assert.equal(await page.getByTestId(id).count(), 0, id)
    await page.getByTestId('tab-payments').click()
    await page.getByTestId('pays').waitFor()
    assert.equal(await page.getByTestId('pay-income').count(), 0)
    await page.getByTestId('tab-subscriptions').click()
    await page.getByTestId('subs').waitFor()
    assert.equal(await page.getByTestId('sub-add').count(), 0)
    await page.getByTestId('tab-comments').click()
    await page.getByTestId('comments').or(page.getByTestId('comments-empty')).waitFor()
    assert.equal(await page.getByTestId('comment-form').count(), 0)

    const name = (await reload(student.id)).name
    const status = await page.evaluate(async (id) => {
      const r = await fetch(`/v2api/1/customer/update?id=${id}`, {
        method: 'POST',
        headers: { 'x-parta-csrf': '1', 'content-type': 'application/json' },
        body: '{"name":"X"}',
      })
      return r.status
    }, student.id)
    assert.equal(status, 403)
    assert.equal((await reload(student.id)).name, name)
  })

  test('the card on a tablet (768×1024)', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin, { width: 768, height: 1024 })
    await openCard(page, student.id)
    await page.getByTestId('tab-lessons').click()
    await page.getByTestId('lessons').waitFor()
    // Nothing wider than the screen: tables scroll inside their container.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
    assert.ok(overflow <= 0, `page overflows by ${overflow}px`)
    await site.shot(page, 'customer-card-tablet')
  })
})
