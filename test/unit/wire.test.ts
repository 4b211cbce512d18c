import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseBody, parseQueryString } from '../../src/wire/body.js'
import {
  addDays,
  addMinutes,
  addMonths,
  addYears,
  diffMinutes,
  formatDate,
  formatTime,
  fullYearsBetween,
  isoWeekday,
  nowParts,
  parseDate,
  parseDateTime,
  parseTime,
} from '../../src/wire/dates.js'
import {
  formatMoney,
  mulDiv,
  parseBool,
  parseInt32,
  parseMoney,
  parseNumber,
  pluralRu,
  roundDiv,
} from '../../src/wire/numbers.js'
import type { Parsed } from '../../src/wire/result.js'
import { BOOL_FORMS } from '../helpers/wire.js'

const TZ = 'Europe/Moscow'

function value<T>(parsed: Parsed<T>): T | 'fail' {
  return parsed.ok ? parsed.value : 'fail'
}

function check<T>(parse: (v: unknown) => Parsed<T>, cases: [unknown, T | 'fail'][]): void {
  for (const [input, expected] of cases)
    assert.deepEqual(value(parse(input)), expected, `input ${JSON.stringify(input)}`)
}

test('dates accept both styles, single digits and datetimes, and reject impossible dates', () => {
  check(parseDate, [
    ['15.09.2025', '2025-09-15'],
    ['2025-09-15', '2025-09-15'],
    [' 1.9.2025 ', '2025-09-01'],
    ['2025-9-1', '2025-09-01'],
    ['29.02.2024', '2024-02-29'],
    ['2025-09-15 18:30:00', '2025-09-15'],
    ['15.09.2025 18:30', '2025-09-15'],
    ['2025-09-15T23:30:00-05:00', '2025-09-15'],
    ['31.02.2012', 'fail'],
    ['29.02.2025', 'fail'],
    ['01.01.1899', 'fail'],
    ['2101-01-01', 'fail'],
    ['01.01.1900', '1900-01-01'],
    ['31.12.2100', '2100-12-31'],
    ['2025-13-01', 'fail'],
    ['00.01.2025', 'fail'],
    ['2025-09-15 24:00:00', 'fail'],
    ['', 'fail'],
    ['15/09/2025', 'fail'],
    ['2025-09-15x', 'fail'],
    [20250915, 'fail'],
    [null, 'fail'],
    [{}, 'fail'],
  ])
})

test('dates format in the field style', () => {
  assert.equal(formatDate('2012-03-04', 'dmy'), '04.03.2012')
  assert.equal(formatDate('2012-03-04', 'iso'), '2012-03-04')
  assert.equal(formatDate(null, 'dmy'), null)
})

test('datetimes accept every form of §5.5 and convert offsets into the server zone', () => {
  check(
    (v) => parseDateTime(v, TZ),
    [
      ['2025-09-15 18:30:05', '2025-09-15 18:30:05'],
      ['2025-09-15T18:30:05', '2025-09-15 18:30:05'],
      ['2025-09-15 18:30', '2025-09-15 18:30:00'],
      ['15.09.2025 18:30', '2025-09-15 18:30:00'],
      ['15.09.2025 18:30:05', '2025-09-15 18:30:05'],
      ['2025-09-15 18:30:05.123', '2025-09-15 18:30:05'],
      ['2025-09-15', '2025-09-15 00:00:00'],
      ['15.09.2025', '2025-09-15 00:00:00'],
      ['2025-09-15T07:00:00Z', '2025-09-15 10:00:00'],
      ['2025-09-15T07:00:00.5Z', '2025-09-15 10:00:00'],
      ['2025-09-15T07:00:00+03:00', '2025-09-15 07:00:00'],
      ['2025-09-15T22:30:00-0300', '2025-09-16 04:30:00'],
      ['2025-01-01T00:00:00+05:30', '2024-12-31 21:30:00'],
      ['2025-09-15 25:00:00', 'fail'],
      ['2025-09-15 10:60', 'fail'],
      ['2025-09-15 10:00:60', 'fail'],
      ['2025-09-15T07:00:00+3', 'fail'],
      ['31.02.2012 10:00', 'fail'],
      ['2025-09-15 10', 'fail'],
      [1757919600, 'fail'],
    ],
  )
  assert.equal(value(parseDateTime('2025-09-15T07:00:00Z', 'America/New_York')), '2025-09-15 03:00:00')
})

test('times accept H:MM, HH:MM, HH:MM:SS and a datetime', () => {
  check(parseTime, [
    ['9:05', '09:05:00'],
    ['18:00', '18:00:00'],
    ['18:00:30', '18:00:30'],
    [' 18:00 ', '18:00:00'],
    ['2025-09-15 18:00:00', '18:00:00'],
    ['15.09.2025 18:00', '18:00:00'],
    ['2025-09-15T18:00:00Z', '18:00:00'],
    ['24:00', 'fail'],
    ['18:60', 'fail'],
    ['18:5', 'fail'],
    ['1800', 'fail'],
    ['', 'fail'],
    [1800, 'fail'],
  ])
  assert.equal(formatTime('18:00:30', 'hm'), '18:00')
  assert.equal(formatTime('18:00:30', 'hms'), '18:00:30')
  assert.equal(formatTime('18:00', 'hms'), '18:00:00')
})

test('now is read in the server zone', () => {
  const at = new Date(Date.UTC(2025, 11, 31, 22, 30, 0))
  assert.deepEqual(nowParts(TZ, at), { date: '2026-01-01', dateTime: '2026-01-01 01:30:00' })
  assert.deepEqual(nowParts('UTC', at), { date: '2025-12-31', dateTime: '2025-12-31 22:30:00' })
  assert.match(nowParts(TZ).dateTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
})

test('calendar helpers clamp month ends and ignore DST', () => {
  assert.equal(addDays('2025-03-29', 2), '2025-03-31')
  assert.equal(addDays('2024-10-26', 2), '2024-10-28')
  assert.equal(addDays('2025-01-01', -1), '2024-12-31')
  assert.equal(addMonths('2025-01-31', 1), '2025-02-28')
  assert.equal(addMonths('2024-01-31', 1), '2024-02-29')
  assert.equal(addMonths('2025-11-15', 3), '2026-02-15')
  assert.equal(addMonths('2025-01-15', -2), '2024-11-15')
  assert.equal(addYears('2024-02-29', 1), '2025-02-28')
  assert.equal(isoWeekday('2025-09-15'), 1)
  assert.equal(isoWeekday('2025-09-21'), 7)
  assert.equal(diffMinutes('18:00:00', '19:30:00'), 90)
  assert.equal(diffMinutes('19:30', '18:00'), -90)
  assert.equal(addMinutes('18:00:00', 90), '19:30:00')
  assert.equal(addMinutes('23:30:00', 45), '00:15:00')
  assert.equal(addMinutes('00:10:00', -20), '23:50:00')
})

test('age counts full years', () => {
  assert.equal(fullYearsBetween('2012-03-04', '2025-03-03'), 12)
  assert.equal(fullYearsBetween('2012-03-04', '2025-03-04'), 13)
  assert.equal(fullYearsBetween('2012-02-29', '2025-02-28'), 12)
  assert.equal(fullYearsBetween('2012-02-29', '2025-03-01'), 13)
})

test('integers accept whole numbers and digit strings only', () => {
  check(parseInt32, [
    [5, 5],
    [5.0, 5],
    ['119', 119],
    [' -7 ', -7],
    ['+3', 3],
    ['007', 7],
    [-0, 0],
    ['-0', 0],
    [2147483647, 2147483647],
    [-2147483648, -2147483648],
    [2147483648, 'fail'],
    ['-2147483649', 'fail'],
    [5.5, 'fail'],
    ['5.5', 'fail'],
    ['5.0', 'fail'],
    ['', 'fail'],
    ['abc', 'fail'],
    ['1e3', 'fail'],
    [true, 'fail'],
    [null, 'fail'],
    [{}, 'fail'],
    [[5], 'fail'],
    [Number.NaN, 'fail'],
    [Number.POSITIVE_INFINITY, 'fail'],
  ])
})

test('money is exact kopecks, rounded half away from zero on the decimal digits', () => {
  check(parseMoney, [
    ['575,5', 57550],
    ['5000', 500000],
    [5000, 500000],
    ['5000,00', 500000],
    [' 575.50 ', 57550],
    ['0.005', 1],
    ['1.005', 101],
    ['-1.005', -101],
    [1.005, 101],
    ['0.004', 0],
    ['-0.001', 0],
    ['2.675', 268],
    [0.1 + 0.2, 30],
    [1e3, 100000],
    [1e-7, 0],
    [-62.5, -6250],
    ['-625', -62500],
    ['999999999999.99', 99999999999999],
    ['999999999999.995', 'fail'],
    ['1000000000000', 'fail'],
    [1e21, 'fail'],
    ['1e3', 'fail'],
    ['1 000', 'fail'],
    ['1,000.00', 'fail'],
    ['575 руб', 'fail'],
    ['', 'fail'],
    ['.5', 'fail'],
    ['abc', 'fail'],
    [true, 'fail'],
    [null, 'fail'],
    [Number.NaN, 'fail'],
  ])
})

test('money formats with two decimals and a minus sign', () => {
  assert.equal(formatMoney(57500), '575.00')
  assert.equal(formatMoney(-62500), '-625.00')
  assert.equal(formatMoney(-5), '-0.05')
  assert.equal(formatMoney(0), '0.00')
  assert.equal(formatMoney(99999999999999), '999999999999.99')
})

test('numbers keep two decimals', () => {
  check(parseNumber, [
    [12.5, 12.5],
    ['12,5', 12.5],
    [' 3 ', 3],
    ['1.005', 1.01],
    [0.1 + 0.2, 0.3],
    [-2.5, -2.5],
    ['1e3', 'fail'],
    ['', 'fail'],
    [false, 'fail'],
    [1e12, 'fail'],
  ])
})

test('roundDiv and mulDiv round half away from zero exactly', () => {
  assert.equal(roundDiv(500000, 8), 62500)
  assert.equal(roundDiv(7, 2), 4)
  assert.equal(roundDiv(-7, 2), -4)
  assert.equal(roundDiv(7, -2), -4)
  assert.equal(roundDiv(10, 3), 3)
  assert.equal(roundDiv(100000, 3), 33333)
  assert.equal(mulDiv(62500, 9000, 10000), 56250)
  assert.equal(mulDiv(99999999999999, 9999, 10000), 99989999999999)
  assert.throws(() => roundDiv(1, 0), RangeError)
})

test('booleans accept the six certain forms and true/false strings in any case', () => {
  check(parseBool, [
    ...BOOL_FORMS,
    ['true', 1],
    ['FALSE', 0],
    [' True ', 1],
    [2, 'fail'],
    ['yes', 'fail'],
    ['', 'fail'],
    [null, 'fail'],
    ['toString', 'fail'],
    [[1], 'fail'],
  ])
})

test('Russian plurals follow the last two digits', () => {
  const forms: [string, string, string] = ['символ', 'символа', 'символов']
  const cases: [number, string][] = [
    [1, 'символ'],
    [2, 'символа'],
    [4, 'символа'],
    [5, 'символов'],
    [11, 'символов'],
    [12, 'символов'],
    [14, 'символов'],
    [21, 'символ'],
    [22, 'символа'],
    [100, 'символов'],
    [101, 'символ'],
    [111, 'символов'],
    [0, 'символов'],
  ]
  for (const [n, form] of cases) assert.equal(pluralRu(n, forms), form, String(n))
})

test('query strings follow PHP bracket conventions', () => {
  assert.deepEqual(parseQueryString('a[]=1&a[]=2'), { a: ['1', '2'] })
  assert.deepEqual(parseQueryString('a[0]=1&a[1]=2'), { a: ['1', '2'] })
  assert.deepEqual(parseQueryString('d[x]=1&d[y][]=2&d[y][]=3'), { d: { x: '1', y: ['2', '3'] } })
  assert.deepEqual(parseQueryString('?id=5&id=6&ids=1,2'), { id: '6', ids: '1,2' })
  assert.deepEqual(parseQueryString('q=a+b%20c&flag&e='), { q: 'a b c', flag: '', e: '' })
  assert.deepEqual(parseQueryString('name=%D0%98%D0%B2%D0%B0%D0%BD'), { name: 'Иван' })
  assert.deepEqual(parseQueryString('bad=%E0%A4%A&pct=100%&x=%zz'), {
    bad: '%E0%A4%A',
    pct: '100%',
    x: '%zz',
  })
  assert.deepEqual(parseQueryString('a%5B%5D=1&a%5B%5D=2'), { a: ['1', '2'] })
  assert.deepEqual(parseQueryString('a[99999999]=1&a[]=2'), { a: ['1', '2'] })
  assert.deepEqual(parseQueryString('a[x]=1&a[]=2'), { a: { x: '1', 0: '2' } })
  assert.deepEqual(parseQueryString('a=1&a[]=2'), { a: ['2'] })
  assert.deepEqual(parseQueryString('a[]=1&a=2'), { a: '2' })
  assert.deepEqual(parseQueryString('a[b=1'), { 'a[b': '1' })
  assert.deepEqual(parseQueryString(''), {})
})

test('query strings drop prototype keys and over-deep nesting', () => {
  const parsed = parseQueryString(
    '__proto__[x]=1&a[__proto__]=2&constructor[prototype][y]=3&b[prototype]=4&ok=1',
  )
  assert.deepEqual(parsed, { ok: '1' })
  assert.equal(({} as Record<string, unknown>).x, undefined)
  assert.deepEqual(parseQueryString('a[1][2][3][4][5]=x'), { a: [[[[['x']]]]] })
  assert.deepEqual(parseQueryString('a[1][2][3][4][5][6]=x&b=1'), { b: '1' })
  assert.deepEqual(parseQueryString('toString[x]=1'), { toString: { x: '1' } })
})

test('bodies are read as JSON whatever the content type (§1.6, §8.5)', () => {
  for (const type of [undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
    assert.deepEqual(parseBody('{"name":"Иван","page":1}', type), {
      ok: true,
      value: { name: 'Иван', page: 1 },
    })
  }
  assert.deepEqual(parseBody('\uFEFF{"a":1}', undefined), { ok: true, value: { a: 1 } })
})

test('empty-like bodies mean {} (§1.6, §8.6)', () => {
  for (const raw of ['', '   \n\t', '\uFEFF', 'null', '""', '[]', ' [ ] ', '\uFEFFnull']) {
    assert.deepEqual(parseBody(raw, 'application/json'), { ok: true, value: {} }, JSON.stringify(raw))
  }
})

test('forms are parsed only when declared; other non-objects fail', () => {
  const form = 'application/x-www-form-urlencoded; charset=UTF-8'
  assert.deepEqual(parseBody('name=A&ids[]=1&ids[]=2', form), {
    ok: true,
    value: { name: 'A', ids: ['1', '2'] },
  })
  assert.deepEqual(parseBody('a=1', 'Application/X-WWW-Form-Urlencoded'), { ok: true, value: { a: '1' } })
  for (const raw of ['a=1', '{bad json', '[1]', '[{}]', '5', 'true', 'false', '"x"', '{"a":1} x']) {
    assert.deepEqual(parseBody(raw, 'text/plain'), { ok: false }, raw)
  }
  assert.deepEqual(parseBody('a=1', 'application/x-www-form-urlencoded-x'), { ok: false })
  assert.deepEqual(parseBody('[1]', form), { ok: false })
})

test('broken JSON sent as a form (curl -d) is a 400, not a form that drops every filter', () => {
  const form = 'application/x-www-form-urlencoded'
  for (const raw of ['{"name":', '{"is_study":0', '["x"', '"x', 'a=1&{"b":2}=3'])
    assert.deepEqual(parseBody(raw, form), { ok: false }, raw)
  assert.deepEqual(parseBody('note={"x":1}&name=Ann', form), {
    ok: true,
    value: { note: '{"x":1}', name: 'Ann' },
  })
})
