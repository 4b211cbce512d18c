import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import type { Reply, Server } from './server.js'

/**
 * Builders for the per-model API tests (STYLE: builders, not fixtures). Every record is made through
 * the API as a client would; a builder asserts its own call succeeded so a broken builder fails loudly
 * where it is used.
 */

export const tag = () => crypto.randomBytes(4).toString('hex')

type Fields = Record<string, unknown>
type Model = Record<string, any>

/** Where and as whom a builder calls: branch 1 and the admin unless told. */
export interface As {
  branch?: number
  token?: string
}

async function created(s: Server, path: string, body: Fields, as: As = {}): Promise<Model> {
  const r = as.token ? await s.call(path, body, { token: as.token }) : await s.api(path, body)
  assert.equal(r.status, 200, `${path}: ${r.text}`)
  return r.body.model as Model
}

export interface ApiUser {
  id: number
  email: string
  apiKey: string
  token: string
}

export const make = {
  branch: (s: Server, fields: Fields = {}) =>
    created(s, 'branch/create', { name: `Филиал ${tag()}`, ...fields }),

  customer: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(
      s,
      `${as.branch ?? 1}/customer/create`,
      { name: `Клиент ${tag()}`, is_study: 1, legal_type: 1, ...fields },
      as,
    ),

  location: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(s, `${as.branch ?? 1}/location/create`, { name: `Локация ${tag()}`, ...fields }, as),

  room: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(s, `${as.branch ?? 1}/room/create`, { name: `Ауд. ${tag()}`, ...fields }, as),

  /** A row of a tenant-wide dictionary (subject, lead-status …). */
  dictionary: (s: Server, slug: string, fields: Fields = {}) =>
    created(s, `1/${slug}/create`, { name: `${slug} ${tag()}`, ...fields }),

  task: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(
      s,
      `${as.branch ?? 1}/task/create`,
      { title: `Задача ${tag()}`, text: 'Позвонить', assigned_ids: [1], ...fields },
      as,
    ),

  comment: (s: Server, cls: string, relatedId: number, fields: Fields = {}, as: As = {}) =>
    created(
      s,
      `${as.branch ?? 1}/communication/create?class=${cls}&related_id=${relatedId}`,
      { comment: `Комментарий ${tag()}`, ...fields },
      as,
    ),

  customField: (s: Server, fields: Fields = {}) =>
    created(s, 'custom-field/create', {
      model: 'customer',
      code: `f_${tag()}`,
      label: 'Поле',
      type: 'string',
      ...fields,
    }),

  /** A user made through the API and logged in with the key its create reply shows once (§7.30). */
  async user(s: Server, fields: Fields = {}): Promise<ApiUser> {
    const email = (fields.email as string | undefined) ?? `u${tag()}@school.example`
    const m = await created(s, 'user/create', {
      name: 'Сотрудник',
      role: 'manager',
      branch_ids: [1],
      ...fields,
      email,
    })
    assert.equal(typeof m.api_key, 'string', 'create shows the api key')
    const token = fields.is_active === 0 ? '' : await s.login(email, m.api_key)
    return { id: m.id, email, apiKey: m.api_key, token }
  },
}

/** The items of an index reply by id. */
export const idsOf = (r: Reply) => (r.body.items as Array<{ id: number }>).map((i) => i.id)

/** Exact error bodies of §3.5–§3.7. */
export const wire = {
  invalid(errors: Record<string, string[]>) {
    const first = Object.values(errors)[0]?.[0]
    return {
      success: false,
      errors,
      model: null,
      name: 'Unprocessable Entity',
      message: first,
      code: 0,
      status: 422,
    }
  },
  /** §6.9: a refused delete, one message per referencing slug. */
  refused: (...slugs: string[]) =>
    wire.invalid({
      id: slugs.map((slug) => `Невозможно удалить запись: на неё ссылаются записи «${slug}».`),
    }),
  notFound: { name: 'Not Found', message: 'Not Found', code: 0, status: 404 },
  accessDenied: { name: 'Forbidden', message: 'Access Denied', code: 0, status: 403 },
  unauthorized: {
    name: 'Unauthorized',
    message: 'Your request was made with invalid credentials.',
    code: 0,
    status: 401,
  },
  notAuthorized: { name: 'Forbidden', message: 'Not Authorized', code: 0, status: 403 },
  missing: (...names: string[]) => ({
    name: 'Bad Request',
    message: `Отсутствуют обязательные параметры: ${names.join(', ')}`,
    code: 0,
    status: 400,
  }),
  badParam: (name: string) => ({
    name: 'Bad Request',
    message: `Неверное значение параметра «${name}».`,
    code: 0,
    status: 400,
  }),
}

/** The wall clock of the server's default time zone (§0.4) as `yyyy-mm-dd hh:mm:ss`. */
export function wallClock(tz = 'Europe/Moscow', at = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at)
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
}

/** Asserts a wire datetime is "now" in the server's time zone, within a minute. */
export function assertNow(value: unknown, message?: string): void {
  assert.match(String(value), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, message)
  const seconds = (v: string) => Date.parse(`${v.replace(' ', 'T')}Z`) / 1000
  const drift = Math.abs(seconds(String(value)) - seconds(wallClock()))
  assert.ok(drift < 60, `${message ?? ''} ${String(value)} is not now (${wallClock()})`)
}
