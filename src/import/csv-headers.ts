import type { CustomDef } from '../engine/custom-fields.js'
import type { Model } from '../engine/model.js'

/**
 * Which field a CSV column fills, by its header: a field name (`phone`, `custom_school`), the field's
 * Russian label as the API's messages name it (`Дата рождения`), a custom field's label, or one of
 * the headers below, the ones schools' exports (Alfa CRM, Excel lists kept by hand) use. Headers are
 * compared without case, `ё` as `е`, spaces collapsed, a trailing `:` or `*` dropped.
 */

/** Columns that are not fields: the customer a pay is for, found by phone or e-mail. */
export const LOOKUPS: Record<string, Record<string, string>> = {
  pay: {
    customer_phone: 'the customer with this phone',
    customer_email: 'the customer with this e-mail',
  },
}

const PHONE =
  /^(телефон[ыа]?|тел\.?|моб\.?( телефон)?|мобильный( телефон)?|сотовый( телефон)?|номер телефона|контактный телефон|доп\.? телефон|phones?)( ?\d+)?$/
const EMAIL = /^(e-?mail|почта|эл\.? ?почта|электронная почта|адрес электронной почты|emails?)( ?\d+)?$/

/** Headers beyond names and labels, per model: field → headers. Patterns for numbered columns. */
const HEADERS: Record<string, Record<string, Array<string | RegExp>>> = {
  customer: {
    name: [
      'фио',
      'ф.и.о.',
      'ф. и. о.',
      'фамилия имя отчество',
      'имя клиента',
      'клиент',
      'ученик',
      'полное имя',
    ],
    phone: [PHONE],
    email: [EMAIL],
    dob: ['др', 'д.р.', 'день рождения'],
    note: ['комментарий', 'примечания', 'заметка', 'заметки', 'описание'],
    legal_name: ['родитель', 'представитель', 'законный представитель', 'заказчик', 'фио родителя'],
    assigned_id: ['менеджер', 'ответственный менеджер'],
    lead_source_id: ['рекламный источник', 'источник лида'],
    study_status_id: ['статус', 'статус клиента'],
    lead_status_id: ['этап', 'статус лида'],
    lead_reject_id: ['причина отказа'],
    branch_ids: ['филиал'],
    teacher_ids: ['педагог', 'преподаватель', 'преподаватели'],
    is_study: ['тип'],
    removed: ['в архиве'],
  },
  group: {
    name: ['группа', 'название группы', 'наименование'],
    teacher_ids: ['педагог', 'преподаватель', 'преподаватели'],
    branch_ids: ['филиал'],
    limit: ['мест', 'вместимость', 'макс. учеников', 'максимум учеников', 'лимит учеников'],
    b_date: ['начало', 'период с', 'дата старта'],
    e_date: ['окончание', 'период по', 'дата завершения'],
    note: ['комментарий', 'описание'],
  },
  pay: {
    document_date: ['дата платежа', 'дата оплаты'],
    income: ['сумма платежа', 'сумма оплаты', 'оплачено'],
    pay_type_id: ['тип', 'вид платежа'],
    pay_account_id: ['счёт', 'счет', 'касса/счёт'],
    pay_item_id: ['статья платежа', 'статья дохода'],
    customer_id: ['ученик', 'фио', 'фио клиента', 'id клиента', 'имя клиента'],
    customer_phone: ['телефон клиента', PHONE],
    customer_email: ['e-mail клиента', 'почта клиента', EMAIL],
    note: ['комментарий', 'назначение', 'назначение платежа'],
    teacher_id: ['преподаватель'],
    branch_id: ['филиалы'],
    is_confirmed: ['проведен'],
  },
}

export const normHeader = (h: string) =>
  h
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\s*[:*]+$/, '')

export type Target = { field: string } | { unknown: string }

/** The field of one header, or why none. `map` (from `--map`) comes first: header → field, or '' to skip. */
export function targetOf(
  model: Model,
  defs: CustomDef[],
  header: string,
  map: Map<string, string>,
): Target | null {
  const h = normHeader(header)
  const lookups = LOOKUPS[model.slug] ?? {}
  const writable = (name: string): Target => {
    const kind = model.fields[name]
    if (kind && (kind.readOnly || kind.derived || name === 'id'))
      return { unknown: `«${header}» is ${name}, which the server makes; it cannot be imported` }
    return { field: name }
  }
  if (map.has(h)) {
    const to = map.get(h)!
    if (to === '') return null
    if (model.fields[to] || lookups[to] || defs.some((d) => d.key === to)) return writable(to)
    return { unknown: `--map: «${header}=${to}»: ${model.slug} has no field ${to}` }
  }
  if (h === '') return { unknown: 'a column without a header' }
  for (const [name, kind] of Object.entries(model.fields))
    if (name === h || kind.aliases.includes(h)) return writable(name)
  if (lookups[h]) return { field: h }
  for (const d of defs) if (d.key === h || normHeader(d.label) === h) return { field: d.key }
  for (const [name, kind] of Object.entries(model.fields))
    if (kind.label && normHeader(kind.label) === h) return writable(name)
  for (const [field, list] of Object.entries(HEADERS[model.slug] ?? {}))
    if (list.some((x) => (typeof x === 'string' ? x === h : x.test(h)))) return writable(field)
  return { unknown: `«${header}» is not a field of ${model.slug}` }
}
