import { DUMMY_HASH } from '../auth/secrets.js'
import type { AnyDb, Model, Registry } from '../engine/model.js'
import { addDays } from '../wire/dates.js'
import { type Term, timeOn } from './calendar.js'
import { email, fullName, person, phone, translit } from './people.js'
import type { Rng } from './random.js'
import type { RecordSink } from './records.js'

/**
 * The fixed part of a generated school: branches, dictionaries, staff, rooms, cash desks, pay items,
 * tariffs and teachers, in numbers proportional to the customers to come. Dictionaries already filled
 * (by hand or an earlier seed) are reused; the rest is written through the bulk sink.
 */
export interface Teacher {
  id: number
  branch: number
  subjects: number[]
}

export interface Tariff {
  id: number
  type: 1 | 2
  price: number
  lessons: number
}

export interface School {
  adminId: number
  branches: number[]
  subjects: number[]
  studyStatuses: number[]
  /** Funnel stages in order; the last one is the rejection stage. */
  leadStatuses: number[]
  leadSources: number[]
  leadRejects: number[]
  customerRejects: number[]
  managers: Map<number, number[]>
  rooms: Map<number, number[]>
  /** Cash desk, bank account, card acquiring of each branch. */
  accounts: Map<number, number[]>
  items: { tuition: number; rent: number; supplies: number; ads: number; salary: number }
  packages: Tariff[]
  monthly: Tariff
  teachers: Map<number, Teacher[]>
  subjectNames: Map<number, string>
}

const SUBJECTS = [
  'Английский язык',
  'Математика',
  'Русский язык',
  'Программирование',
  'Шахматы',
  'Робототехника',
  'Рисование',
  'Подготовка к школе',
  'Немецкий язык',
  'Физика',
]
const STUDY_STATUSES = ['Учится', 'Пробный период', 'На паузе', 'Закончил обучение']
const LEAD_STATUSES = [
  'Новое обращение',
  'Взят в работу',
  'Записан на пробное',
  'Пробное проведено',
  'Ожидает оплаты',
  'Отказ',
]
const LEAD_SOURCES: Array<[string, string]> = [
  ['site', 'Сайт'],
  ['vk', 'ВКонтакте'],
  ['tg', 'Telegram'],
  ['ymaps', 'Яндекс Карты'],
  ['2gis', '2ГИС'],
  ['ref', 'Рекомендация'],
  ['sign', 'Вывеска'],
]
const LEAD_REJECTS = ['Дорого', 'Неудобное расписание', 'Далеко ехать', 'Выбрали другую школу']
const CUSTOMER_REJECTS = ['Переезд', 'Закончили обучение', 'Финансовые причины', 'Не понравилось']
const BRANCH_NAMES = ['Основной филиал', 'Филиал на Садовой', 'Филиал в Северном', 'Филиал на Лесной']

interface SetupCtx {
  db: AnyDb
  sink: RecordSink
  rng: Rng
  models: Registry
  term: Term
}

function model(models: Registry, slug: string): Model {
  const m = models.get(slug)
  if (!m) throw new Error(`seed: no model ${slug}`)
  return m
}

async function existingIds(db: AnyDb, table: string, order = 'id'): Promise<number[]> {
  const rows = await db.selectFrom(table).select('id').orderBy(order).orderBy('id').execute()
  return rows.map((r) => Number(r.id))
}

/** The rows of a dictionary, made when the table is still empty. */
async function dictionary(
  c: SetupCtx,
  slug: string,
  rows: Array<Record<string, unknown>>,
  at: string,
): Promise<number[]> {
  const m = model(c.models, slug)
  const have = await existingIds(c.db, m.table, 'weight' in m.fields ? 'weight' : 'id')
  if (have.length > 0) return have
  return rows.map((values, i) => c.sink.record(m, { weight: i, ...values }, { at }))
}

export async function setUpSchool(c: SetupCtx, customers: number): Promise<School> {
  const at = timeOn(c.rng, c.term.founded)
  const branchModel = model(c.models, 'branch')
  const branches = await existingIds(c.db, 'branches')
  for (let i = branches.length; i < 2; i++) {
    branches.push(
      c.sink.record(branchModel, { name: BRANCH_NAMES[i], is_active: 1, subject_ids: [] }, { at }),
    )
  }
  const admin = await c.db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst()
  const subjects = await dictionary(
    c,
    'subject',
    SUBJECTS.map((name) => ({ name, is_active: 1 })),
    at,
  )
  const subjectRows = await c.db.selectFrom('subjects').select(['id', 'name']).execute()
  const subjectNames = new Map(subjectRows.map((r) => [Number(r.id), String(r.name)]))
  for (const id of subjects)
    if (!subjectNames.has(id)) subjectNames.set(id, SUBJECTS[subjects.indexOf(id)] ?? '')
  const school: School = {
    adminId: admin ? Number(admin.id) : 0,
    branches: branches.slice(0, 2),
    subjects,
    subjectNames,
    studyStatuses: await dictionary(
      c,
      'study-status',
      STUDY_STATUSES.map((name) => ({ name })),
      at,
    ),
    leadStatuses: await dictionary(
      c,
      'lead-status',
      LEAD_STATUSES.map((name) => ({ name, pipeline_id: 1 })),
      at,
    ),
    leadSources: await dictionary(
      c,
      'lead-source',
      LEAD_SOURCES.map(([code, name]) => ({ code, name })),
      at,
    ),
    leadRejects: await dictionary(
      c,
      'lead-reject',
      LEAD_REJECTS.map((name) => ({ name })),
      at,
    ),
    customerRejects: await dictionary(
      c,
      'customer-reject',
      CUSTOMER_REJECTS.map((name) => ({ name })),
      at,
    ),
    managers: new Map(),
    rooms: new Map(),
    accounts: new Map(),
    items: await payItems(c, branches.slice(0, 2), at),
    ...tariffs(c, branches.slice(0, 2), at),
    teachers: new Map(),
  }
  staff(c, school, customers, at)
  return school
}

function staff(c: SetupCtx, school: School, customers: number, at: string): void {
  const [main] = school.branches as [number]
  const groups = Math.max(1, Math.round(customers / 10))
  const share = (b: number) => (b === main ? 0.78 : 0.27)
  for (const b of school.branches) {
    // Two managers per 10 000 customers of a branch, at least two, at most twenty.
    const managers = Math.min(20, Math.max(2, Math.round((customers * share(b)) / 5000)))
    school.managers.set(
      b,
      Array.from({ length: managers }, () => manager(c, b)),
    )
    const rooms = Math.max(4, Math.ceil((groups * share(b)) / 12))
    school.rooms.set(
      b,
      Array.from({ length: rooms }, (_, i) =>
        c.sink.record(
          model(c.models, 'room'),
          {
            branch_id: b,
            name: `Кабинет ${i + 1}`,
            note: `Учебный кабинет № ${i + 1}`,
            is_enabled: 1,
            weight: i,
          },
          { at },
        ),
      ),
    )
    const desk = (name: string, weight: number) =>
      c.sink.record(
        model(c.models, 'pay-account'),
        { branch_id: b, name, user_ids: [], is_enabled: 1, weight },
        { at },
      )
    school.accounts.set(b, [desk('Касса', 0), desk('Расчётный счёт', 1), desk('Эквайринг', 2)])
    // A teacher takes about six groups.
    const teachers = Math.max(3, Math.ceil((groups * share(b)) / 6))
    school.teachers.set(
      b,
      Array.from({ length: teachers }, () => teacher(c, school, b, at)),
    )
  }
}

function manager(c: SetupCtx, branch: number): number {
  const p = person(c.rng, c.rng.chance(0.8) ? 2 : 1)
  const id = c.sink.writer.nextId('users')
  const mail = `${translit(p.first)}.${translit(p.surname)}.${id}@school.example`
  // Staff made by the seed have no usable key: `user rotate-key --email …` gives them one.
  c.sink.writer.add('users', {
    id,
    name: fullName(p, false),
    email: mail,
    email_lc: mail,
    role: 'manager',
    is_v2api: 1,
    branch_ids: JSON.stringify([branch]),
    is_active: 1,
    api_key_hash: DUMMY_HASH,
  })
  c.sink.writer.add('users_branch_ids', { record_id: id, value: branch })
  return id
}

function teacher(c: SetupCtx, school: School, branch: number, at: string): Teacher {
  const p = person(c.rng, c.rng.chance(0.75) ? 2 : 1)
  const subjects = c.rng.sample(school.subjects, c.rng.chance(0.3) ? 2 : 1).sort((a, b) => a - b)
  const id = c.sink.record(
    model(c.models, 'teacher'),
    {
      branch_ids: [branch],
      name: fullName(p),
      gender: p.gender,
      dob: addDays(c.term.today, -c.rng.int(23 * 365, 60 * 365)),
      phone: [phone(c.rng)],
      email: [email(c.rng, p)],
      web: [],
      addr: [],
      note: '',
      subject_ids: subjects,
      e_date: '2030-12-31',
      removed: 0,
    },
    { at, hidden: { archived_e_date: null, updated_at: at } },
  )
  return { id, branch, subjects }
}

async function payItems(c: SetupCtx, branches: number[], at: string): Promise<School['items']> {
  const category = model(c.models, 'pay-item-category')
  const item = model(c.models, 'pay-item')
  const existing = await c.db.selectFrom('pay_items').select(['id', 'name']).orderBy('id').execute()
  const byName = new Map(existing.map((r) => [String(r.name), Number(r.id)]))
  const income = c.sink.record(category, { name: 'Доходы', weight: 0 }, { at })
  const costs = c.sink.record(category, { name: 'Расходы', weight: 1 }, { at })
  const make = (name: string, categoryId: number, types: number[], weight: number) =>
    byName.get(name) ??
    c.sink.record(
      item,
      { branch_ids: branches, category_id: categoryId, pay_type_ids: types, name, weight },
      { at },
    )
  return {
    tuition: make('Оплата обучения', income, [1, 2], 0),
    rent: make('Аренда', costs, [3], 1),
    supplies: make('Хозтовары', costs, [3], 2),
    ads: make('Реклама', costs, [3], 3),
    salary: make('Зарплата педагогов', costs, [4], 4),
  }
}

function tariffs(c: SetupCtx, branches: number[], at: string): { packages: Tariff[]; monthly: Tariff } {
  const m = model(c.models, 'tariff')
  const make = (name: string, type: 1 | 2, price: number, lessons: number): Tariff => {
    const id = c.sink.record(
      m,
      {
        type,
        name,
        price,
        lessons_count: lessons,
        duration: null,
        added: at,
        branch_ids: branches,
        is_archive: 0,
        b_date: null,
        e_date: null,
        calculation_type: 0,
        period_count: 0,
        period_type: 0,
        subject_ids: [],
        lesson_type_ids: [],
      },
      { at },
    )
    return { id, type, price, lessons }
  }
  return {
    packages: [
      make('Абонемент на 4 занятия', 1, 320_000, 4),
      make('Абонемент на 8 занятий', 1, 600_000, 8),
      make('Абонемент на 12 занятий', 1, 840_000, 12),
    ],
    monthly: make('Безлимит на месяц', 2, 900_000, 0),
  }
}
