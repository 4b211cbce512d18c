import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, before } from 'node:test'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { V2Api } from '../../web/src/api/client.js'
import { type RunningServer, spawnServer } from '../helpers/process.js'
import { ADMIN, adminEnv, adminToken, freshDatabase } from '../helpers/server.js'
import { chromiumPath } from './chromium.js'

/**
 * Browser tests: Debian's chromium, headless, driven by playwright-core, against the real server process
 * on a real database filled by `seed --demo` (SQLite, or PostgreSQL with TEST_DATABASE_URL). Each file
 * gets its own site; screenshots go to test-output/screenshots/{sqlite|postgres}/.
 */
export { chromiumPath }

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
export const SCREENSHOTS = path.join(
  ROOT,
  'test-output',
  'screenshots',
  process.env.TEST_DATABASE_URL ? 'postgres' : 'sqlite',
)

/** Set when no browser is installed: the browser tests are skipped with this reason (CI installs one). */
export const NO_BROWSER = chromiumPath()
  ? false
  : 'no chromium: install it with `apt-get install -y chromium` (or set CHROMIUM_PATH) to run the browser tests'

export const PASSWORDS = {
  admin: 'admin-parol-2026',
  readonly: 'smotryu-tolko-2026',
  manager: 'menedzher-parol-2026',
}
export const READONLY_EMAIL = 'nablyudatel@school.example'
export const MANAGER_EMAIL = 'menedzher@school.example'

function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`cli ${args.join(' ')} failed: ${stderr || error.message}`))
      else resolve(stdout)
    })
  })
}

export interface Site {
  url: string
  /** The typed client as the admin (API token), for arranging and checking data. */
  api: V2Api
  browser: Browser
  /** A fresh browser profile (no cookies) with a page at 1366×768 unless told otherwise. */
  page(viewport?: { width: number; height: number }): Promise<Page>
  /** Saves a screenshot of the page under SCREENSHOTS. */
  shot(page: Page, name: string): Promise<void>
  server: RunningServer
}

/**
 * The site of the enclosing `describe`: a demo school with an admin, a manager and a readonly user
 * who have passwords, served by the real server process, and one headless chromium.
 */
export function demoSite(): Site {
  let live: (Site & { close(): Promise<void> }) | undefined
  before(async () => {
    if (NO_BROWSER) return
    const fresh = await freshDatabase()
    const env: NodeJS.ProcessEnv = { ...process.env, ...adminEnv(fresh), LOG_LEVEL: 'warn' }
    for (const k of ['DATABASE_URL', 'DATA_DIR']) if (!(k in fresh.env)) delete env[k]
    await cli(env, ['seed', '--demo'])
    await cli(env, ['user', 'set-password', '--email', ADMIN.email, '--password', PASSWORDS.admin])
    for (const [email, role, password] of [
      [READONLY_EMAIL, 'readonly', PASSWORDS.readonly],
      [MANAGER_EMAIL, 'manager', PASSWORDS.manager],
    ] as const) {
      await cli(env, [
        'user',
        'create',
        '--email',
        email,
        '--role',
        role,
        '--branches',
        '1,2',
        '--name',
        role,
      ])
      await cli(env, ['user', 'set-password', '--email', email, '--password', password])
    }
    const server = await spawnServer(
      // Many sign-ins from one address in a file: above the default 10 a minute.
      adminEnv(fresh, { LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT: '1000' }),
    )
    const token = await adminToken(server.url)
    const browser = await chromium.launch({
      executablePath: chromiumPath()!,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    })
    const contexts: BrowserContext[] = []
    fs.mkdirSync(SCREENSHOTS, { recursive: true })
    live = {
      url: server.url,
      api: new V2Api({ base: server.url, branch: 1, token }),
      browser,
      server,
      async page(viewport = { width: 1366, height: 768 }) {
        const context = await browser.newContext({ viewport, locale: 'ru-RU', timezoneId: 'Europe/Moscow' })
        context.setDefaultTimeout(15_000)
        contexts.push(context)
        return context.newPage()
      },
      async shot(page, name) {
        await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false })
      },
      async close() {
        for (const c of contexts) await c.close().catch(() => undefined)
        await browser.close()
        server.child.kill('SIGTERM')
        await server.exited
        await fresh.drop()
      },
    }
  })
  after(() => live?.close())
  const current = () => {
    if (!live) throw new Error('the site starts in before()')
    return live
  }
  return {
    get url() {
      return current().url
    },
    get api() {
      return current().api
    },
    get browser() {
      return current().browser
    },
    get server() {
      return current().server
    },
    page: (v) => current().page(v),
    shot: (p, n) => current().shot(p, n),
  }
}

/** Opens the app at `path` and signs in through the form; resolves when the frame is shown there. */
export async function signIn(
  site: Site,
  email: string,
  password: string,
  viewport?: { width: number; height: number },
  path = '/',
) {
  const page = await site.page(viewport)
  await page.goto(`${site.url}${path}`)
  await page.getByLabel('E-mail').fill(email)
  await page.getByLabel('Пароль').fill(password)
  await page.getByRole('button', { name: 'Войти' }).click()
  await page.getByTestId('user-menu').waitFor()
  return page
}

/**
 * Screen-reader and layout basics of the page as shown: every visible control has an accessible name
 * (label, aria-label/labelledby, title or text), and nothing makes the page itself scroll sideways
 * (wide tables scroll inside their own container). Returns the offenders, empty when all is well.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const problems = []
    const visible = (el) => {
      const r = el.getBoundingClientRect()
      const s = getComputedStyle(el)
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
    }
    const nameOf = (el) => {
      const by = el.getAttribute('aria-labelledby')
      if (by) return by.split(/\\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim()
      if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim()
      if (el.id) {
        const l = document.querySelector('label[for="' + CSS.escape(el.id) + '"]')
        if (l && l.textContent.trim()) return l.textContent.trim()
      }
      const wrap = el.closest('label')
      if (wrap && wrap.textContent.trim()) return wrap.textContent.trim()
      if (el.title) return el.title.trim()
      if (['BUTTON', 'A'].includes(el.tagName) || el.getAttribute('role') === 'button' || el.getAttribute('role') === 'tab')
        return (el.textContent ?? '').trim()
      return ''
    }
    const controls = document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href], [role=button], [role=tab], [role=checkbox], [role=switch]')
    for (const el of controls) {
      if (!visible(el) || el.closest('[aria-hidden=true]')) continue
      if (!nameOf(el)) problems.push('unlabelled ' + el.tagName.toLowerCase() + ' ' + (el.outerHTML.slice(0, 120)))
    }
    const overflow = document.documentElement.scrollWidth - window.innerWidth
    if (overflow > 1) problems.push('the page scrolls sideways by ' + overflow + ' px at ' + window.innerWidth + ' px')
    return problems
  })()`)
}
