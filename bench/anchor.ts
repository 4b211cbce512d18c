import http from 'node:http'
import path from 'node:path'
import SQLite from 'better-sqlite3'

/**
 * The anchor of the traffic scenarios (bench/traffic.ts): a hand-written `node:http` + better-sqlite3
 * server answering `POST /v2api/<branch>/customer/index` on a seeded SQLite database, in a process of its
 * own. It runs the SQL Parta runs for the same request (the filtered count, the page in id order seeking
 * from kept page starts, the current subscriptions and the upcoming lessons of the page) and writes the
 * reply by hand, byte for byte what Parta answers; the bench checks that on a sample of requests before
 * measuring. It keeps what Parta keeps between requests of unchanged data (the total of a filter and where
 * pages start, under the data version) but no replies. It imports nothing of Parta: what it costs is what
 * the work costs written plainly.
 *
 * Scope: the default list, pages, `name`, `phone`, `is_study`, `removed` and the single-value exact
 * filters the bench sends; no custom fields; one token (ANCHOR_TOKEN). Anything else is a 400.
 */
const DATA_DIR = process.env.DATA_DIR ?? ''
const TOKEN = process.env.ANCHOR_TOKEN ?? ''
const TZ = process.env.TZ_NAME ?? 'Europe/Moscow'

const db = new SQLite(path.join(DATA_DIR, 'parta.db'), { readonly: true })
db.pragma('busy_timeout = 10000')
if (
  (db.prepare(`SELECT count(*) AS n FROM custom_fields WHERE model = 'customer'`).get() as { n: number }).n >
  0
)
  throw new Error('anchor: customer custom fields are not supported')

const EXACT = new Set([
  'legal_type',
  'gender',
  'study_status_id',
  'lead_status_id',
  'lead_source_id',
  'lead_reject_id',
  'customer_reject_id',
  'assigned_id',
])

const statements = new Map<string, SQLite.Statement>()
function prepared(text: string): SQLite.Statement {
  let s = statements.get(text)
  if (!s) {
    s = db.prepare(text)
    statements.set(text, s)
  }
  return s
}

// The data version: commits of other connections (this one never writes).
const versionOf = db.prepare('SELECT data_version AS d FROM pragma_data_version').pluck()
let keptVersion = -1
const totals = new Map<string, number>()
const starts = new Map<string, Map<number, number>>()

const wallClock = new Intl.DateTimeFormat('sv-SE', {
  timeZone: TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

class Bad extends Error {}

function money(k: number): string {
  const abs = Math.abs(Math.trunc(k))
  return `${k < 0 && abs !== 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

const dmy = (d: string | null) => (d === null ? null : `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`)
const iso = (d: string | null) => (d === null ? null : d.slice(0, 10))
const int = (v: unknown): number => {
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new Bad()
  return n
}

interface Row {
  id: number
  [column: string]: unknown
}

function index(branch: number, body: Record<string, unknown>): string {
  const version = versionOf.get() as number
  if (version !== keptVersion) {
    keptVersion = version
    totals.clear()
    starts.clear()
  }
  const page = body.page === undefined ? 0 : Math.max(0, int(body.page))
  const where: string[] = [
    `exists (select 1 as "one" from "customers_branch_ids" where "customers_branch_ids"."record_id" = "customers"."id" and "customers_branch_ids"."value" = ?)`,
  ]
  const params: unknown[] = [branch]
  for (const [key, value] of Object.entries(body)) {
    if (key === 'page' || value === '' || value === null) continue
    if (key === 'name' || key === 'phone') {
      const needle = key === 'name' ? String(value).trim().toLowerCase() : String(value).replace(/\D/g, '')
      if (needle === '') continue
      where.push(
        `"customers"."id" in (select "customers_search"."rowid" from "customers_search" where "customers_search"."${key}" GLOB ?)`,
      )
      params.push(`*${needle.replace(/[*?[]/g, (c) => `[${c}]`)}*`)
    } else if (key === 'is_study' || key === 'removed') {
      const v = int(value)
      if (v === 2) where.push(key === 'removed' ? `"customers"."removed" = ?` : '1 = 1')
      else if (v === 1 && key === 'removed') where.push('1 = 1')
      else where.push(`"customers"."${key}" = ?`)
      if (key === 'removed' && v !== 1) params.push(v === 2 ? 1 : 0)
      else if (key === 'is_study' && v !== 2) params.push(v)
    } else if (EXACT.has(key)) {
      where.push(`"customers"."${key}" = ?`)
      params.push(int(value))
    } else throw new Bad()
  }
  if (body.is_study === undefined || body.is_study === '') {
    where.push(`"customers"."is_study" = ?`)
    params.push(1)
  }
  if (body.removed === undefined || body.removed === '') {
    where.push(`"customers"."removed" = ?`)
    params.push(0)
  }
  const filter = `from "customers" where (${where.join(' and ')})`
  const key = `${filter}\u0000${JSON.stringify(params)}`
  let total = totals.get(key)
  if (total === undefined) {
    total = (prepared(`select count(*) as "n" ${filter}`).get(...params) as { n: number }).n
    totals.set(key, total)
  }
  const offset = page * 50
  let rows: Row[] = []
  if (offset < total) rows = pageOf(filter, params, key, offset)
  return reply(total, page, rows)
}

/** A page in id order, seeking from the nearest kept page start as Parta does. */
function pageOf(filter: string, params: unknown[], key: string, offset: number): Row[] {
  let kept = starts.get(key)
  if (!kept) {
    kept = new Map()
    starts.set(key, kept)
  }
  let from = 0
  let after: number | null = null
  for (const [position, id] of kept) {
    if (position <= offset && position > from) {
      from = position
      after = id
    }
  }
  const gap = offset - from
  const lead = gap > 0 ? 1 : 0
  const seek = after === null ? '' : ` and "customers"."id" > ?`
  const text = `select "customers".* ${filter.slice(0, -1)}${seek}) order by "customers"."id" asc limit ? offset ?`
  const args = after === null ? [...params, 50 + lead, gap - lead] : [...params, after, 50 + lead, gap - lead]
  const rows = prepared(text).all(...args) as Row[]
  if (lead === 1 && rows.length > 0) kept.set(offset, rows[0]!.id)
  const page = lead === 1 ? rows.slice(1) : rows
  if (page.length > 0 && kept.size < 10_000) kept.set(offset + page.length, page.at(-1)!.id)
  return page
}

const subscriptions = (n: number) =>
  `select "ct"."customer_id", "ct"."e_date", "ct"."is_separate_balance", "t"."type", "t"."price", "t"."lessons_count" from "customer_tariffs" as "ct" inner join "tariffs" as "t" on "t"."id" = "ct"."tariff_id" where "ct"."customer_id" in (${Array(n).fill('?').join(', ')}) and "ct"."is_archive" = ? and "ct"."b_date" <= ? and "ct"."e_date" >= ? order by "ct"."b_date" desc, "ct"."id" desc`

function reply(total: number, page: number, rows: Row[]): string {
  const parts = wallClock.format(new Date())
  const now = parts.replace('T', ' ')
  const today = now.slice(0, 10)
  const perLesson = new Map<number, number>()
  const periodTill = new Map<number, string>()
  if (rows.length > 0) {
    const ids = rows.map((r) => r.id)
    for (const s of prepared(subscriptions(ids.length)).all(...ids, 0, today, today) as Row[]) {
      const id = s.customer_id as number
      const type = s.type as number
      if (type === 1 && s.is_separate_balance === 0 && !perLesson.has(id)) {
        const n = s.lessons_count as number
        perLesson.set(id, n > 0 ? Math.floor((2 * (s.price as number) + n) / (2 * n)) : 0)
      }
      if (type !== 1 && !periodTill.has(id)) periodTill.set(id, s.e_date as string)
    }
  }
  const paidCount = (r: Row) => {
    const q = perLesson.get(r.id) ?? 0
    const b = r.balance_base as number
    return q > 0 && b > 0 ? Math.floor(b / q) : 0
  }
  const upcoming = new Map<string, string>()
  if (rows.length > 0) {
    const wanted = rows.map(() => '(r.customer_id = ? AND r.rn = ?)').join(' OR ')
    const args: unknown[] = [now, ...rows.map((r) => r.id)]
    for (const r of rows) args.push(r.id, Math.max(paidCount(r), 1))
    const text = `
    SELECT r.customer_id, r.time_from, r.rn FROM (
      SELECT d.customer_id, d.lesson_time AS time_from,
        row_number() OVER (PARTITION BY d.customer_id ORDER BY d.lesson_time, d.lesson_id) AS rn
      FROM lesson_details d WHERE d.lesson_status = 1 AND d.lesson_time >= ? AND d.customer_id IN (${rows.map(() => '?').join(', ')})
    ) r
    WHERE r.rn = 1 OR ${wanted}`
    for (const u of prepared(text).all(...args) as Row[])
      upcoming.set(`${u.customer_id}:${u.rn}`, u.time_from as string)
  }
  const items = rows.map((r) => {
    const count = paidCount(r)
    const till = periodTill.get(r.id)
    const base = r.balance_base as number
    return {
      id: r.id,
      branch_ids: JSON.parse(r.branch_ids as string),
      teacher_ids: JSON.parse(r.teacher_ids as string),
      name: r.name,
      is_study: r.is_study,
      study_status_id: r.study_status_id,
      lead_status_id: r.lead_status_id,
      lead_reject_id: r.lead_reject_id,
      customer_reject_id: r.customer_reject_id,
      lead_source_id: r.lead_source_id,
      assigned_id: r.assigned_id,
      employee_id: r.employee_id,
      legal_type: r.legal_type,
      legal_name: r.legal_name,
      company_id: r.company_id,
      dob: dmy(r.dob as string | null),
      gender: r.gender,
      balance: money(base),
      balance_base: money(base),
      balance_bonus: '0.00',
      last_attend_date: iso(r.last_attend_date as string | null),
      b_date: r.b_date,
      e_date: iso(r.e_date as string | null),
      removed: r.removed,
      note: r.note,
      paid_count: r.paid_count,
      paid_lesson_count: count,
      paid_lesson_date: count > 0 ? (upcoming.get(`${r.id}:${count}`) ?? null) : null,
      next_lesson_date: upcoming.get(`${r.id}:1`) ?? null,
      paid_till: till ? `${till} 00:00:00` : null,
      phone: JSON.parse(r.phone as string),
      email: JSON.parse(r.email as string),
      web: JSON.parse(r.web as string),
      addr: JSON.parse(r.addr as string),
      color: r.color,
    }
  })
  return JSON.stringify({ total, count: items.length, page, items })
}

const PATH = /^\/v2api\/(\d+)\/customer\/index(?:\?.*)?$/

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    if (req.url === '/healthz') return res.end('ok')
    const m = PATH.exec(req.url ?? '')
    let status = 200
    let out: string
    try {
      if (!m || req.method !== 'POST') throw new Bad()
      if (req.headers['x-alfacrm-token'] !== TOKEN) {
        status = 401
        throw new Bad()
      }
      const text = Buffer.concat(chunks).toString('utf8')
      const body = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
      out = index(Number(m[1]), body)
    } catch (err) {
      if (status === 200) status = err instanceof Bad || err instanceof SyntaxError ? 400 : 500
      out = JSON.stringify({ errors: [err instanceof Error ? err.message : String(err)] })
    }
    const bytes = Buffer.from(out)
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': bytes.length,
      'x-request-id': '00000000-0000-4000-8000-000000000000',
    })
    res.end(bytes)
  })
})

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)))
