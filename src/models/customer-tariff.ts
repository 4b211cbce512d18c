import { refreshCustomers } from '../domain/balances.js'
import { balanceFilter, deriveSubscriptions } from '../domain/subscription-accounts.js'
import {
  applyTariff,
  chargedThrough,
  requireVisibleCustomer,
  throughCustomer,
} from '../domain/subscriptions.js'
import { exact, ids } from '../engine/filters.js'
import { type ActionCtx, type Condition, defineModel, type Eb } from '../engine/model.js'
import { fail } from '../errors.js'
import {
  bool,
  date,
  datetime,
  derived,
  type FieldContext,
  int,
  intList,
  money,
  readOnly,
  ref,
  text,
} from '../fields/index.js'
import { messages } from '../fields/kind.js'
import { parseBool, parseInt32 } from '../wire/numbers.js'

/** §7.18 CustomerTariff: a customer's subscriptions, visible where the customer is (§2.5). */
export const customerTariff = defineModel({
  slug: 'customer-tariff',
  table: 'customer_tariffs',
  logName: 'CustomerToTariff',
  scope: throughCustomer,
  scoping: { params: [{ name: 'customer_id', field: 'customer_id' }] },
  // Keys clients send that are not fields (§7.18).
  inputKeys: ['lesson_count', 'unit', 'is_burnable_out'],
  fields: {
    id: int({ readOnly: true }),
    customer_id: readOnly(int({ label: 'Клиент' })),
    tariff_id: ref('tariff', { required: true, label: 'Абонемент' }),
    subject_ids: intList({ ref: 'subject', label: 'Предметы' }),
    lesson_type_ids: intList({ ref: 'lesson-type', label: 'Типы уроков' }),
    is_separate_balance: bool({ label: 'Отдельный баланс' }),
    balance: derived(money(), '§6.6'),
    paid_count: derived(int(), '§6.6'),
    paid_lesson_count: derived(int(), '§6.6'),
    paid_till: derived(datetime(), '§6.6'),
    note: text(255, { label: 'Примечание' }),
    b_date: date('dmy', {
      default: (c: FieldContext) => c.today,
      aliases: ['b_date_v'],
      label: 'Начало действия',
    }),
    e_date: date('dmy', { aliases: ['e_date_v'], label: 'Окончание действия' }),
    is_archive: bool({ label: 'В архиве' }),
    dead: derived(bool(), 'is_archive = 1 or e_date before today'),
  },
  filters: {
    ...ids(),
    tariff_id: exact('tariff_id'),
    is_separate_balance: exact('is_separate_balance'),
    is_archive: exact('is_archive'),
    dead: isDead,
    tariff_type: tariffType,
    balance: balanceFilter,
  },
  order: [['id', 'asc']],
  refusedBy: [
    ['pay', 'ctt_id'],
    ['lesson', chargedThrough],
  ],
  hooks: {
    async prepare(draft, ctx) {
      if (draft.action === 'create') await requireVisibleCustomer(draft, ctx)
      await applyTariff(draft, ctx)
      const { b_date: b, e_date: e } = draft.values
      if (typeof b === 'string' && typeof e === 'string' && e < b) draft.addError('e_date', messages.period())
    },
    // §6.1: the period charge and the account the subscription's money goes to are the customer's.
    async afterSave(rec, _draft, ctx) {
      await refreshCustomers([rec.customer_id as number], ctx)
    },
    async afterDelete(rec, ctx) {
      await refreshCustomers([rec.customer_id as number], ctx)
    },
    derive: deriveSubscriptions,
  },
})

function isDead(raw: unknown, eb: Eb, ctx: ActionCtx): Condition {
  const r = parseBool(raw)
  if (!r.ok) throw fail.badParam('dead')
  const dead = eb.or([
    eb('customer_tariffs.is_archive', '=', 1),
    eb('customer_tariffs.e_date', '<', ctx.today),
  ])
  return r.value === 1 ? dead : eb.not(dead)
}

function tariffType(raw: unknown, eb: Eb): Condition {
  const parsed = (Array.isArray(raw) ? raw : [raw]).map((v) => parseInt32(v))
  if (parsed.length === 0 || parsed.some((r) => !r.ok)) throw fail.badParam('tariff_type')
  const types = parsed.map((r) => (r.ok ? r.value : 0))
  const tariffs = eb.selectFrom('tariffs').select('tariffs.id').where('tariffs.type', 'in', types)
  return eb('customer_tariffs.tariff_id', 'in', tariffs)
}
