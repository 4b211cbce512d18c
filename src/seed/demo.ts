import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.js'
import { setPasswordHash } from '../auth/passwords.js'
import { hashPassword, hashToken, newPassword } from '../auth/secrets.js'
import { issueToken } from '../auth/tokens.js'
import { createUser } from '../auth/users.js'
import { loadConfig } from '../config.js'
import type { Db } from '../db/connect.js'
import type { Registry } from '../engine/model.js'
import { datetimeZone } from '../fields/datetime.js'
import { addDays, addMonths, nowParts } from '../wire/dates.js'
import { termAround } from './calendar.js'
import { email, fullName, person, phone } from './people.js'
import { Rng } from './random.js'

/**
 * `seed --demo`: a small school made through the API itself — an in-process server answering
 * `app.inject` calls as the first administrator — so every balance, charge, schedule and log row is
 * what a client would have produced.
 */
export interface DemoReport {
  seconds: number
  requests: number
  made: Record<string, number>
  /** Set when the database had no administrator and the demo made one (its key is shown once). */
  admin?: { email: string; apiKey: string; password: string }
  /** The e-mail of the administrator the demo acted as. */
  actingAdmin: string
}

type Body = Record<string, unknown>
type Api = (path: string, body?: Body) => Promise<Body>

const dmy = (iso: string) => iso.split('-').reverse().join('.')

const SUBJECTS = [
  'Английский язык',
  'Математика',
  'Шахматы',
  'Робототехника',
  'Рисование',
  'Подготовка к школе',
]
const FUNNEL = [
  'Новое обращение',
  'Взят в работу',
  'Записан на пробное',
  'Пробное проведено',
  'Ожидает оплаты',
]

export async function seedDemo(db: Db, o: { seed: number; models: Registry }): Promise<DemoReport> {
  const started = performance.now()
  const config = loadConfig()
  datetimeZone.tz = config.tz
  const app = await buildApp({ config: { ...config, logLevel: 'silent' }, db, models: o.models })
  await ensureBranch(db)
  const { adminId, adminEmail, created } = await actingAdmin(db)
  const token = await issueToken(db.kysely, adminId, 3600)
  const made: Record<string, number> = {}
  let requests = 0
  const api: Api = async (path, body = {}) => {
    requests++
    const r = await app.inject({
      method: 'POST',
      url: `/v2api/${path}`,
      headers: { 'content-type': 'application/json', 'x-alfacrm-token': token },
      payload: JSON.stringify(body),
    })
    if (r.statusCode !== 200) throw new Error(`seed --demo: ${path} answered ${r.statusCode}: ${r.body}`)
    const parsed = JSON.parse(r.body) as Body
    const [slug, action] = path
      .split('?')[0]!
      .replace(/^\d+\//, '')
      .split('/')
    const what = action === 'update' && body.status === 3 ? 'lesson conducted' : `${slug} ${action}`
    if (action === 'create' || what === 'lesson conducted') made[what] = (made[what] ?? 0) + 1
    return parsed
  }
  try {
    await buildSchool(api, new Rng(o.seed), nowParts(config.tz).date)
  } finally {
    await db.kysely.deleteFrom('tokens').where('token_hash', '=', hashToken(token)).execute()
    await (app as FastifyInstance).close()
  }
  return {
    seconds: (performance.now() - started) / 1000,
    requests,
    made,
    actingAdmin: adminEmail,
    ...(created ? { admin: created } : {}),
  }
}

/** The first active administrator; on a database without one, a new one whose key is reported once. */
async function actingAdmin(db: Db) {
  const admin = await db.kysely
    .selectFrom('users')
    .select(['id', 'email'])
    .where('role', '=', 'admin')
    .where('is_active', '=', 1)
    .orderBy('id')
    .executeTakeFirst()
  if (admin) return { adminId: Number(admin.id), adminEmail: String(admin.email), created: null }
  const email = 'admin@school.example'
  const user = await createUser(db.kysely, { email, role: 'admin', name: 'Администратор' })
  // A password too, so the staff app can be opened at once; reported once, like the key.
  const password = newPassword()
  await setPasswordHash(db.kysely, user.id, await hashPassword(password))
  return { adminId: user.id, adminEmail: email, created: { email, apiKey: user.apiKey, password } }
}

/** Branch 1, as the first start makes it, on a database that has no branch yet. */
async function ensureBranch(db: Db): Promise<void> {
  if (await db.kysely.selectFrom('branches').select('id').limit(1).executeTakeFirst()) return
  await db.kysely
    .insertInto('branches')
    .values({ name: 'Основной филиал', is_active: 1, subject_ids: '[]', weight: 0 })
    .execute()
}

const id = (reply: Body) => (reply.model as { id: number }).id

async function buildSchool(api: Api, rng: Rng, today: string): Promise<void> {
  const term = termAround(today)
  const branches = ((await api('1/branch/index')).items as Array<{ id: number }>).map((b) => b.id)
  if (branches.length < 2) branches.push(id(await api('branch/create', { name: 'Филиал на Садовой' })))
  const [main, second] = branches as [number, number]

  const subjects: number[] = []
  for (const name of SUBJECTS) subjects.push(id(await api('1/subject/create', { name })))
  for (const name of ['Учится', 'На паузе', 'Закончил обучение']) await api('1/study-status/create', { name })
  const funnel: number[] = []
  for (const name of FUNNEL) funnel.push(id(await api('1/lead-status/create', { name })))
  const sources: number[] = []
  for (const [code, name] of [
    ['site', 'Сайт'],
    ['vk', 'ВКонтакте'],
    ['ref', 'Рекомендация'],
    ['2gis', '2ГИС'],
  ]) {
    sources.push(id(await api('1/lead-source/create', { code, name })))
  }
  for (const name of ['Дорого', 'Неудобное расписание']) await api('1/lead-reject/create', { name })
  await api('1/customer-reject/create', { name: 'Переезд' })
  const statuses = ((await api('1/study-status/index')).items as Array<{ id: number }>).map((s) => s.id)

  const rooms = new Map<number, number[]>()
  const accounts = new Map<number, number>()
  for (const [b, n] of [
    [main, 3],
    [second, 2],
  ] as const) {
    const list: number[] = []
    for (let i = 1; i <= n; i++) list.push(id(await api(`${b}/room/create`, { name: `Кабинет ${i}` })))
    rooms.set(b, list)
    accounts.set(b, id(await api(`${b}/pay-account/create`, { name: 'Касса' })))
    await api(`${b}/pay-account/create`, { name: 'Расчётный счёт' })
  }

  const teachers = new Map<number, number[]>([
    [main, []],
    [second, []],
  ])
  for (let i = 0; i < 6; i++) {
    const b = i < 4 ? main : second
    const p = person(rng, i % 3 === 0 ? 1 : 2)
    const t = await api(`${b}/teacher/create`, {
      name: fullName(p),
      gender: p.gender,
      branch_ids: i === 3 ? [main, second] : [b],
      subject_ids: [subjects[i % subjects.length]],
      phone: [phone(rng)],
      email: [email(rng, p)],
    })
    teachers.get(b)!.push(id(t))
  }

  const all = [main, second]
  const eight = id(
    await api(`${main}/tariff/create`, {
      name: 'Абонемент на 8 занятий',
      type: 1,
      price: '6000',
      lessons_count: 8,
      branch_ids: all,
    }),
  )
  const four = id(
    await api(`${main}/tariff/create`, {
      name: 'Абонемент на 4 занятия',
      type: 1,
      price: '3200',
      lessons_count: 4,
      branch_ids: all,
    }),
  )
  const month = id(
    await api(`${main}/tariff/create`, {
      name: 'Безлимит на месяц',
      type: 2,
      price: '9000',
      branch_ids: all,
    }),
  )

  // Students: 24 in the main branch, 12 in the second; each one's family contact and phones.
  const students = new Map<number, number[]>([
    [main, []],
    [second, []],
  ])
  for (let i = 0; i < 36; i++) {
    const b = i < 24 ? main : second
    const kid = person(rng)
    const parent = person(rng, 2, kid.family)
    const c = await api(`${b}/customer/create`, {
      name: fullName(kid),
      is_study: 1,
      legal_type: 1,
      gender: kid.gender,
      legal_name: fullName(parent),
      dob: dmy(addDays(today, -rng.int(6 * 365, 15 * 365))),
      phone: [phone(rng)],
      email: rng.chance(0.6) ? [email(rng, parent)] : [],
      study_status_id: statuses[0],
      lead_source_id: rng.pick(sources),
    })
    students.get(b)!.push(id(c))
  }

  // Groups of six students with a weekly slot over the term: the schedule makes their lessons (§6.7).
  const slots: Array<[number[], string, string]> = [
    [[1, 3], '17:00', '18:30'],
    [[2, 4], '16:00', '17:00'],
    [[1, 4], '18:30', '20:00'],
    [[3, 5], '17:00', '18:00'],
    [[2, 5], '15:00', '16:30'],
    [[6], '11:00', '12:30'],
  ]
  let g = 0
  for (const b of [main, second]) {
    const members = students.get(b)!
    for (let k = 0; k < members.length / 6; k++, g++) {
      const teacher = teachers.get(b)![k % teachers.get(b)!.length]!
      const subject = subjects[(g * 2) % subjects.length]!
      const [days, from, to] = slots[g % slots.length]!
      const group = id(
        await api(`${b}/group/create`, {
          name: `${SUBJECTS[subjects.indexOf(subject)]} · группа ${g + 1}`,
          teacher_ids: [teacher],
          branch_ids: [b],
          limit: 8,
          b_date: dmy(term.start),
          e_date: dmy(term.end),
        }),
      )
      for (const c of members.slice(k * 6, k * 6 + 6)) {
        await api(`${b}/cgi/create?customer_id=${c}&group_id=${group}`, { b_date: dmy(term.start) })
      }
      await api(`${b}/regular-lesson/create`, {
        related_class: 'Group',
        related_id: group,
        subject_id: subject,
        lesson_type_id: 2,
        teacher_ids: [teacher],
        room_id: rng.pick(rooms.get(b)!),
        days,
        time_from_v: from,
        time_to_v: to,
        b_date_v: dmy(term.start),
        e_date_v: dmy(term.end),
      })
    }
  }

  // Subscriptions and the pays for them: most students ahead, a few in debt, some on a monthly plan.
  for (const b of [main, second]) {
    for (const [i, c] of students.get(b)!.entries()) {
      const monthly = i % 7 === 6
      const tariff = monthly ? month : i % 3 === 2 ? four : eight
      await api(`${b}/customer-tariff/create?customer_id=${c}`, {
        tariff_id: tariff,
        b_date: dmy(term.start),
      })
      const price = monthly ? 9000 : tariff === four ? 3200 : 6000
      // About as many lessons paid as the term has had so far: some ahead, one in five behind.
      const behind = i % 5 === 4 ? 1 : 0
      const times = monthly ? 3 : tariff === four ? 5 - behind : 3 - behind
      for (let k = 0; k < times; k++) {
        const on = monthly ? addMonths(term.start, k) : addDays(term.start, k * (tariff === four ? 14 : 28))
        await api(`${b}/pay/create`, {
          pay_type_id: 1,
          customer_id: c,
          pay_account_id: accounts.get(b),
          income: String(price),
          document_date: dmy(on > today ? today : on),
        })
      }
    }
  }

  await conductPast(api, rng, [main, second], addDays(today, -1))
  await leads(api, rng, main, funnel, sources, today)
}

/** Every planned lesson before today is conducted with attendance (§6.4); one in twenty-five is cancelled. */
async function conductPast(api: Api, rng: Rng, branches: number[], yesterday: string): Promise<void> {
  for (const b of branches) {
    const lessons: Array<{ id: number; details: Array<{ customer_id: number }> }> = []
    for (let page = 0; ; page++) {
      const r = await api(`${b}/lesson/index`, { status: 1, date_to: dmy(yesterday), page })
      lessons.push(...(r.items as typeof lessons))
      if (lessons.length >= (r.total as number)) break
    }
    for (const l of lessons) {
      if (rng.chance(0.04)) {
        await api(`${b}/lesson/update?id=${l.id}`, { status: 2 })
        continue
      }
      const details = l.details.map((d) => ({
        customer_id: d.customer_id,
        is_attend: rng.chance(0.85) ? 1 : 0,
        ...(rng.chance(0.3) ? { grade: rng.pick([4, 5]) } : {}),
      }))
      await api(`${b}/lesson/update?id=${l.id}`, { status: 3, topic: 'Занятие по программе', details })
    }
  }
}

/** Leads along the funnel: each made at the first stage and moved on, so the log shows the way. */
async function leads(api: Api, rng: Rng, branch: number, funnel: number[], sources: number[], today: string) {
  for (let i = 0; i < 14; i++) {
    const p = person(rng)
    const c = id(
      await api(`${branch}/customer/create`, {
        name: fullName(p, false),
        is_study: 0,
        legal_type: 1,
        phone: [phone(rng)],
        lead_status_id: funnel[0],
        lead_source_id: rng.pick(sources),
        note: i % 4 === 0 ? 'Просили перезвонить вечером' : '',
      }),
    )
    const stage = i % funnel.length
    for (let s = 1; s <= stage; s++)
      await api(`${branch}/customer/update?id=${c}`, { lead_status_id: funnel[s] })
    if (i % 3 === 0) {
      await api(`${branch}/communication/create?class=Customer&related_id=${c}`, {
        comment: `Звонок ${dmy(today)}: интересуется расписанием`,
      })
    }
  }
}
