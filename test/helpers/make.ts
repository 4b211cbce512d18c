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

/** Where, as whom and with which headers a builder calls: branch 1 and the admin unless told. */
export interface As {
  branch?: number
  token?: string
  headers?: Record<string, string>
}

/** The path branch: the one named, else the first of the record's branch_ids, else 1. */
function branchOf(fields: Fields, as: As): number {
  const first = Array.isArray(fields.branch_ids) ? (fields.branch_ids[0] as number | undefined) : undefined
  return as.branch ?? first ?? 1
}

function post(s: Server, path: string, body: Fields, as: As = {}): Promise<Reply> {
  const opts = as.headers ? { headers: as.headers } : {}
  return as.token ? s.call(path, body, { ...opts, token: as.token }) : s.api(path, body, opts)
}

function modelOf(r: Reply, path: string): Model {
  assert.equal(r.status, 200, `${path}: ${r.text}`)
  return r.body.model as Model
}

async function created(s: Server, path: string, body: Fields, as: As = {}): Promise<Model> {
  return modelOf(await post(s, path, body, as), path)
}

/**
 * The calls of the builders that tests also make to be refused: the same path and defaults, answering
 * the reply, whatever it is. `make.customer` is `attempt.customer` that must succeed; likewise the rest.
 */
export const attempt = {
  customer: (s: Server, fields: Fields = {}, as: As = {}) =>
    post(
      s,
      `${branchOf(fields, as)}/customer/create`,
      { name: `Клиент ${tag()}`, is_study: 1, legal_type: 1, ...fields },
      as,
    ),

  customField: (s: Server, fields: Fields = {}, as: As = {}) =>
    post(
      s,
      'custom-field/create',
      { model: 'customer', code: `f_${tag()}`, label: 'Поле', type: 'string', ...fields },
      as,
    ),

  /** A subscription (§7.18) of the customer; `tariff_id` is the caller's. */
  subscription: (s: Server, customerId: number, fields: Fields = {}, as: As = {}) =>
    post(s, `${as.branch ?? 1}/customer-tariff/create?customer_id=${customerId}`, fields, as),

  /** An income (§7.13) dated 15.09.2025 unless told; `pay_account_id` and `income` are the caller's. */
  pay: (s: Server, fields: Fields = {}, as: As = {}) =>
    post(s, `${as.branch ?? 1}/pay/create`, { pay_type_id: 1, document_date: '15.09.2025', ...fields }, as),
}

export interface ApiUser {
  id: number
  email: string
  apiKey: string
  /** '' for a user made inactive or without a login. */
  token: string
}

export const make = {
  branch: (s: Server, fields: Fields = {}) =>
    created(s, 'branch/create', { name: `Филиал ${tag()}`, ...fields }),

  /** Branch 2 of a fresh server, for the tests that name it by id. */
  secondBranch: (s: Server) => make.branch(s, { name: 'Второй филиал' }),

  /** In `as.branch`, else the first of its `branch_ids`, else branch 1. */
  customer: async (s: Server, fields: Fields = {}, as: As = {}) =>
    modelOf(await attempt.customer(s, fields, as), 'customer/create'),

  location: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(s, `${as.branch ?? 1}/location/create`, { name: `Локация ${tag()}`, ...fields }, as),

  room: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(s, `${as.branch ?? 1}/room/create`, { name: `Ауд. ${tag()}`, ...fields }, as),

  /** A row of a tenant-wide dictionary (subject, lead-status …). */
  dictionary: (s: Server, slug: string, fields: Fields = {}) =>
    created(s, `1/${slug}/create`, { name: `${slug} ${tag()}`, ...fields }),

  /** In `as.branch`, else the first of its `branch_ids`, else branch 1. */
  task: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(
      s,
      `${branchOf(fields, as)}/task/create`,
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

  customField: async (s: Server, fields: Fields = {}) =>
    modelOf(await attempt.customField(s, fields), 'custom-field/create'),

  /** A package of 8 lessons for 5000.00 (the tariff of the examples) unless told (§7.22). */
  tariff: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(
      s,
      `${branchOf(fields, as)}/tariff/create`,
      { name: `Абонемент ${tag()}`, type: 1, price: '5000', lessons_count: 8, ...fields },
      as,
    ),

  subscription: async (s: Server, customerId: number, fields: Fields = {}, as: As = {}) =>
    modelOf(await attempt.subscription(s, customerId, fields, as), 'customer-tariff/create'),

  payAccount: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(s, `${as.branch ?? 1}/pay-account/create`, { name: `Касса ${tag()}`, ...fields }, as),

  payItem: (s: Server, fields: Fields = {}, as: As = {}) =>
    created(s, `${branchOf(fields, as)}/pay-item/create`, { name: `Статья ${tag()}`, ...fields }, as),

  pay: async (s: Server, fields: Fields = {}, as: As = {}) =>
    modelOf(await attempt.pay(s, fields, as), 'pay/create'),

  /** 10 % off every lesson of the customer from 01.09.2025 unless told (§7.19). */
  discount: (s: Server, customerId: number, fields: Fields = {}, as: As = {}) =>
    created(
      s,
      `${as.branch ?? 1}/discount/create`,
      { customer_id: customerId, discount_type: 1, amount: 10, begin: '01.09.2025', ...fields },
      as,
    ),

  /**
   * A user made through the API and logged in with the key its create reply shows once (§7.30);
   * `login: false` leaves it without a token (the login rate limit counts every login).
   */
  async user(s: Server, fields: Fields = {}, { login = true } = {}): Promise<ApiUser> {
    const email = (fields.email as string | undefined) ?? `u${tag()}@school.example`
    const m = await created(s, 'user/create', {
      name: 'Сотрудник',
      role: 'manager',
      branch_ids: [1],
      ...fields,
      email,
    })
    assert.equal(typeof m.api_key, 'string', 'create shows the api key')
    const token = !login || fields.is_active === 0 ? '' : await s.login(email, m.api_key)
    return { id: m.id, email, apiKey: m.api_key, token }
  },
}

/** The items of an index reply by id. */
export const idsOf = (r: Pick<Reply, 'body'>) => (r.body.items as Array<{ id: number }>).map((i) => i.id)

/** The wall clock of the server's default time zone (§0.4) as `yyyy-mm-dd hh:mm:ss`. */
export function wallClock(tz = 'Europe/Moscow', at = new Date()): string {
  // Swedish writes dates and times the ISO way, 24-hour.
  return at.toLocaleString('sv-SE', { timeZone: tz })
}

/** Asserts a wire datetime is "now" in the server's time zone, within a minute. */
export function assertNow(value: unknown, message?: string): void {
  assert.match(String(value), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, message)
  const seconds = (v: string) => Date.parse(`${v.replace(' ', 'T')}Z`) / 1000
  const drift = Math.abs(seconds(String(value)) - seconds(wallClock()))
  assert.ok(drift < 60, `${message ?? ''} ${String(value)} is not now (${wallClock()})`)
}
