import { perLessonPrice } from '../domain/pricing.js'
import type { Model, Registry } from '../engine/model.js'
import { EVENT } from '../log/write.js'
import { addDays, addMonths, addYears, isoWeekday } from '../wire/dates.js'
import { clock, dateIn, type Term, timeOn } from './calendar.js'
import { email, fullName, person, phone } from './people.js'
import type { Rng } from './random.js'
import type { RecordSink } from './records.js'
import type { School, Tariff } from './school.js'

/**
 * A cohort of customers with everything around them: about one group per ten customers with its
 * memberships and weekly slot, the term's lessons with one detail per participant (conducted in the
 * past with attendance and charges, planned ahead), subscriptions, pays and log rows. The derived
 * customer caches are summed here from the very rows written, by the formula of `refreshCustomers`
 * (§6.1, §6.5), so no second pass over the data is needed.
 */
export interface CohortCtx {
  sink: RecordSink
  rng: Rng
  models: Registry
  school: School
  term: Term
}

interface Customer {
  id: number
  branches: number[]
  isStudy: boolean
  created: string
  archivedOn: string | null
  manager: number | null
  values: Record<string, unknown>
  /** Cache inputs (§6.1): confirmed incomes − refunds, incomes counted, charges, last attended date. */
  net: number
  paid: number
  charged: number
  period: number
  last: string | null
  subscriptions: Subscription[]
  firstLesson: string | null
}

interface Subscription {
  id: number
  tariff: Tariff
  b: string
  e: string
}

interface Member {
  customer: Customer
  from: string
  to: string | null
}

interface Group {
  id: number
  branch: number
  subject: number
  teacher: number
  room: number
  days: number[]
  start: number
  duration: number
  created: string
  members: Member[]
  limit: number
  regular: number
}

interface Detail {
  customer: Customer
  attend: boolean
}

const NOTES = [
  'Просили звонить после 18:00',
  'Аллергия на орехи',
  'Оплата по безналу от организации',
  'Хочет заниматься с другом',
  'Забирает бабушка',
  'Скидка многодетным обсуждается',
  'Нужна справка для налогового вычета',
]
const LEVELS: Record<string, string[]> = {
  'Английский язык': ['Starter', 'A1', 'A2', 'B1', 'B2'],
  'Немецкий язык': ['A1', 'A2'],
  Математика: ['5 класс', '7 класс', 'ОГЭ', 'ЕГЭ'],
  'Русский язык': ['ОГЭ', 'ЕГЭ', '4 класс'],
  Физика: ['ОГЭ', 'ЕГЭ'],
}
const DAY_SETS: Array<readonly [number[], number]> = [
  [[1, 3], 3],
  [[2, 4], 3],
  [[3, 5], 2],
  [[1, 4], 1],
  [[2, 5], 1],
  [[6], 1],
]
const DAY_NAMES = ['', 'пн', 'вт', 'ср', 'чт', 'пт', 'сб', 'вс']
const TOPICS = [
  'Повторение',
  'Новая тема',
  'Контрольная работа',
  'Практикум',
  'Проект',
  'Разбор домашнего задания',
]

function model(models: Registry, slug: string): Model {
  const m = models.get(slug)
  if (!m) throw new Error(`seed: no model ${slug}`)
  return m
}

export function generateCohort(c: CohortCtx, count: number): void {
  const customers = Array.from({ length: count }, () => newCustomer(c))
  const groups = newGroups(c, customers)
  const subscribed = customers.filter((x) => x.isStudy && x.firstLesson !== null)
  for (const x of subscribed) subscribe(c, x)
  for (const g of groups) groupLessons(c, g)
  individualLessons(c, customers)
  for (const x of customers) pays(c, x)
  costs(c, groups, count)
  for (const x of customers) writeCustomer(c, x)
}

function newCustomer(c: CohortCtx): Customer {
  const { rng, school, term } = c
  const [main, second] = school.branches as [number, number]
  const branches = rng.weighted<number[]>([
    [[main], 75],
    [[second], 20],
    [[main, second], 5],
  ])
  const isStudy = rng.chance(0.75)
  const kid = rng.chance(0.7)
  const p = person(rng)
  const parent = kid ? person(rng, rng.chance(0.8) ? 2 : 1, p.family) : null
  const createdOn = isStudy
    ? dateIn(rng, term.founded, addDays(term.start, 14))
    : dateIn(rng, addDays(term.today, -120), term.today)
  const created = timeOn(rng, createdOn)
  const removed = rng.chance(0.04)
  const archivedOn = removed ? dateIn(rng, createdOn, term.today) : null
  const contact = parent ?? p
  const phones = [phone(rng)]
  if (rng.chance(0.15)) phones.push(phone(rng))
  const managers = school.managers.get(branches[0]!) ?? []
  const manager = rng.chance(0.7) && managers.length > 0 ? rng.pick(managers) : null
  const funnel = school.leadStatuses
  const stage = isStudy
    ? null
    : rng.weighted(funnel.map((id, i) => [id, i === funnel.length - 1 ? 2 : 6 - i] as const))
  const ageYears = kid ? rng.int(5, 17) : rng.int(18, 55)
  const x: Customer = {
    id: c.sink.writer.nextId('customers'),
    branches,
    isStudy,
    created,
    archivedOn,
    manager,
    values: {},
    net: 0,
    paid: 0,
    charged: 0,
    period: 0,
    last: null,
    subscriptions: [],
    firstLesson: null,
  }
  x.values = {
    branch_ids: branches,
    teacher_ids: [],
    name: fullName(p, rng.chance(0.85)),
    is_study: isStudy ? 1 : 0,
    study_status_id: isStudy
      ? rng.weighted(school.studyStatuses.map((id, i) => [id, i === 0 ? 20 : 1] as const))
      : null,
    lead_status_id: stage,
    lead_reject_id: stage === funnel[funnel.length - 1] ? rng.pick(school.leadRejects) : null,
    customer_reject_id: removed && isStudy ? rng.pick(school.customerRejects) : null,
    lead_source_id: rng.chance(0.85) ? rng.pick(school.leadSources) : null,
    assigned_id: manager,
    employee_id: null,
    legal_type: 1,
    legal_name: parent ? fullName(parent) : '',
    company_id: null,
    dob: rng.chance(0.9) ? addDays(addYears(term.today, -ageYears), -rng.int(0, 364)) : null,
    gender: p.gender,
    b_date: created,
    e_date: archivedOn ?? '2030-12-31',
    removed: removed ? 1 : 0,
    note: rng.chance(0.1) ? rng.pick(NOTES) : '',
    phone: phones,
    email: rng.chance(0.6) ? [email(rng, contact)] : [],
    web: [],
    addr: [],
    color: '',
  }
  return x
}

/** About one group per ten customers, in the branches in proportion to their students. */
function newGroups(c: CohortCtx, customers: Customer[]): Group[] {
  const { rng, school, term } = c
  const students = customers.filter((x) => x.isStudy && (x.archivedOn === null || x.archivedOn > term.start))
  const total = Math.max(1, Math.round(customers.length / 10))
  const groups: Group[] = []
  for (const b of school.branches) {
    const here = students.filter((x) => x.branches.includes(b))
    const inBranch = Math.max(
      here.length > 0 ? 1 : 0,
      Math.round((total * here.length) / Math.max(1, students.length)),
    )
    for (let i = 0; i < inBranch; i++) groups.push(newGroup(c, b))
  }
  // Each student joins the emptiest group(s) of their branches, so no group is left without members.
  for (const x of students) {
    const own = rng.sample(
      groups.filter((g) => x.branches.includes(g.branch)),
      groups.length,
    )
    own.sort((a, b) => a.members.length - b.members.length)
    for (const g of own.slice(0, rng.chance(0.15) ? 2 : 1)) join(c, g, x)
  }
  for (const g of groups) writeGroup(c, g)
  return groups
}

function newGroup(c: CohortCtx, branch: number): Group {
  const { rng, school, term } = c
  const teachers = school.teachers.get(branch) ?? []
  const t = rng.pick(teachers)
  const subject = rng.chance(0.8) ? rng.pick(t.subjects) : rng.pick(school.subjects)
  const days = rng.weighted(DAY_SETS)
  return {
    id: c.sink.writer.nextId('groups'),
    branch,
    subject,
    teacher: t.id,
    room: rng.pick(school.rooms.get(branch) ?? [0]),
    days,
    start: rng.int(18, 40) * 30,
    duration: rng.pick([45, 60, 60, 90]),
    created: timeOn(rng, addDays(term.start, -rng.int(3, 20))),
    members: [],
    limit: rng.pick([8, 10, 12, 15]),
    regular: 0,
  }
}

function join(c: CohortCtx, g: Group, x: Customer): void {
  const { rng, term } = c
  const from = rng.chance(0.8) ? term.start : dateIn(rng, term.start, term.today)
  let to: string | null = null
  if (x.archivedOn) to = x.archivedOn
  else if (rng.chance(0.08)) to = dateIn(rng, addDays(from, 14), addDays(term.today, -1))
  if (to !== null && to < from) to = from
  g.members.push({ customer: x, from, to })
  if (x.firstLesson === null || from < x.firstLesson) x.firstLesson = from
}

function writeGroup(c: CohortCtx, g: Group): void {
  const { sink, models, school, term } = c
  const subjectName = school.subjectNames.get(g.subject) ?? 'Занятие'
  const level = c.rng.pick(LEVELS[subjectName] ?? ['начальный', 'продолжающий', ''])
  const slot = `${g.days.map((d) => DAY_NAMES[d]).join('/')} ${clock(g.start).slice(0, 5)}`
  const at = g.created
  const user = school.adminId
  sink.record(
    model(models, 'group'),
    {
      id: g.id,
      branch_ids: [g.branch],
      teacher_ids: [g.teacher],
      name: `${subjectName}${level ? ` ${level}` : ''} (${slot})`.slice(0, 255),
      level_id: null,
      status_id: null,
      company_id: null,
      streaming_id: null,
      limit: g.limit,
      note: '',
      b_date: term.start,
      e_date: term.end,
      removed: 0,
    },
    { at, userId: user, hidden: { archived_e_date: null, created_at: at, updated_at: at } },
  )
  const cgi = model(models, 'cgi')
  for (const m of g.members) {
    const joined = m.from === term.start ? at : timeOn(c.rng, m.from)
    sink.record(
      cgi,
      { customer_id: m.customer.id, group_id: g.id, b_date: m.from, e_date: m.to },
      { at: joined, userId: user, branches: [g.branch] },
    )
  }
  g.regular = sink.record(
    model(models, 'regular-lesson'),
    {
      branch_id: g.branch,
      lesson_type_id: 2,
      related_class: 'Group',
      related_id: g.id,
      subject_id: g.subject,
      streaming: 0,
      teacher_ids: [g.teacher],
      customer_ids: [],
      room_id: g.room,
      days: g.days,
      time_from_v: clock(g.start),
      time_to_v: clock(g.start + g.duration),
      b_date: term.start,
      e_date: term.end,
      b_date_v: term.start,
      e_date_v: term.end,
      is_public: 0,
    },
    { at, userId: user },
  )
}

/** A package for most students, a monthly unlimited subscription, renewed each month, for some. */
function subscribe(c: CohortCtx, x: Customer): void {
  const { rng, school, term, sink, models } = c
  const m = model(models, 'customer-tariff')
  const from = x.firstLesson ?? term.start
  const make = (tariff: Tariff, b: string, e: string) => {
    const at = timeOn(rng, b)
    const id = sink.record(
      m,
      {
        customer_id: x.id,
        tariff_id: tariff.id,
        subject_ids: [],
        lesson_type_ids: [],
        is_separate_balance: 0,
        note: '',
        b_date: b,
        e_date: e,
        is_archive: 0,
      },
      {
        at,
        userId: x.manager ?? school.adminId,
        branches: x.branches,
        hidden: { period_charge: tariff.type === 1 ? 0 : tariff.price },
      },
    )
    x.subscriptions.push({ id, tariff, b, e })
    if (tariff.type !== 1) x.period += tariff.price
  }
  if (rng.chance(0.8)) {
    const tariff = rng.weighted(school.packages.map((t, i) => [t, i === 1 ? 5 : 2] as const))
    make(tariff, from, addDays(addYears(from, 1), -1))
    return
  }
  for (let b = from; b <= term.today; b = addMonths(b, 1))
    make(school.monthly, b, addDays(addMonths(b, 1), -1))
}

/** §6.2: the subscription whose period holds the date, latest start first, then the highest id. */
function priceFor(x: Customer, date: string): { price: number; ctt: number | null } {
  let chosen: Subscription | null = null
  for (const s of x.subscriptions) {
    if (s.b > date || date > s.e) continue
    if (!chosen || s.b > chosen.b || (s.b === chosen.b && s.id > chosen.id)) chosen = s
  }
  if (!chosen) return { price: 0, ctt: null }
  const t = chosen.tariff
  return { price: perLessonPrice({ type: t.type, price: t.price, lessons_count: t.lessons }), ctt: chosen.id }
}

function groupLessons(c: CohortCtx, g: Group): void {
  const { term } = c
  for (let d = term.start; d <= term.end; d = addDays(d, 1)) {
    if (!g.days.includes(isoWeekday(d))) continue
    const participants = g.members
      .filter((m) => m.from <= d && (m.to === null || m.to >= d))
      .map((m) => m.customer)
      .sort((a, b) => a.id - b.id)
    lesson(c, {
      branch: g.branch,
      date: d,
      start: g.start,
      duration: g.duration,
      type: 2,
      subject: g.subject,
      room: g.room,
      teacher: g.teacher,
      customers: [],
      groupId: g.id,
      regular: g.regular,
      participants,
      created: g.created,
    })
  }
}

/** A few students take individual lessons once a week for part of the term. */
function individualLessons(c: CohortCtx, customers: Customer[]): void {
  const { rng, school, term } = c
  for (const x of customers) {
    if (!x.isStudy || x.archivedOn !== null || !rng.chance(0.05)) continue
    const branch = x.branches[0]!
    const t = rng.pick(school.teachers.get(branch) ?? [])
    const weekday = rng.int(1, 6)
    const first = dateIn(rng, term.start, addDays(term.start, 20))
    if (x.firstLesson === null || first < x.firstLesson) x.firstLesson = first
    if (x.subscriptions.length === 0) subscribe(c, x)
    const start = rng.int(20, 38) * 30
    for (let d = first, n = rng.int(4, 10); d <= term.end && n > 0; d = addDays(d, 1)) {
      if (isoWeekday(d) !== weekday) continue
      n--
      lesson(c, {
        branch,
        date: d,
        start,
        duration: 60,
        type: 1,
        subject: rng.pick(t.subjects),
        room: rng.pick(school.rooms.get(branch) ?? [0]),
        teacher: t.id,
        customers: [x.id],
        groupId: null,
        regular: null,
        participants: [x],
        created: timeOn(rng, addDays(first, -2)),
      })
    }
  }
}

interface LessonPlan {
  branch: number
  date: string
  start: number
  duration: number
  type: number
  subject: number
  room: number
  teacher: number
  customers: number[]
  groupId: number | null
  regular: number | null
  participants: Customer[]
  created: string
}

/** A lesson of the term: conducted (some cancelled) before today, planned from today on. */
function lesson(c: CohortCtx, p: LessonPlan): void {
  const { rng, sink, models, term, school } = c
  const past = p.date < term.today
  const status = past ? (rng.chance(0.03) ? 2 : 3) : 1
  const m = model(models, 'lesson')
  const from = `${p.date} ${clock(p.start)}`
  const to = `${p.date} ${clock(p.start + p.duration)}`
  const id = sink.record(
    m,
    {
      branch_id: p.branch,
      date: p.date,
      time_from: from,
      time_to: to,
      duration: p.duration,
      lesson_type_id: p.type,
      status,
      subject_id: p.subject,
      room_id: p.room,
      teacher_ids: [p.teacher],
      customer_ids: p.customers,
      group_ids: p.groupId === null ? [] : [p.groupId],
      streaming: 0,
      topic: status === 3 ? rng.pick(TOPICS) : '',
      homework: status === 3 && rng.chance(0.4) ? 'Упражнения в тетради' : '',
      note: '',
      regular_id: p.regular,
    },
    // Logged as the schedule made it (planned), then conducted or cancelled by an update row below.
    { at: p.created, userId: school.adminId, logValues: { status: 1, topic: '', homework: '' } },
  )
  const details: Detail[] = p.participants.map((customer) => ({
    customer,
    attend: status === 3 && rng.chance(0.88),
  }))
  for (const d of details) {
    const price = status === 3 ? priceFor(d.customer, p.date) : { price: 0, ctt: null }
    const commission = d.attend ? price.price : 0
    sink.writer.add('lesson_details', {
      id: sink.writer.nextId('lesson_details'),
      lesson_id: id,
      customer_id: d.customer.id,
      branch_id: p.branch,
      lesson_status: status,
      lesson_time: from,
      ctt_id: price.ctt,
      is_attend: d.attend ? 1 : 0,
      reason_id: null,
      commission,
      commission_override: null,
      grade: d.attend && rng.chance(0.3) ? rng.pick([300, 400, 500]) : null,
      homework_grade_id: null,
      bonus: 0,
      note: '',
    })
    if (status === 3) {
      d.customer.charged += commission
      if (d.attend && (d.customer.last === null || p.date > d.customer.last)) d.customer.last = p.date
    }
  }
  if (status !== 1) {
    sink.log({
      entity: m.logName,
      entityId: id,
      userId: school.adminId,
      event: EVENT.update,
      old: { status: 1 },
      new: { status },
      at: to,
      visibility: 'branches',
      branches: [p.branch],
    })
  }
}

/**
 * Incomes that pay for the packages used (some students ahead, some in debt), monthly fees, a trial
 * lesson paid by some leads, a few refunds and unconfirmed pays.
 */
function pays(c: CohortCtx, x: Customer): void {
  const { rng, term } = c
  if (!x.isStudy) {
    if (rng.chance(0.08)) pay(c, x, 1, 50_000, dateIn(rng, x.created.slice(0, 10), term.today))
    return
  }
  for (const s of x.subscriptions) {
    if (s.tariff.type !== 1) {
      if (rng.chance(0.92)) pay(c, x, 1, s.tariff.price, s.b)
      continue
    }
    const used = Math.ceil(x.charged / s.tariff.price)
    const bought = Math.max(
      0,
      used +
        rng.weighted<number>([
          [0, 6],
          [1, 3],
          [-1, 1],
        ]),
    )
    for (let i = 0; i < Math.max(bought, 1); i++) {
      const on = i === 0 ? s.b : dateIn(rng, s.b, term.today)
      pay(c, x, 1, s.tariff.price, on)
    }
  }
  if (rng.chance(0.015))
    pay(c, x, 2, rng.int(5, 40) * 10_000, dateIn(rng, addDays(term.today, -30), term.today))
}

function pay(c: CohortCtx, x: Customer, type: 1 | 2, income: number, on: string): void {
  const { rng, school, sink, models } = c
  const branch = x.branches[0]!
  const confirmed = rng.chance(0.98)
  const accounts = school.accounts.get(branch) ?? [0]
  const at = timeOn(rng, on)
  const payer = ((x.values.legal_name as string) || (x.values.name as string)).slice(0, 50)
  sink.record(
    model(models, 'pay'),
    {
      branch_id: branch,
      location_id: null,
      customer_id: x.id,
      pay_type_id: type,
      pay_account_id: rng.weighted(accounts.map((a, i) => [a, [12, 5, 3][i] ?? 1] as const)),
      pay_item_id: school.items.tuition,
      teacher_id: null,
      commodity_id: null,
      ctt_id: null,
      document_date: on,
      income,
      payer_name: payer,
      note: type === 2 ? 'Возврат за пропущенные занятия' : '',
      is_confirmed: confirmed ? 1 : 0,
      created_at: at,
    },
    { at, userId: x.manager ?? school.adminId, hidden: { updated_at: at } },
  )
  if (!confirmed) return
  x.net += type === 1 ? income : -income
  if (type === 1) x.paid++
}

/** The school's own spending: rent, supplies and ads each month, and the teachers' salaries. */
function costs(c: CohortCtx, groups: Group[], count: number): void {
  const { rng, school, sink, models, term } = c
  const m = model(models, 'pay')
  const spend = (
    branch: number,
    type: 3 | 4,
    item: number,
    income: number,
    on: string,
    teacher: number | null,
  ) => {
    const at = timeOn(rng, on)
    sink.record(
      m,
      {
        branch_id: branch,
        location_id: null,
        customer_id: null,
        pay_type_id: type,
        pay_account_id: (school.accounts.get(branch) ?? [0])[1],
        pay_item_id: item,
        teacher_id: teacher,
        commodity_id: null,
        ctt_id: null,
        document_date: on,
        income,
        payer_name: '',
        note: '',
        is_confirmed: 1,
        created_at: at,
      },
      { at, userId: school.adminId, hidden: { updated_at: at } },
    )
  }
  for (let i = 0; i < Math.max(1, Math.round(count / 200)); i++) {
    const branch = rng.pick(school.branches)
    const item = rng.pick([school.items.rent, school.items.supplies, school.items.ads])
    spend(branch, 3, item, rng.int(10, 500) * 10_000, dateIn(rng, term.start, term.today), null)
  }
  for (const g of groups) {
    for (let on = addMonths(term.start, 1); on <= term.today; on = addMonths(on, 1)) {
      spend(g.branch, 4, school.items.salary, g.members.length * rng.int(15, 25) * 10_000, on, g.teacher)
    }
  }
}

/**
 * The customer row with its caches — balance_base = confirmed incomes − refunds − charges of conducted
 * details − period charges (§6.1), paid_count, last_attend_date (§6.5) — and its log rows: made, moved
 * along the funnel, archived.
 */
function writeCustomer(c: CohortCtx, x: Customer): void {
  const { sink, models, school, rng, term } = c
  const m = model(models, 'customer')
  const funnel = school.leadStatuses
  const stage = x.values.lead_status_id as number | null
  const steps = stage === null ? 0 : funnel.indexOf(stage)
  const user = x.manager ?? school.adminId
  sink.record(
    m,
    {
      id: x.id,
      ...x.values,
      balance_base: x.net - x.charged - x.period,
      paid_count: x.paid,
      last_attend_date: x.last,
    },
    {
      at: x.created,
      userId: user,
      logValues: {
        removed: 0,
        lead_status_id: steps > 0 ? funnel[0] : stage,
        lead_reject_id: null,
        customer_reject_id: null,
      },
      hidden: { archived_e_date: x.archivedOn ? '2030-12-31' : null, updated_at: x.created },
    },
  )
  let at = x.created
  for (let i = 1; i <= steps; i++) {
    at = timeOn(rng, dateIn(rng, at.slice(0, 10), term.today))
    const change = (o: number | null | undefined, n: number | null | undefined) =>
      sink.log({
        entity: m.logName,
        entityId: x.id,
        userId: user,
        event: EVENT.update,
        old: { lead_status_id: o ?? null },
        new: { lead_status_id: n ?? null },
        at,
        visibility: 'branches',
        branches: x.branches,
      })
    change(funnel[i - 1], funnel[i])
  }
  if (x.archivedOn) {
    sink.log({
      entity: m.logName,
      entityId: x.id,
      userId: user,
      event: EVENT.delete,
      old: { removed: 0, e_date: '2030-12-31' },
      new: { removed: 1, e_date: x.archivedOn },
      at: timeOn(rng, x.archivedOn),
      visibility: 'branches',
      branches: x.branches,
    })
  }
}
