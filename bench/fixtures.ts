import { connect } from '../src/db/connect.js'
import { newDetailRow } from '../src/domain/attendance.js'
import { models } from '../src/models/index.js'
import { BulkWriter } from '../src/seed/bulk-writer.js'
import { clock } from '../src/seed/calendar.js'
import { Rng } from '../src/seed/random.js'
import { RecordSink } from '../src/seed/records.js'
import { addDays, isoWeekday, nowParts } from '../src/wire/dates.js'

/**
 * What the routes of a bench run need from the seeded database, read before the server starts, and
 * the lessons the "conduct" route conducts: up to 50 groups of 20 students of branch 1 with `pool`
 * planned lessons of the past weeks in turn, so that every request conducts a lesson of its own and
 * concurrent requests concern different students, as in a school.
 */
export interface Facts {
  today: string
  /** Monday and Sunday of last week (its lessons are conducted). */
  week: [string, string]
  /** First and last day of this month. */
  month: [string, string]
  teacherId: number
  /** A customer of branch 1 with log rows. */
  logCustomerId: number
  /** Phone digits of a customer of branch 1, as an operator types part of a number. */
  phonePart: string
  payAccountId: number
  /** Customers of branch 1 that the pay route pays for, in turn. */
  payCustomers: number[]
  /** Planned lessons to conduct; lesson k belongs to group k mod groups.length, of those 20 customers. */
  conduct: { lessons: number[]; groups: number[][] }
  /** What varied reads ask for (bench/traffic): surnames and phone digits of random customers of branch 1. */
  surnames: string[]
  phoneParts: string[]
  /** Ids of the dictionaries that customer filters name, for random filter mixes. */
  dicts: Record<string, number[]>
}

export interface Target {
  databaseUrl: string | null
  dataDir: string
}

/** The admin every bench database is seeded with (ALFACRM_ADMIN_EMAIL / ALFACRM_ADMIN_API_KEY). */
export const ADMIN = { email: 'bench@school.example', api_key: 'bench-0123456789-abcdef' }

const dmy = (iso: string) => iso.split('-').reverse().join('.')

export { dmy }

export async function prepareFixtures(target: Target, tz: string, pool: number): Promise<Facts> {
  const db = connect({ databaseUrl: target.databaseUrl, dataDir: target.dataDir, poolSize: 1 })
  const k = db.kysely
  const { date: today, dateTime: now } = nowParts(tz)
  try {
    const inMain = k.selectFrom('customers_branch_ids').select('record_id').where('value', '=', 1)
    const students = await k
      .selectFrom('customers')
      .select(['id', 'phone'])
      .where('id', 'in', inMain)
      .where('is_study', '=', 1)
      .where('removed', '=', 0)
      .orderBy('id')
      .limit(2000)
      .execute()
    if (students.length < 20)
      throw new Error('bench: the seeded database has fewer than 20 students in branch 1')
    const rng = new Rng(7)
    const phones = JSON.parse(String(students[Math.floor(students.length / 2)]!.phone)) as string[]
    const digits = (phones[0] ?? '').replace(/\D/g, '')
    const teacher = await k
      .selectFrom('lessons_teacher_ids as t')
      .innerJoin('lessons as l', 'l.id', 't.record_id')
      .select('t.value')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('l.branch_id', '=', 1)
      .where('l.date', '>=', `${today.slice(0, 8)}01`)
      .groupBy('t.value')
      .orderBy('n', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow()
    const account = await k
      .selectFrom('pay_accounts')
      .select('id')
      .where('branch_id', '=', 1)
      .orderBy('id')
      .executeTakeFirstOrThrow()
    const monday = addDays(today, 1 - isoWeekday(today))
    const conduct = await conductPool(
      target,
      rng,
      students.map((s) => Number(s.id)),
      pool,
      today,
      now,
      tz,
    )
    const nextMonth = addDays(`${today.slice(0, 8)}28`, 7)
    const { surnames, phoneParts, dicts } = await samples(k, rng)
    return {
      surnames,
      phoneParts,
      dicts,
      today,
      week: [addDays(monday, -7), addDays(monday, -1)],
      month: [`${today.slice(0, 8)}01`, addDays(`${nextMonth.slice(0, 8)}01`, -1)],
      teacherId: Number(teacher.value),
      logCustomerId: Number(students[10]!.id),
      phonePart: `${digits.slice(-7, -4)}-${digits.slice(-4, -2)}-${digits.slice(-2)}`,
      payAccountId: Number(account.id),
      payCustomers: rng.sample(
        students.map((s) => Number(s.id)),
        1000,
      ),
      conduct,
    }
  } finally {
    await db.close()
  }
}

/** Surnames and phone digits of 300 random customers of branch 1; dictionary ids (bench/traffic). */
async function samples(k: ReturnType<typeof connect>['kysely'], rng: Rng) {
  const top = await k
    .selectFrom('customers')
    .select((eb) => eb.fn.max('id').as('m'))
    .executeTakeFirstOrThrow()
  const ids = Array.from({ length: 600 }, () => rng.int(1, Number(top.m)))
  const rows = await k
    .selectFrom('customers')
    .select(['name', 'phone'])
    .where('id', 'in', ids)
    .where('id', 'in', k.selectFrom('customers_branch_ids').select('record_id').where('value', '=', 1))
    .limit(300)
    .execute()
  const surnames: string[] = []
  const phoneParts: string[] = []
  for (const r of rows) {
    const surname = String(r.name).split(' ')[0] ?? ''
    // Staff type a whole surname or its start.
    if (surname.length >= 3)
      surnames.push(rng.chance(0.5) ? surname : surname.slice(0, rng.int(3, surname.length)))
    const digits = ((JSON.parse(String(r.phone)) as string[])[0] ?? '').replace(/\D/g, '')
    if (digits.length >= 7) {
      const tail = digits.slice(-rng.int(4, 7))
      phoneParts.push(tail.length > 4 ? `${tail.slice(0, -4)}-${tail.slice(-4, -2)}-${tail.slice(-2)}` : tail)
    }
  }
  const dicts: Record<string, number[]> = {}
  for (const [key, table] of [
    ['study_status_id', 'study_statuses'],
    ['lead_status_id', 'lead_statuses'],
    ['lead_source_id', 'lead_sources'],
    ['assigned_id', 'users'],
  ] as const) {
    const found = await k.selectFrom(table).select('id').orderBy('id').limit(20).execute()
    dicts[key] = found.map((f) => Number(f.id))
  }
  dicts.gender = [0, 1, 2]
  dicts.legal_type = [1, 2]
  return { surnames, phoneParts, dicts }
}

/** Groups of 20 students with `pool` planned past lessons in turn, each with its 20 details (§6.3). */
async function conductPool(
  target: Target,
  rng: Rng,
  students: number[],
  pool: number,
  today: string,
  now: string,
  tz: string,
) {
  const shuffled = rng.sample(students, students.length)
  const count = Math.max(1, Math.min(50, Math.floor(students.length / 20)))
  const members = Array.from({ length: count }, (_, g) =>
    shuffled.slice(g * 20, g * 20 + 20).sort((a, b) => a - b),
  )
  const writer = await BulkWriter.open(target)
  try {
    await writer.prepareIds(['groups', 'cgis', 'lessons', 'lesson_details', 'log'])
    const sink = new RecordSink(writer, { today, now, tz, pathBranch: 1, userId: 0 })
    const first = addDays(today, -90)
    const groups = members.map((customers, g) => {
      const id = sink.record(
        models.get('group')!,
        {
          branch_ids: [1],
          teacher_ids: [],
          name: `Бенчмарк: группа ${g + 1} на 20 человек`,
          b_date: first,
          e_date: addDays(today, 90),
        },
        { hidden: { archived_e_date: null, created_at: now, updated_at: now } },
      )
      for (const c of customers) {
        sink.record(models.get('cgi')!, { customer_id: c, group_id: id, b_date: first, e_date: null })
      }
      return id
    })
    const subject = 1
    const lessons: number[] = []
    for (let i = 0; i < pool; i++) {
      const date = addDays(first, i % 89)
      const start = (8 * 60 + (Math.floor(i / 89) % 28) * 30) % (23 * 60)
      const time_from = `${date} ${clock(start)}`
      const id = sink.record(models.get('lesson')!, {
        branch_id: 1,
        date,
        time_from,
        time_to: `${date} ${clock(start + 30)}`,
        duration: 30,
        lesson_type_id: 2,
        status: 1,
        subject_id: subject,
        room_id: null,
        teacher_ids: [],
        customer_ids: [],
        group_ids: [groups[i % count]!],
        streaming: 0,
        topic: '',
        homework: '',
        note: '',
        regular_id: null,
      })
      lessons.push(id)
      for (const c of members[i % count]!) {
        writer.add('lesson_details', {
          id: writer.nextId('lesson_details'),
          ...newDetailRow({ id, branch_id: 1, status: 1, time_from }, c),
        })
      }
      if (i % 1000 === 999) await writer.commit()
    }
    await writer.finish()
    return { lessons, groups: members }
  } finally {
    await writer.close()
  }
}
