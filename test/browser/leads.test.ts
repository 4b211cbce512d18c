import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import type { Customer, LeadStatus } from '../../web/src/api/models.gen.js'
import { ADMIN } from '../helpers/server.js'
import { demoSite, NO_BROWSER, PASSWORDS, READONLY_EMAIL, type Site, signIn } from './harness.js'

/** Waits (at most 15 s) until the API's answer satisfies `ok`; returns the last answer. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const v = await read()
    if (ok(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function lead(site: Site, id: number): Promise<Customer> {
  const c = await site.api.get('customer', id, { is_study: 2, removed: 1 })
  assert.ok(c, `customer ${id} exists`)
  return c
}

/** Opens the board and waits until every column shows its count. */
async function openBoard(page: Page, site: Site, statuses: LeadStatus[]) {
  await page.goto(`${site.url}/leads`)
  for (const s of statuses) {
    await page
      .getByTestId(`lead-column-${s.id}`)
      .getByTestId('lead-column-count')
      .filter({ hasText: /^\d+$/ })
      .waitFor()
  }
}

/**
 * The leads funnel in a real browser: a column per stage with the API's exact counts, a lead moved by
 * dragging and by its menu, converted to a student; a readonly user only looks.
 */
describe('staff app: leads funnel', { skip: NO_BROWSER }, () => {
  const site = demoSite()
  let statuses: LeadStatus[] = []

  test('each column counts what the API counts for its stage; the board loads in at most 10 calls', async () => {
    statuses = await site.api.all('lead-status')
    assert.ok(statuses.length >= 3, 'the demo has a funnel')
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    const calls: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/v2api/')) calls.push(new URL(r.url()).pathname)
    })
    await openBoard(page, site, statuses)
    await page
      .getByTestId('leads-sources')
      .getByText(/· \d+$/)
      .first()
      .waitFor()
    await page.waitForLoadState('networkidle')
    // A column per stage and a count per source: asked one by one, that was 20 calls and more.
    assert.ok(calls.length <= 10, `${calls.length} calls\n${calls.join('\n')}`)
    const titles = await page
      .getByTestId('leads-board')
      .locator('[data-status-id]')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-status-id'))))
    assert.deepEqual(
      titles,
      statuses.map((s) => s.id),
      'the columns follow the dictionary order',
    )
    let sum = 0
    for (const s of statuses) {
      const total = (await site.api.index('customer', { is_study: 0, lead_status_id: s.id, count: 1 })).total
      sum += total
      const shown = await page
        .getByTestId(`lead-column-${s.id}`)
        .getByTestId('lead-column-count')
        .textContent()
      assert.equal(Number(shown), total, `count of «${s.name}»`)
      const cards = await page.getByTestId(`lead-column-${s.id}`).locator('[data-lead-id]').count()
      assert.equal(cards, Math.min(total, 50), `cards of «${s.name}»`)
    }
    assert.ok(sum > 0, 'the demo has leads on the board')
    await site.shot(page, 'leads-board')
  })

  test('a lead moves by drag and drop, then by its menu, then becomes a student', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await openBoard(page, site, statuses)
    const [first, second, third] = statuses as [LeadStatus, LeadStatus, LeadStatus]
    const start = (await site.api.index('customer', { is_study: 0, lead_status_id: first.id, count: 1 }))
      .items[0]
    assert.ok(start, 'a lead at the first stage')
    const card = () => page.getByTestId(`lead-card-${start.id}`)

    // Drag and drop to the second stage.
    await card().dragTo(page.getByTestId(`lead-column-${second.id}`))
    let now = await until(
      () => lead(site, start.id),
      (c) => c.lead_status_id === second.id,
    )
    assert.equal(now.lead_status_id, second.id, 'the API has the dragged stage')
    await page.getByTestId(`lead-column-${second.id}`).getByTestId(`lead-card-${start.id}`).waitFor()

    // The keyboard way: the card's menu, opened and chosen with the keyboard.
    await card().getByTestId('lead-menu').focus()
    await page.keyboard.press('Enter')
    await page.getByRole('menuitem', { name: third.name, exact: true }).click()
    now = await until(
      () => lead(site, start.id),
      (c) => c.lead_status_id === third.id,
    )
    assert.equal(now.lead_status_id, third.id, 'the API has the stage chosen in the menu')
    await page.getByTestId(`lead-column-${third.id}`).getByTestId(`lead-card-${start.id}`).waitFor()
    const counted = (await site.api.index('customer', { is_study: 0, lead_status_id: third.id, count: 1 }))
      .total
    await page
      .getByTestId(`lead-column-${third.id}`)
      .getByTestId('lead-column-count')
      .filter({ hasText: new RegExp(`^${counted}$`) })
      .waitFor()

    // Converted: a student now, off the board.
    await card().getByTestId('lead-menu').click()
    await page.getByTestId('lead-convert').click()
    now = await until(
      () => lead(site, start.id),
      (c) => c.is_study === 1,
    )
    assert.equal(now.is_study, 1, 'the API has a student')
    await card().waitFor({ state: 'detached' })
  })

  test('the source filter narrows every column to the API counts; a long column pages by 50', async () => {
    const sources = await site.api.all('lead-source')
    const source = sources[1]!
    const last = statuses[statuses.length - 1]!
    for (let i = 0; i < 52; i++) {
      await site.api.create('customer', {
        name: `Лид для листания ${i + 1}`,
        is_study: 0,
        legal_type: 1,
        lead_status_id: last.id,
        lead_source_id: source.id,
      })
    }
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin)
    await openBoard(page, site, statuses)
    await page.getByTestId('leads-source').click()
    await page.getByRole('option', { name: source.name, exact: true }).click()
    for (const s of statuses) {
      const total = (
        await site.api.index('customer', {
          is_study: 0,
          lead_status_id: s.id,
          lead_source_id: source.id,
          count: 1,
        })
      ).total
      await page
        .getByTestId(`lead-column-${s.id}`)
        .getByTestId('lead-column-count')
        .filter({ hasText: new RegExp(`^${total}$`) })
        .waitFor()
    }
    const column = page.getByTestId(`lead-column-${last.id}`)
    const total = Number(await column.getByTestId('lead-column-count').textContent())
    assert.ok(total > 50)
    assert.equal(await column.locator('[data-lead-id]').count(), 50, 'the first 50')
    await column.getByTestId('lead-column-more').click()
    await column
      .locator('[data-lead-id]')
      .nth(total - 1)
      .waitFor()
    assert.equal(await column.locator('[data-lead-id]').count(), total, 'all of them after "show more"')
    assert.equal(await column.getByTestId('lead-column-more').count(), 0)
  })

  test('a readonly user sees the board without move or convert actions', async () => {
    const page = await signIn(site, READONLY_EMAIL, PASSWORDS.readonly)
    await openBoard(page, site, statuses)
    const cards = page.getByTestId('leads-board').locator('[data-lead-id]')
    assert.ok((await cards.count()) > 0, 'the readonly user sees leads')
    assert.equal(await page.getByTestId('lead-menu').count(), 0, 'no card menus')
    assert.equal(
      await page.getByTestId('leads-board').locator('[draggable="true"]').count(),
      0,
      'nothing to drag',
    )
  })

  test('on a tablet the board scrolls sideways inside the page', async () => {
    const page = await signIn(site, ADMIN.email, PASSWORDS.admin, { width: 768, height: 1024 })
    await openBoard(page, site, statuses)
    const overflow = await page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth')
    assert.equal(overflow, false, 'the page itself does not overflow')
    const board = await page
      .getByTestId('leads-board')
      .evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }))
    assert.ok(board.scroll > board.client, 'the board scrolls')
    await site.shot(page, 'leads-board-tablet')
  })
})
