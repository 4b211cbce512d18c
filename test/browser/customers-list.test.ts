import assert from 'node:assert/strict'
import fs from 'node:fs'
import { before, describe, test } from 'node:test'
import type { Cookie, Page } from 'playwright-core'
import { ADMIN } from '../helpers/server.js'
import { demoSite, MANAGER_EMAIL, NO_BROWSER, PASSWORDS, READONLY_EMAIL, signIn } from './harness.js'

/**
 * The customers list in a real browser against the real server: every total it shows is the API's
 * total for the same filter, and the search, tabs, filters, order and pages live in the URL.
 */
describe('staff app: customers list', { skip: NO_BROWSER }, () => {
  const site = demoSite()

  before(async () => {
    // More students than one page holds (the demo has 24 in branch 1).
    for (let i = 1; i <= 40; i++)
      await site.api.create('customer', {
        name: `Списков Ученик ${String(i).padStart(2, '0')}`,
        is_study: 1,
        legal_type: 1,
        phone: [`+7 (912) 55${String(i).padStart(2, '0')}-0-${String(10 + i)}`],
      })
  })

  // One sign-in (the form is rate limited); every test opens its own browser profile with the cookie.
  let cookies: Cookie[] | undefined
  const admin = async (viewport?: { width: number; height: number }) => {
    if (!cookies) {
      const first = await signIn(site, ADMIN.email, PASSWORDS.admin, viewport, '/customers')
      cookies = await first.context().cookies()
      return first
    }
    const page = await site.page(viewport)
    await page.context().addCookies(cookies)
    await page.goto(`${site.url}/customers`)
    await page.getByTestId('user-menu').waitFor()
    return page
  }
  const shownTotal = async (page: Page) =>
    Number(await page.getByTestId('customers-total').getAttribute('data-total'))
  /** Waits until the list shows `total` and is no longer showing a previous answer. */
  const waitTotal = async (page: Page, total: number) => {
    await page.locator(`[data-testid="customers-total"][data-total="${total}"]`).waitFor()
    await page.locator('[aria-busy="true"]').waitFor({ state: 'detached' })
  }
  const rowIds = async (page: Page) => {
    const ids: number[] = []
    for (const row of await page.getByTestId('customer-row').all())
      ids.push(Number(await row.getAttribute('data-id')))
    return ids
  }

  test('the list opens with the students and their exact total', async () => {
    const page = await admin()
    const api = await site.api.index('customer', { is_study: 1, removed: 0 })
    await waitTotal(page, api.total)
    assert.equal(await page.getByTestId('tab-total-students').textContent(), String(api.total))
    assert.deepEqual(
      (await rowIds(page)).slice(0, 3),
      api.items.slice(0, 3).map((c) => c.id),
    )
    assert.equal(await page.getByTestId('customers-range').textContent(), `1–50 из ${api.total}`)
    await site.shot(page, 'customers-list')
  })

  test('the first load asks who is signed in and for the list once each, before the app code is in', async () => {
    await admin()
    const page = await site.page()
    await page.context().addCookies(cookies!)
    const asked: Array<{ path: string; body: string }> = []
    const isList = (a: { path: string; body: string }) =>
      a.path === '/v2api/1/customer/index' && a.body.includes('"count":50')
    let sent = () => {}
    const bothSent = new Promise<void>((resolve) => {
      sent = resolve
    })
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname
      if (!path.startsWith('/v2api/')) return
      asked.push({ path, body: r.postData() ?? '' })
      if (asked.some((a) => a.path === '/v2api/auth/me') && asked.some(isList)) sent()
    })
    // The app's code (index.html asks for it beside the boot script) is held back until both calls have
    // been sent: only the boot script can have sent them. If it did not, the app's code comes after 10 s
    // and the check below fails.
    let heldUntilSent = false
    await page.route('**/assets/main-*.js', async (route) => {
      let timer: NodeJS.Timeout | undefined
      heldUntilSent = await Promise.race([
        bothSent.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 10_000)
        }),
      ])
      clearTimeout(timer)
      await route.continue()
    })
    await page.goto(`${site.url}/customers`)
    const api = await site.api.index('customer', { is_study: 1, removed: 0 })
    await waitTotal(page, api.total)
    const paths = asked.map((a) => a.path)
    assert.ok(heldUntilSent, `sent before the app's code came: ${paths.join(' ')}`)
    assert.equal(paths.filter((p) => p === '/v2api/auth/me').length, 1, paths.join(' '))
    assert.equal(asked.filter(isList).length, 1, paths.join(' '))
    assert.deepEqual(
      (await rowIds(page)).slice(0, 3),
      api.items.slice(0, 3).map((c) => c.id),
    )
  })

  test("a user of another branch: the boot script's guess (branch 1) is dropped, the list is their branch's", async () => {
    const other = (await site.api.index('branch', {})).items.map((b) => b.id).find((b) => b !== 1)!
    const email = 'vtoroy-filial@school.example'
    const password = 'vtoroy-filial-2026'
    await site.api.call('user', 'create', {
      name: 'Филиальная Вера',
      email,
      role: 'manager',
      branch_ids: [other],
      password,
    })
    const first = await signIn(site, email, password)
    const own = await first.context().cookies()
    // A new profile keeps no branch: the boot script asks branch 1's list, which this user cannot read.
    const page = await site.page()
    await page.context().addCookies(own)
    const asked: string[] = []
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname
      if (path.endsWith('/customer/index')) asked.push(path)
    })
    await page.goto(`${site.url}/customers`)
    const api = await site.api.inBranch(other).index('customer', { is_study: 1, removed: 0 })
    await waitTotal(page, api.total)
    assert.equal(asked[0], '/v2api/1/customer/index')
    assert.ok(asked.includes(`/v2api/${other}/customer/index`), asked.join(' '))
    assert.deepEqual(
      (await rowIds(page)).slice(0, 3),
      api.items.slice(0, 3).map((c) => c.id),
    )
  })

  test('finds a pupil by part of a phone number, typed with dashes', async () => {
    const page = await admin()
    await page.getByTestId('customer-row').first().waitFor()
    const pupil = (await site.api.index('customer', { is_study: 1, removed: 0 })).items[5]!
    const digits = pupil.phone[0]!.replace(/\D/g, '').slice(-7)
    const typed = `${digits.slice(0, 3)}-${digits.slice(3, 5)}-${digits.slice(5)}`
    const expected = await site.api.index('customer', { is_study: 1, removed: 0, phone: digits })

    const asked: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/customer/index')) asked.push(r.postData() ?? '')
    })
    await page.getByLabel('Поиск по имени или телефону').fill(typed)
    await page.locator(`[data-testid="customer-row"][data-id="${pupil.id}"]`).waitFor()
    await waitTotal(page, expected.total)
    assert.equal(await shownTotal(page), expected.total)
    assert.deepEqual(
      await rowIds(page),
      expected.items.map((c) => c.id),
    )
    // One request for the search, by phone; the tab totals are not asked again.
    assert.equal(asked.length, 1, asked.join('\n'))
    assert.equal(JSON.parse(asked[0]!).phone, digits)
    assert.match(page.url(), new RegExp(`q=${encodeURIComponent(typed)}`))
    await site.shot(page, 'customers-search-phone')

    // A reload keeps the search.
    await page.reload()
    await waitTotal(page, expected.total)
    assert.equal(await page.getByLabel('Поиск по имени или телефону').inputValue(), typed)

    // The whole number with a leading 8 finds the same pupil (stored with +7 or 8 alike).
    const whole = pupil.phone[0]!.replace(/\D/g, '').slice(-10)
    const withEight = `8 (${whole.slice(0, 3)}) ${whole.slice(3, 6)}-${whole.slice(6, 8)}-${whole.slice(8)}`
    const byWhole = await site.api.index('customer', { is_study: 1, removed: 0, phone: whole })
    await page.getByLabel('Поиск по имени или телефону').fill(withEight)
    await page.locator(`[data-testid="customer-row"][data-id="${pupil.id}"]`).waitFor()
    await waitTotal(page, byWhole.total)
  })

  test('a failed load shows the error with a retry that loads the list', async () => {
    const page = await admin()
    await page.getByTestId('customer-row').first().waitFor()
    // The network drops (the server itself is fine): every list request fails until it is back.
    await page.route('**/customer/index', (route) => route.abort('connectionrefused'))
    await page.getByLabel('Поиск по имени или телефону').fill('Списков')
    await page.getByTestId('customers-error').waitFor({ timeout: 20_000 })
    assert.match((await page.getByTestId('customers-error').textContent()) ?? '', /Сервер недоступен/)
    await page.unroute('**/customer/index')
    await page.getByRole('button', { name: 'Повторить' }).click()
    await waitTotal(page, 40)
  })

  test('finds customers by a part of the name', async () => {
    const page = await admin()
    await page.getByTestId('customer-row').first().waitFor()
    const part = 'писков учен'
    const expected = await site.api.index('customer', { is_study: 1, removed: 0, name: part })
    assert.equal(expected.total, 40)
    await page.getByLabel('Поиск по имени или телефону').fill(part)
    await waitTotal(page, expected.total)
    const names = await page.getByTestId('customer-name').allTextContents()
    assert.equal(names.length, 40)
    for (const n of names) assert.match(n, /Списков Ученик/)
  })

  test('the leads tab shows the leads and their exact total; Back returns to the students', async () => {
    const page = await admin()
    await page.getByTestId('customer-row').first().waitFor()
    const leads = await site.api.index('customer', { is_study: 0, removed: 0 })
    assert.ok(leads.total > 0)
    await page.getByTestId('tab-leads').click()
    await waitTotal(page, leads.total)
    assert.equal(await page.getByTestId('tab-total-leads').textContent(), String(leads.total))
    assert.deepEqual(
      await rowIds(page),
      leads.items.map((c) => c.id),
    )
    assert.match(page.url(), /tab=leads/)
    assert.equal(await page.getByTestId('customer-create').getAttribute('href'), '/customers/new?is_study=0')
    await site.shot(page, 'customers-leads-tab')

    const archive = await site.api.index('customer', { is_study: 2, removed: 2 })
    assert.equal(await page.getByTestId('tab-total-archive').textContent(), String(archive.total))

    const students = await site.api.index('customer', { is_study: 1, removed: 0 })
    await page.goBack()
    await waitTotal(page, students.total)
    assert.equal(await page.getByRole('tab', { selected: true }).getAttribute('data-testid'), 'tab-students')
  })

  test('the debtors filter shows the API total of balances below zero, and survives a reload', async () => {
    const page = await admin()
    await page.getByTestId('customer-row').first().waitFor()
    const debtors = await site.api.index('customer', {
      is_study: 1,
      removed: 0,
      balance_contract_to: '-0.01',
    })
    await page.getByLabel('Должники').check()
    await waitTotal(page, debtors.total)
    assert.match(page.url(), /debtors=1/)
    for (const b of await page.getByTestId('customer-balance').allTextContents())
      assert.match(b, /^[-−]/, `a debtor's balance is negative: ${b}`)
    await page.reload()
    await waitTotal(page, debtors.total)
    assert.equal(await page.getByLabel('Должники').isChecked(), true)
  })

  test('"without an upcoming lesson" and "mine" (a manager) show the API totals of their filters', async () => {
    const manager = (await site.api.index('user', { email: MANAGER_EMAIL })).items[0]!
    const students = await site.api.index('customer', { is_study: 1, removed: 0 })
    for (const c of students.items.slice(0, 3))
      await site.api.update('customer', c.id, { assigned_id: manager.id })
    const page = await signIn(site, MANAGER_EMAIL, PASSWORDS.manager, undefined, '/customers')
    await waitTotal(page, students.total)

    const idle = await site.api.index('customer', { is_study: 1, removed: 0, has_next_lesson: 0 })
    assert.ok(idle.total > 0)
    await page.getByLabel('Без следующего урока').check()
    await waitTotal(page, idle.total)
    assert.equal(await page.getByTestId('customer-row').count(), Math.min(50, idle.total))
    await page.getByLabel('Без следующего урока').uncheck()
    await waitTotal(page, students.total)

    const mine = await site.api.index('customer', { is_study: 1, removed: 0, assigned_id: manager.id })
    assert.equal(mine.total, 3)
    await page.getByLabel('Ответственный: Мои').check()
    await waitTotal(page, 3)
    assert.deepEqual(
      await rowIds(page),
      mine.items.map((c) => c.id),
    )
    assert.match(page.url(), new RegExp(`assigned=${manager.id}`))
  })

  test('sorting by balance descending puts the largest balance first', async () => {
    const page = await admin()
    await page.getByTestId('customer-row').first().waitFor()
    const sorted = await site.api.index('customer', { is_study: 1, removed: 0, sort: '-balance' })
    const all = await site.api.all('customer', { is_study: 1, removed: 0 })
    const max = Math.max(...all.map((c) => Number(c.balance)))
    assert.equal(Number(sorted.items[0]!.balance), max)

    await page.getByTestId('sort-balance').click()
    await page.locator('th[aria-sort="ascending"]').waitFor()
    await page.getByTestId('sort-balance').click()
    await page.locator('th[aria-sort="descending"]').waitFor()
    assert.match(page.url(), /sort=-balance/)
    await page.locator(`[data-testid="customer-row"]:first-child[data-id="${sorted.items[0]!.id}"]`).waitFor()
    assert.deepEqual(
      await rowIds(page),
      sorted.items.map((c) => c.id),
    )
  })

  test('the next page shows the next 50', async () => {
    const page = await admin()
    await page.getByTestId('customer-row').first().waitFor()
    const second = await site.api.index('customer', { is_study: 1, removed: 0, page: 1 })
    assert.ok(second.items.length > 0)
    await page.getByTestId('page-next').click()
    await page.locator(`[data-testid="customer-row"]:first-child[data-id="${second.items[0]!.id}"]`).waitFor()
    assert.deepEqual(
      await rowIds(page),
      second.items.map((c) => c.id),
    )
    assert.equal(
      await page.getByTestId('customers-range').textContent(),
      `51–${50 + second.items.length} из ${second.total}`,
    )
    assert.match(page.url(), /page=2/)
  })

  test('CSV export downloads every customer of the filter, with a BOM and the header', async () => {
    const page = await admin()
    const students = await site.api.all('customer', { is_study: 1, removed: 0 })
    await waitTotal(page, students.length)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('csv-export').click(),
    ])
    assert.match(download.suggestedFilename(), /\.csv$/)
    const text = fs.readFileSync(await download.path(), 'utf8')
    assert.ok(text.startsWith('\uFEFF'), 'UTF-8 with a BOM')
    const rows = parseCsv(text.slice(1))
    assert.deepEqual(rows[0], [
      'ID',
      'Имя',
      'Телефоны',
      'E-mail',
      'Баланс',
      'Оплачено уроков',
      'Следующий урок',
      'Статус',
      'Источник',
      'Создан',
    ])
    const body = rows.slice(1)
    assert.equal(body.length, students.length)
    assert.deepEqual(
      body.map((r) => Number(r[0])),
      students.map((c) => c.id),
    )
    const one = students[0]!
    const row = body[0]!
    assert.equal(row[1], one.name)
    assert.equal(row[4], one.balance.replace('.', ','))
  })

  test('a readonly user sees the list but no "Новый клиент" button', async () => {
    const page = await signIn(site, READONLY_EMAIL, PASSWORDS.readonly, undefined, '/customers')
    await page.getByTestId('customer-row').first().waitFor()
    assert.equal(await page.getByTestId('customer-create').count(), 0)
    assert.equal(await page.getByRole('button', { name: 'Новый клиент' }).count(), 0)
    assert.equal(await page.getByRole('link', { name: 'Новый клиент' }).count(), 0)
  })

  test('on a tablet the table scrolls inside the page', async () => {
    const page = await admin({ width: 768, height: 1024 })
    await page.getByTestId('customer-row').first().waitFor()
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
    assert.ok(overflow <= 0, `the page does not scroll sideways (${overflow}px)`)
    await site.shot(page, 'customers-list-tablet')
  })
})

/** A `;`-separated CSV with quoted values (RFC 4180 quoting), CRLF lines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ';') {
      row.push(cell)
      cell = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += ch
  }
  if (cell || row.length) rows.push([...row, cell])
  return rows
}
