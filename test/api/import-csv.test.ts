import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { everything, type Post, poster } from '../helpers/ledger.js'
import { type RunningServer, spawnServer } from '../helpers/process.js'
import { adminEnv, adminToken, freshDatabase } from '../helpers/server.js'

/**
 * `import csv` as the operator runs it (the built CLI, a child process) into the database of a
 * running server (SQLite, or PostgreSQL with TEST_DATABASE_URL); what it wrote is read back through
 * the API.
 */

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

interface Run {
  code: number
  stdout: string
  stderr: string
}

let files = 0
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parta-csv-'))

/** A CSV file in the temp folder: text (UTF-8) or bytes as given. */
function file(content: string | Uint8Array): string {
  const name = path.join(dir, `f${++files}.csv`)
  fs.writeFileSync(name, content)
  return name
}

/** Windows-1251 bytes of a text of ASCII and Russian letters (as a Russian Excel saves CSV). */
function cp1251(text: string): Uint8Array {
  return Uint8Array.from(
    [...text].map((ch) => {
      const c = ch.codePointAt(0)!
      if (c < 0x80) return c
      if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0
      if (ch === 'ё') return 0xb8
      if (ch === 'Ё') return 0xa8
      throw new Error(`no cp1251 byte for ${ch}`)
    }),
  )
}

describe('import csv', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  let server: RunningServer
  let post: Post
  let env: Record<string, string>
  let stopping = false

  const cli = (...args: string[]): Promise<Run> => {
    const base: NodeJS.ProcessEnv = { ...process.env }
    for (const name of ['DATABASE_URL', 'DATA_DIR', 'ALFACRM_ADMIN_EMAIL', 'ALFACRM_ADMIN_API_KEY'])
      delete base[name]
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, 'import', 'csv', ...args],
        { env: { ...base, ...env } },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
          resolve({ code, stdout, stderr })
        },
      )
    })
  }
  const must = async (p: string, body: unknown = {}) => {
    const r = await post(p, body)
    assert.equal(r.status, 200, `${p}: ${r.text}`)
    return r.body
  }
  const customers = () => everything(post, '1/customer/index', { is_study: 2, removed: 1 })
  const byName = async (name: string) => (await customers()).find((c) => c.name === name)

  before(async () => {
    db = await freshDatabase()
    env = adminEnv(db)
    server = await spawnServer(env)
    // A server gone mid-suite says why (its signal and output) instead of only «fetch failed».
    server.child.once('exit', (code, signal) => {
      if (!stopping) console.log(`the server stopped: ${code ?? signal}\n${server.output()}`)
    })
    post = poster(() => server.url, await adminToken(server.url))
  })

  after(async () => {
    stopping = true
    server?.child.kill()
    await server?.exited
    await db?.drop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('Russian headers, phones in one form, names for references, duplicates skipped', async () => {
    const status = await must('study-status/create', { name: 'Занимается' })
    const source = await must('lead-source/create', { name: 'Сайт' })
    const there = await must('1/customer/create', {
      name: 'Петров Пётр',
      is_study: 1,
      legal_type: 1,
      phone: ['+7 900 000 00 10'],
    })
    const f = file(
      '\ufeffФИО;Телефон;Почта;Дата рождения;Примечание;Пол;Статус;Источник\r\n' +
        'Иванова Анна;8 (900) 000-00-01, 89000000002;anna@example.org;5.3.2014;"Пишет ""заранее""; вечером";ж;занимается;Сайт\r\n' +
        'Петров П.;+7-900-000-00-10;;;;м;;\r\n' +
        '\r\n' +
        'Анна И.;9000000002;;;;;;\r\n' +
        'Кузнецов Илья;+7 (900) 000-00-03;;;;;;\r\n',
    )
    const r = await cli('--model', 'customer', f)
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.match(r.stdout, /ФИО → name, Телефон → phone, Почта → email, Дата рождения → dob/)
    assert.match(r.stdout, /2 created, 0 updated, 2 skipped as duplicates, 0 refused/)
    assert.match(r.stdout, new RegExp(`line 3 skipped: same phone as customer ${there.model.id}`))
    assert.match(r.stdout, /line 5 skipped: same phone as line 2/)
    const anna = await byName('Иванова Анна')
    assert.deepEqual(
      [anna.phone, anna.email, anna.dob, anna.note, anna.gender, anna.is_study, anna.legal_type],
      [
        ['+7 (900) 000-00-01', '+7 (900) 000-00-02'],
        ['anna@example.org'],
        '05.03.2014',
        'Пишет "заранее"; вечером',
        2,
        1,
        1,
      ],
    )
    assert.equal(anna.study_status_id, status.model.id)
    assert.equal(anna.lead_source_id, source.model.id)
    // Found by the phone digits as the API searches them.
    const found = await must('1/customer/index', { phone: '(900) 000-00-02' })
    assert.deepEqual(
      found.items.map((c: any) => c.name),
      ['Иванова Анна'],
    )
    assert.equal((await customers()).length, 3)

    // --on-duplicate update: the record found gets the row's values, its phones are kept.
    const u = file('name,phone,email,note\nПетров Пётр Ильич,89000000010,petrov@example.org,перезвонить\n')
    const ru = await cli('--model', 'customer', u, '--on-duplicate', 'update')
    assert.equal(ru.code, 0, ru.stderr + ru.stdout)
    assert.match(ru.stdout, /0 created, 1 updated, 0 skipped/)
    const petrov = (await must('1/customer/index', { id: there.model.id })).items[0]
    assert.deepEqual(
      [petrov.name, petrov.phone, petrov.email, petrov.note],
      ['Петров Пётр Ильич', ['+7 900 000 00 10'], ['petrov@example.org'], 'перезвонить'],
    )

    // --dedupe email: the same address, whatever its case.
    const e = file('ФИО,E-mail\nАнна Иванова,ANNA@example.org\nНовая Анна,new.anna@example.org\n')
    const re = await cli('--model', 'customer', e, '--dedupe', 'email')
    assert.equal(re.code, 0, re.stderr + re.stdout)
    assert.match(
      re.stdout,
      new RegExp(`1 created, 0 updated, 1 skipped.*\\n.*line 2 skipped: same e-mail as customer ${anna.id}`),
    )
  })

  test('--map, unknown and server-made columns, --ignore-unknown, --set', async () => {
    const f = file('Ученик (ФИО);Контакт;Баланс\nСеменова Вера;+7 900 000-00-20;100,00\n')
    const refused = await cli('--model', 'customer', f)
    assert.equal(refused.code, 1)
    assert.match(refused.stdout, /column not understood: «Ученик \(ФИО\)» is not a field of customer/)
    assert.match(refused.stdout, /column not understood: «Баланс» is not a field of customer/)
    assert.match(refused.stderr, /--map "Header=field".*Nothing was written/s)
    const idColumn = await cli('--model', 'customer', file('id;name\n5;Кто-то\n'))
    assert.equal(idColumn.code, 1)
    assert.match(idColumn.stdout, /«id» is id, which the server makes/)
    const badSet = await cli('--model', 'customer', f, '--ignore-unknown', '--set', 'nosuch=1')
    assert.equal(badSet.code, 2)
    assert.match(badSet.stderr, /--set nosuch: customer has no field nosuch/)

    const r = await cli(
      '--model',
      'customer',
      f,
      '--map',
      'Ученик (ФИО)=name,Контакт=phone',
      '--ignore-unknown',
      '--set',
      'is_study=0',
    )
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.match(r.stdout, /Ученик \(ФИО\) → name, Контакт → phone, Баланс → \(left out\)/)
    const vera = await byName('Семенова Вера')
    assert.deepEqual([vera.phone, vera.is_study, vera.balance], [['+7 (900) 000-00-20'], 0, '0.00'])
  })

  test('all rows or none: a refused row writes nothing and names its line and fields', async () => {
    const before = (await customers()).length
    const f = file(
      'name;is_study;phone;dob\n' +
        'Орлова Ольга;1;+7 900 000-00-31;01.02.2015\n' +
        'Без даты;1;+7 900 000-00-32;31.02.2015\n' +
        ';1;+7 900 000-00-33;\n' +
        'Лишнее;1;+7 900 000-00-34;;;\n',
    )
    const r = await cli('--model', 'customer', f)
    assert.equal(r.code, 1)
    assert.match(r.stdout, /line 3 refused: dob: Неверный формат значения «Дата рождения»/)
    assert.match(r.stdout, /line 4 refused: name: Необходимо заполнить «Имя»/)
    assert.match(r.stdout, /line 5 refused: 6 values for 4 columns/)
    assert.match(r.stdout, /Nothing written \(rows were refused\): 1 to create, 0 to update/)
    assert.match(r.stderr, /3 of 4 rows were refused; nothing was written/)
    assert.equal((await customers()).length, before)

    const p = await cli('--model', 'customer', f, '--partial')
    assert.equal(p.code, 1)
    assert.match(p.stdout, /1 created, 0 updated, 0 skipped as duplicates, 3 refused/)
    assert.match(p.stderr, /the others were written/)
    assert.equal((await customers()).length, before + 1)
    assert.ok(await byName('Орлова Ольга'))
  })

  test('--dry-run checks every row, lists the first errors and writes nothing', async () => {
    const before = (await customers()).length
    const rows = ['Хороший Один;+7 900 000-00-41', 'Хороший Два;+7 900 000-00-42']
    for (let i = 0; i < 25; i++) rows.push(`;+7 901 000-00-${String(i).padStart(2, '0')}`)
    rows.push('Дубль;89000000041')
    const f = file(`ФИО;Телефон\n${rows.join('\n')}\n`)
    const r = await cli('--model', 'customer', f, '--dry-run')
    assert.equal(r.code, 1)
    assert.match(
      r.stdout,
      /Dry run, nothing written: 2 to create, 0 to update, 1 to skip as duplicates, 25 refused/,
    )
    assert.match(r.stdout, /line 4 refused: ФИО \(name\): Необходимо заполнить «Имя»/)
    assert.match(r.stdout, /line 23 refused/)
    assert.doesNotMatch(r.stdout, /line 24 refused/)
    assert.match(r.stdout, /… and 5 more refused lines/)
    assert.match(r.stdout, /line 29 skipped: same phone as line 2/)
    const clean = await cli(
      '--model',
      'customer',
      file(`ФИО;Телефон\n${rows.slice(0, 2).join('\n')}\n`),
      '--dry-run',
      '--json',
    )
    assert.equal(clean.code, 0, clean.stderr)
    const json = JSON.parse(clean.stdout)
    assert.deepEqual([json.created, json.refused, json.written], [2, 0, false])
    assert.equal((await customers()).length, before)
  })

  test('a Windows-1251 file, comma-separated', async () => {
    const r = await cli(
      '--model',
      'customer',
      file(cp1251('ФИО,Телефон,Комментарий\nЁлкин Семён,8 900 000 00 51,пришёл сам\n')),
    )
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.match(r.stdout, /windows-1251/)
    const c = await byName('Ёлкин Семён')
    assert.deepEqual([c.phone, c.note], [['+7 (900) 000-00-51'], 'пришёл сам'])
  })

  test('groups: teachers by name or id, dates and limits', async () => {
    const t1 = await must('1/teacher/create', { name: 'Смирнова Ольга' })
    const t2 = await must('1/teacher/create', { name: 'Волков Андрей' })
    const f = file(
      'Название;Педагог;Лимит;Дата начала;Дата окончания;Примечание\n' +
        `Английский A1;Смирнова Ольга, ${t2.model.id};8;01.09.2026;31.05.2027;по вечерам\n` +
        'Шахматы;волков андрей;;;;\n' +
        'Рисование;Нет Такого;;;;\n',
    )
    const r = await cli('--model', 'group', f)
    assert.equal(r.code, 1)
    assert.match(r.stdout, /line 4 refused: Педагог \(teacher_ids\): no teacher is named «Нет Такого»/)
    assert.equal((await everything(post, '1/group/index')).length, 0)
    const ok = await cli('--model', 'group', f, '--partial')
    assert.equal(ok.code, 1)
    const groups = await everything(post, '1/group/index')
    assert.deepEqual(
      groups.map((g) => [g.name, g.teacher_ids, g.limit, g.b_date, g.e_date, g.note, g.branch_ids]),
      [
        [
          'Английский A1',
          [t1.model.id, t2.model.id].sort((a, b) => a - b),
          8,
          '01.09.2026',
          '31.05.2027',
          'по вечерам',
          [1],
        ],
        ['Шахматы', [t2.model.id], 0, null, null, '', [1]],
      ],
    )
    // --dedupe name: a group of the same name is there already.
    const again = await cli('--model', 'group', file('Название\nшахматы\n'), '--dedupe', 'name')
    assert.equal(again.code, 0, again.stderr + again.stdout)
    assert.match(again.stdout, /line 2 skipped: same name as group/)
  })

  test('pays: the customer by id, phone, e-mail or name; cash desk and article by name', async () => {
    const cash = await must('1/pay-account/create', { name: 'Наличные', user_ids: [1], weight: 1 })
    const category = await must('pay-item-category/create', { name: 'Обучение', weight: 1 })
    const item = await must('1/pay-item/create', {
      name: 'Абонемент',
      category_id: category.model.id,
      pay_type_ids: [1, 2],
      branch_ids: [1],
    })
    const ilya = await byName('Кузнецов Илья')
    const anna = await byName('Иванова Анна')
    const olga = await byName('Орлова Ольга')
    const f = file(
      'Дата;Сумма;Касса;Статья;Клиент;Телефон;E-mail;Тип платежа;Комментарий\n' +
        `01.12.2026;"4 600,00";Наличные;Абонемент;${ilya.id};;;;декабрь\n` +
        '02.12.2026;1500;Наличные;;;8 900 000-00-02;;Приход;\n' +
        '03.12.2026;200,50;Наличные;;;;;Возврат;\n' +
        '03.12.2026;300;Наличные;;Орлова Ольга;;;;\n' +
        '04.12.2026;100;Наличные;;;;anna@example.org;;\n',
    )
    const r = await cli('--model', 'pay', f)
    assert.equal(r.code, 1)
    assert.match(r.stdout, /line 4 refused: Клиент \(customer_id\): Необходимо заполнить «Клиент»/)
    assert.equal((await everything(post, '1/pay/index')).length, 0)
    const fixed = fs.readFileSync(f, 'utf8').replace(';;;;Возврат', `;${anna.id};;;Возврат`)
    const ok = await cli('--model', 'pay', file(fixed))
    assert.equal(ok.code, 0, ok.stderr + ok.stdout)
    assert.match(ok.stdout, /5 created/)
    const pays = (await everything(post, '1/pay/index')).sort((a, b) => a.id - b.id)
    assert.deepEqual(
      pays.map((p) => [
        p.customer_id,
        p.income,
        p.pay_type_id,
        p.pay_account_id,
        p.pay_item_id,
        p.document_date,
      ]),
      [
        [ilya.id, '4600.00', 1, cash.model.id, item.model.id, '01.12.2026'],
        [anna.id, '1500.00', 1, cash.model.id, null, '02.12.2026'],
        [anna.id, '200.50', 2, cash.model.id, null, '03.12.2026'],
        [olga.id, '300.00', 1, cash.model.id, null, '03.12.2026'],
        [anna.id, '100.00', 1, cash.model.id, null, '04.12.2026'],
      ],
    )
    assert.equal((await byName('Иванова Анна')).balance, '1399.50')
    const unknown = await cli(
      '--model',
      'pay',
      file('Дата;Сумма;Касса;Телефон\n05.12.2026;100;Наличные;+7 999 999-99-99\n'),
    )
    assert.equal(unknown.code, 1)
    assert.match(unknown.stdout, /line 2 refused: Телефон \(customer_phone\): no customer has this phone/)
  })
})
