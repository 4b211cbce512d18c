import { refreshCustomers } from '../domain/balances.js'
import { balanceFilter, deriveSubscriptions } from '../domain/subscription-accounts.js'
import {
  applyTariff,
  chargedThrough,
  requireVisibleCustomer,
  throughCustomer,
} from '../domain/subscriptions.js'
import { describe, exact, ids, oneOrMany } from '../engine/filters.js'
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
  description:
    'Subscriptions of a customer (`customer_id` in the query) to a tariff. A monthly or weekly one charges ' +
    'its price once; one with a separate balance keeps its own account.',
  scope: throughCustomer,
  scoping: { params: [{ name: 'customer_id', field: 'customer_id', example: 1 }] },
  // Keys clients send that are not fields (§7.18).
  inputKeys: ['lesson_count', 'unit', 'is_burnable_out'],
  fields: {
    id: int({ readOnly: true }),
    customer_id: readOnly(
      int({ label: 'Клиент', description: 'The customer; set from the query on create.' }),
    ),
    tariff_id: ref('tariff', { required: true, label: 'Абонемент' }),
    subject_ids: intList({ ref: 'subject', label: 'Предметы' }),
    lesson_type_ids: intList({ ref: 'lesson-type', label: 'Типы уроков' }),
    is_separate_balance: bool({ label: 'Отдельный баланс' }),
    balance: derived(money(), 'Its own account with a separate balance, else 0.00.'),
    paid_count: derived(int(), 'Confirmed incomes paid to it with a separate balance, else 0.'),
    paid_lesson_count: derived(int(), 'Lessons its own balance pays for (packages with a separate balance).'),
    paid_till: derived(datetime(), '`e_date` for monthly and weekly tariffs, else null.'),
    note: text(255, { label: 'Примечание' }),
    b_date: date('dmy', {
      default: (c: FieldContext) => c.today,
      aliases: ['b_date_v'],
      label: 'Начало действия',
    }),
    e_date: date('dmy', {
      aliases: ['e_date_v'],
      label: 'Окончание действия',
      description: 'Last day; by default the start plus the tariff’s period, less a day.',
    }),
    is_archive: bool({ label: 'В архиве' }),
    dead: derived(bool(), '1 when archived or ended before today.'),
  },
  filters: {
    ...ids(),
    tariff_id: exact('tariff_id'),
    is_separate_balance: exact('is_separate_balance'),
    is_archive: exact('is_archive'),
    dead: describe(
      { schema: { enum: [0, 1] }, description: '`1` archived or ended; `0` the others.' },
      isDead,
    ),
    tariff_type: describe(
      { schema: oneOrMany({ enum: [1, 2, 3] }), description: 'Subscriptions to tariffs of this type.' },
      tariffType,
    ),
    balance: describe(
      {
        schema: {
          oneOf: [
            { type: 'string', examples: ['0.00'] },
            { type: 'array', items: { type: ['string', 'null'] }, minItems: 2, maxItems: 2 },
          ],
        },
        description:
          'The subscription’s own balance equals the amount, or lies in `[from, to]` (null: open).',
      },
      balanceFilter,
    ),
  },
  order: [['id', 'asc']],
  examples: {
    create: { tariff_id: 1, b_date: '01.09.2025', e_date: '31.12.2025', note: 'Autumn term' },
    update: { e_date: '31.01.2026', note: 'Autumn term, extended' },
  },
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
