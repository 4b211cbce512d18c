/**
 * Hostile values as JSON text, so that a body can carry what JSON.stringify cannot write (1e999 is
 * Infinity once parsed, -0, exponents, a 10 000-deep array).
 */
const str = (s: string) => JSON.stringify(s)

const tenThousand = (f: (i: number) => string) =>
  `[${Array.from({ length: 10_000 }, (_, i) => f(i)).join(',')}]`

export const HOSTILE: string[] = [
  // wrong JSON types
  '{}',
  '{"a":1}',
  '{"id":1,"value":"x"}',
  '[]',
  '[1]',
  '[[1]]',
  '[{}]',
  '[null]',
  'true',
  'false',
  'null',
  // numbers at and past every edge
  '1e308',
  '-1e308',
  '1e999',
  '-1e999',
  '99999999999999999999',
  '-99999999999999999999',
  '2147483648',
  '-2147483649',
  '9007199254740993',
  '-1',
  '0',
  '-0',
  '0.5',
  '1e-7',
  '5.0',
  '1E2',
  // strings that look like numbers, dates and flags
  str(''),
  str(' '),
  str('NaN'),
  str('Infinity'),
  str('-Infinity'),
  str('1e5'),
  str('0x10'),
  str(' 5 '),
  str('٣'),
  str('５'),
  str('1,5'),
  str('1.5.5'),
  str('-0'),
  str('+7'),
  str('99999999999999999999'),
  str('31.02.2025'),
  str('2025-13-01'),
  str('00.00.0000'),
  str('1899-12-31'),
  str('2101-01-01'),
  str('25:61'),
  str('2025-09-01T10:00:00+99:99'),
  str('true'),
  str('TRUE'),
  str('yes'),
  // lengths
  str('x'.repeat(256)),
  str('ю'.repeat(300)),
  str('😀'.repeat(300)),
  str('x'.repeat(10_001)),
  str('\u0001'.repeat(9_000)),
  // control characters and unusual Unicode
  str('\u0000'),
  str('a\u0000b'),
  str('\t\n\r\u000b\u000c\u001f\u007f'),
  '"\\ud800"',
  '"\\udfff\\ud800"',
  str('Кириллица Ёё'),
  str('👨‍👩‍👧‍👦 😀'),
  str('\u202eRTL\u200f\u200e'),
  str('\ufeff\ufffe\uffff'),
  str('e\u0301'),
  // SQL and LIKE metacharacters
  str("'"),
  str('"; DROP TABLE customers; --'),
  str("1' OR '1'='1"),
  str('%'),
  str('_'),
  str('\\'),
  str('%_\\%'),
  str('1; SELECT pg_sleep(10)'),
  // lists
  tenThousand((i) => String(i + 1)),
  tenThousand((i) => str(`v${i}`)),
  tenThousand(() => '{}'),
  `[${'1,'.repeat(9_999)}1]`,
  `[${Array.from({ length: 40_000 }, (_, i) => i + 1).join(',')}]`,
]

/** A few values of the right types, to mix in: the fuzzer must also send requests that succeed. */
export const PLAIN: string[] = [
  '1',
  '2',
  '"1"',
  '"Тест"',
  '"01.09.2025"',
  '"2025-09-01"',
  '"10:00"',
  '"100.50"',
  '[1]',
  '0',
]
