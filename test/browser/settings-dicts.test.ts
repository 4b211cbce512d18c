import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Cookie, Page } from 'playwright-core'
import { ADMIN } from '../helpers/server.js'
import { accessibilityProblems, demoSite, NO_BROWSER, PASSWORDS, signIn } from './harness.js'

async function clearToasts(page: Page) {
  for (const b of await page.locator('.mantine-Notification-closeButton').all())
    await b.click().catch(() => {})
  await page.locator('.mantine-Notification-root').first().waitFor({ state: 'detached' })
}

/** Waits until `check` holds (polling the API or the page), failing with `what` after 10 s. */
async function until(check: () => Promise<boolean>, what: string) {
  const end = Date.now() + 10_000
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.fail(`timed out waiting for ${what}`)
}

/**
 * Settings in a real browser against the demo school: dictionaries edited through the form generated
 * from the model declarations reach the API and the rest of the app (a new lead source is a filter option
 * in the customers list), a deletion the API refuses shows its message, a tariff made here can be chosen
 * on a customer card, a customer custom field made here is on the customer form.
 */
describe('staff app: settings — dictionaries, tariffs, custom fields', { skip: NO_BROWSER }, () => {
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
  /** A screenshot once the open dialog has finished appearing. */
  const shotModal = async (page: Page, name: string) => {
    const shown = `(() => {
      const el = document.querySelector('.mantine-Modal-content')
      if (el === null) return false
      const s = getComputedStyle(el)
      return s.opacity === '1' && ['none', 'matrix(1, 0, 0, 1, 0, 0)'].includes(s.transform)
    })()`
    await until(async () => (await page.evaluate<boolean>(shown)) === true, 'the dialog to appear')
    await site.shot(page, name)
  }
  const rowOf = (page: Page, name: string) =>
    page.getByTestId('record-row').filter({ has: page.getByText(name, { exact: true }) })

  test('a lead source added in Dictionaries is in the API and in the customers list source filter', async () => {
    const page = await admin('/settings/dictionaries')
    await page.getByTestId('dict-lead-source').click()
    await page.getByTestId('dict-title').getByText('Источники лидов').waitFor()
    const before = await site.api.all('lead-source', {})
    await until(async () => (await page.getByTestId('record-row').count()) === before.length, 'the sources')
    await site.shot(page, 'settings-dictionaries')

    // An empty name: the API's message appears next to the field, and nothing is created.
    await page.getByTestId('dict-add').click()
    await page.getByTestId('model-form').waitFor()
    await page.getByTestId('field-code').fill('expo')
    await page.getByTestId('field-weight').fill('7')
    await page.getByTestId('model-form-save').click()
    const required = page.getByTestId('model-form').getByText('Необходимо заполнить «Название».')
    await required.waitFor()
    assert.equal((await site.api.all('lead-source', {})).length, before.length)
    await clearToasts(page)
    await shotModal(page, 'settings-dictionary-form')
    assert.deepEqual(await accessibilityProblems(page), [], 'the dictionary form')
    await page.getByTestId('field-name').fill('Выставка «Образование»')
    await required.waitFor({ state: 'detached' })
    await page.getByTestId('model-form-save').click()
    await page.getByTestId('model-form').waitFor({ state: 'detached' })
    await rowOf(page, 'Выставка «Образование»').waitFor()
    const made = (await site.api.index('lead-source', { code: 'expo' })).items
    assert.equal(made.length, 1)
    assert.equal(made[0]!.name, 'Выставка «Образование»')
    assert.equal(made[0]!.weight, 7)
    assert.equal(made[0]!.is_enabled, 1)

    // The customers list offers it as a source.
    await page.goto(`${site.url}/customers`)
    await page.getByTestId('filter-source').click()
    await page.getByRole('option', { name: 'Выставка «Образование»', exact: true }).click()
    assert.match(page.url(), new RegExp(`source=${made[0]!.id}`))

    // An unused record is deleted.
    await page.goto(`${site.url}/settings/dictionaries?d=lead-source`)
    await rowOf(page, 'Выставка «Образование»').getByTestId('record-delete').click()
    await page.getByTestId('delete-confirm').click()
    await page.getByTestId('delete-dialog').waitFor({ state: 'detached' })
    await rowOf(page, 'Выставка «Образование»').waitFor({ state: 'detached' })
    assert.equal((await site.api.index('lead-source', { code: 'expo' })).total, 0)
  })

  test('a room is edited: name, full name, location and order reach the API', async () => {
    const rooms = await site.api.all('room', {})
    assert.ok(rooms.length > 0, 'the demo school has rooms')
    const room = rooms[0]!
    const page = await admin('/settings/dictionaries?d=room')
    await page
      .getByTestId('dict-scope')
      .getByText(/Записи филиала/)
      .waitFor()
    await rowOf(page, room.name).getByTestId('record-edit').click()
    await page.getByTestId('model-form').waitFor()
    assert.equal(await page.getByTestId('field-name').inputValue(), room.name)
    // The branch is the switcher's, not a form field; stream and colour ids are not shown.
    for (const hidden of ['field-branch_id', 'field-streaming_id', 'field-color_id'])
      assert.equal(await page.getByTestId(hidden).count(), 0, hidden)
    await page.getByTestId('field-name').fill('Большой класс')
    await page.getByTestId('field-note').fill('Второй этаж, окна во двор')
    await page.getByTestId('field-weight').fill('3')
    await page.getByTestId('model-form-save').click()
    await page.getByTestId('model-form').waitFor({ state: 'detached' })
    await rowOf(page, 'Большой класс').waitFor()
    const saved = (await site.api.get('room', room.id))!
    assert.equal(saved.name, 'Большой класс')
    assert.equal(saved.note, 'Второй этаж, окна во двор')
    assert.equal(saved.weight, 3)
    assert.equal(saved.location_id, room.location_id, 'an unchanged field is left alone')
    assert.equal(saved.is_enabled, room.is_enabled)
  })

  test('a deletion the API refuses shows its message; the record can be switched off instead', async () => {
    const customers = await site.api.all('customer', { is_study: 2, removed: 1 }, { limit: 500 })
    const used = customers.find((c) => c.lead_source_id !== null)
    assert.ok(used, 'a demo customer has a lead source')
    const source = (await site.api.get('lead-source', used.lead_source_id!))!
    const page = await admin('/settings/dictionaries?d=lead-source')
    await rowOf(page, source.name).getByTestId('record-delete').click()
    await page.getByTestId('delete-dialog').getByText(source.name, { exact: false }).waitFor()
    await page.getByTestId('delete-confirm').click()
    const refusal = page.getByTestId('delete-refusal')
    await refusal.waitFor()
    assert.match((await refusal.textContent()) ?? '', /Невозможно удалить запись: на неё ссылаются записи/)
    assert.ok(await site.api.get('lead-source', source.id), 'still there')
    await page.getByTestId('delete-switch-off').click()
    await page.getByTestId('delete-dialog').waitFor({ state: 'detached' })
    await until(async () => (await site.api.get('lead-source', source.id))?.is_enabled === 0, 'switched off')
    await until(
      async () =>
        ((await rowOf(page, source.name).getByTestId('cell-is_enabled').textContent()) ?? '') === 'Нет',
      'the row to say so',
    )
    await site.api.update('lead-source', source.id, { is_enabled: 1 })
  })

  test('a pay item: a category, pay types and branches chosen from their lists reach the API', async () => {
    const category = await site.api.create('pay-item-category', { name: 'Обучение' })
    const page = await admin('/settings/dictionaries?d=pay-item')
    await page.getByTestId('dict-title').getByText('Статьи доходов и расходов').waitFor()
    await page.getByTestId('dict-add').click()
    await page.getByTestId('model-form').waitFor()
    await page.getByTestId('field-name').fill('Оплата обучения')
    await page.getByTestId('field-category_id').click()
    await page.getByRole('option', { name: 'Обучение', exact: true }).click()
    await page.getByTestId('field-pay_type_ids').click()
    await page.getByRole('option', { name: 'Приход', exact: true }).click()
    await page.getByRole('option', { name: 'Возврат', exact: true }).click()
    await page.keyboard.press('Escape')
    // A new record of a multi-branch model starts in the current branch.
    await page.getByTestId('model-form').getByText('Основной филиал').waitFor()
    await page.getByTestId('model-form-save').click()
    await page.getByTestId('model-form').waitFor({ state: 'detached' })
    const row = rowOf(page, 'Оплата обучения')
    await row.waitFor()
    assert.equal(await row.getByTestId('cell-category_id').textContent(), 'Обучение')
    assert.equal(await row.getByTestId('cell-pay_type_ids').textContent(), 'Приход, Возврат')
    const made = (await site.api.index('pay-item', { name: 'Оплата обучения' })).items
    assert.equal(made.length, 1)
    assert.equal(made[0]!.category_id, category.id)
    assert.deepEqual(made[0]!.pay_type_ids, [1, 2])
    assert.deepEqual(made[0]!.branch_ids, [1])
  })

  test('a tariff made in settings, with its price, can be chosen on a customer card', async () => {
    const page = await admin('/settings/tariffs')
    await page.getByTestId('tariffs-table').waitFor()
    await page.getByTestId('tariff-add').click()
    await page.getByTestId('model-form').waitFor()
    await page.getByTestId('field-name').fill('Интенсив 8 занятий')
    await page.getByTestId('field-price').fill('5400,50')
    // A package with no lessons: the API says so next to the field.
    await page.getByTestId('field-lessons_count').fill('0')
    await page.getByTestId('model-form-save').click()
    await page
      .getByTestId('model-form')
      .getByText(/«Количество уроков»/)
      .waitFor()
    await page.getByTestId('field-lessons_count').fill('8')
    await page.getByTestId('field-period_count').fill('2')
    await page.getByTestId('field-period_type').click()
    await page.getByRole('option', { name: 'Месяцев', exact: true }).click()
    await page.getByTestId('model-form-save').click()
    await page.getByTestId('model-form').waitFor({ state: 'detached' })
    const row = rowOf(page, 'Интенсив 8 занятий')
    await row.waitFor()
    assert.match((await row.getByTestId('cell-price').textContent()) ?? '', /^5\s400,50\s₽$/)
    const made = (await site.api.index('tariff', { name: 'Интенсив 8 занятий' })).items
    assert.equal(made.length, 1)
    assert.equal(made[0]!.price, '5400.50')
    assert.equal(made[0]!.type, 1)
    assert.equal(made[0]!.lessons_count, 8)
    assert.equal(made[0]!.period_count, 2)
    assert.equal(made[0]!.period_type, 3)
    assert.deepEqual(made[0]!.branch_ids, [1])
    await clearToasts(page)
    await site.shot(page, 'settings-tariffs')

    const student = (await site.api.index('customer', { count: 1 })).items[0]!
    await page.goto(`${site.url}/customers/${student.id}`)
    await page.getByTestId('tab-subscriptions').click()
    await page.getByTestId('sub-add').click()
    await page.getByTestId('sub-tariff').click()
    await page.getByRole('option', { name: /Интенсив 8 занятий · 5\s400,50\s₽/ }).click()
    await page.getByTestId('sub-save').click()
    await page.getByTestId('sub-form').waitFor({ state: 'detached' })
    const subs = await site.api.call<{ items: Array<{ tariff_id: number }> }>('customer-tariff', 'index', {
      customer_id: student.id,
    })
    assert.ok(subs.items.some((s) => s.tariff_id === made[0]!.id))

    // In use now: the API refuses to delete it, and it goes to the archive instead.
    await page.goto(`${site.url}/settings/tariffs`)
    await rowOf(page, 'Интенсив 8 занятий').getByTestId('record-delete').click()
    await page.getByTestId('delete-confirm').click()
    await page
      .getByTestId('delete-refusal')
      .getByText(/Невозможно удалить запись/)
      .waitFor()
    await page.getByTestId('delete-switch-off').click()
    await page.getByTestId('delete-dialog').waitFor({ state: 'detached' })
    await rowOf(page, 'Интенсив 8 занятий').waitFor({ state: 'detached' })
    assert.equal((await site.api.get('tariff', made[0]!.id))!.is_archive, 1)
  })

  test('discounts: the customers’ discounts, each linked to its card', async () => {
    const student = (await site.api.index('customer', { count: 1 })).items[0]!
    await site.api.create('discount', {
      customer_id: student.id,
      discount_type: 1,
      amount: 15,
      note: 'Семейная скидка',
    })
    const page = await admin('/settings/tariffs')
    const row = page.getByTestId('discounts').getByTestId('record-row').filter({ hasText: 'Семейная скидка' })
    await row.waitFor()
    assert.match((await row.textContent()) ?? '', /15 %/)
    assert.equal(await row.getByRole('link').getAttribute('href'), `/customers/${student.id}`)
    await row.getByRole('link', { name: student.name }).waitFor()
  })

  test('a customer custom field made in settings is on the customer form', async () => {
    const page = await admin('/settings/custom-fields')
    await page.getByTestId('custom-model-customer').waitFor()
    await page.getByTestId('custom-add').click()
    await page.getByTestId('model-form').waitFor()
    // Options are asked only for list types.
    assert.equal(await page.getByTestId('field-options').count(), 0)
    await page.getByTestId('field-label').fill('Школа')
    await page.getByTestId('field-code').fill('Школа')
    await page.getByTestId('field-type').click()
    await page.getByRole('option', { name: 'Список', exact: true }).click()
    await page.getByTestId('field-options').fill('Лицей № 1')
    await page.keyboard.press('Enter')
    await page.getByTestId('field-options').fill('Гимназия № 5')
    await page.keyboard.press('Enter')
    await page.getByTestId('model-form-save').click()
    // The code must be Latin: the API's message by the field.
    await page.getByTestId('model-form').getByText('Значение «Код» неверно.').waitFor()
    await page.getByTestId('field-code').fill('school')
    await page.getByTestId('model-form-save').click()
    await page.getByTestId('model-form').waitFor({ state: 'detached' })
    await rowOf(page, 'Школа').waitFor()
    const made = (await site.api.index('custom-field', { model: 'customer', code: 'school' })).items
    assert.equal(made.length, 1)
    assert.equal(made[0]!.type, 'select')
    assert.deepEqual(made[0]!.options, ['Лицей № 1', 'Гимназия № 5'])
    await clearToasts(page)
    await site.shot(page, 'settings-custom-fields')

    // Another section's list does not show it.
    await page.getByTestId('custom-model-group').click()
    await page.getByTestId('custom-empty').waitFor()

    const student = (await site.api.index('customer', { count: 1 })).items[0]!
    await page.goto(`${site.url}/customers/${student.id}`)
    await page.getByTestId('card-edit').click()
    await page.getByTestId('customer-form').waitFor()
    await page.getByTestId('field-custom_school').click()
    await page.getByRole('option', { name: 'Гимназия № 5', exact: true }).click()
    await page.getByTestId('customer-form-save').click()
    await page.getByTestId('customer-form').waitFor({ state: 'detached' })
    await until(
      async () => (await site.api.get('customer', student.id))?.custom_school === 'Гимназия № 5',
      'the custom value in the API',
    )
  })

  for (const viewport of [
    { width: 1366, height: 768 },
    { width: 768, height: 1024 },
  ])
    test(`settings tabs: labelled controls, no sideways scroll (${viewport.width} px)`, async () => {
      const page = await admin('/settings/dictionaries', viewport)
      for (const [path, ready] of [
        ['/settings/dictionaries?d=subject', 'dict-table'],
        ['/settings/dictionaries?d=room', 'dict-table'],
        ['/settings/dictionaries?d=lesson-type', 'dict-table'],
        ['/settings/dictionaries?d=pay-account', 'dict-title'],
        ['/settings/tariffs', 'tariffs-table'],
        ['/settings/custom-fields', 'custom-fields'],
      ] as const) {
        await page.goto(`${site.url}${path}`)
        await page.getByTestId(ready).first().waitFor()
        await page.waitForLoadState('networkidle')
        assert.deepEqual(await accessibilityProblems(page), [], `${path} at ${viewport.width} px`)
      }
      // The forms too.
      await page.goto(`${site.url}/settings/tariffs`)
      await page.getByTestId('tariff-add').click()
      await page.getByTestId('model-form').waitFor()
      assert.deepEqual(await accessibilityProblems(page), [], `tariff form at ${viewport.width} px`)
      if (viewport.width === 1366) await shotModal(page, 'settings-tariff-form')
      await page.goto(`${site.url}/settings/custom-fields`)
      await page.getByTestId('custom-add').click()
      await page.getByTestId('model-form').waitFor()
      await page.getByTestId('field-type').click()
      await page.getByRole('option', { name: 'Список, несколько значений', exact: true }).click()
      await page.getByTestId('field-options').waitFor()
      assert.deepEqual(await accessibilityProblems(page), [], `custom field form at ${viewport.width} px`)
      if (viewport.width === 1366) await shotModal(page, 'settings-custom-field-form')
    })
})
