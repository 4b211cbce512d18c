import { shapes } from '../db/shapes.js'
import { refreshCustomers } from '../domain/balances.js'
import { PAY_TOTALS_DOC, payTotals } from '../domain/pay-totals.js'
import { describe, exact, ids, oneOrMany, range, stampRange, substring } from '../engine/filters.js'
import { keepFound } from '../engine/locks.js'
import { type ActionCtx, type Condition, type Draft, defineModel, type Eb } from '../engine/model.js'
import { fail } from '../errors.js'
import { bool, choice, date, datetime, derived, int, money, readOnly, ref, text } from '../fields/index.js'
import { messages } from '../fields/kind.js'
import { parseInt32 } from '../wire/numbers.js'
import { payAccount } from './pay-account.js'
import { PAY_TYPE_MEANINGS, PAY_TYPES } from './pay-type.js'

const EXACT = [
  'customer_id',
  'pay_type_id',
  'pay_account_id',
  'pay_item_id',
  'location_id',
  'teacher_id',
  'commodity_id',
  'ctt_id',
]

/** §7.13 Pay: the payment journal. Incomes and refunds move the customer's accounts (§6.1). */
export const pay = defineModel({
  slug: 'pay',
  table: 'pays',
  logName: 'Pay',
  description:
    'The payment journal. Confirmed incomes and refunds move the customer’s balance; expenses and ' +
    'salaries do not.',
  scope: 'branch',
  customFields: true,
  stamps: { created: 'created_at', updated: 'updated_at' },
  // Filters clients send that the journal ignores (§7.13).
  inputKeys: ['currency', 'bonus_from', 'bonus_to', 'group_ids', 'is_fiscal'],
  fields: {
    id: int({ readOnly: true }),
    branch_id: ref('branch', { label: 'Филиал', default: null }),
    location_id: ref('location', { label: 'Локация' }),
    customer_id: ref('customer', { label: 'Клиент', description: 'Required for incomes and refunds.' }),
    pay_type_id: choice(PAY_TYPE_MEANINGS, { required: true, label: 'Тип платежа' }),
    pay_type_name: derived(text(50), 'Name of the pay type, in Russian.'),
    pay_account_id: ref('pay-account', { required: true, label: 'Касса' }),
    pay_item_id: ref('pay-item', { label: 'Статья' }),
    teacher_id: ref('teacher', { label: 'Педагог', description: 'Required for salaries.' }),
    commodity_id: int({ nullable: true, label: 'Товар' }),
    ctt_id: ref('customer-tariff', {
      label: 'Абонемент',
      description: 'A subscription of the same customer; one with a separate balance receives the money.',
    }),
    document_date: date('dmy', { required: true, label: 'Дата' }),
    income: money({ required: true, minKopecks: 1, label: 'Сумма' }),
    payer_name: text(50, { label: 'Плательщик' }),
    note: text(10000, { label: 'Примечание' }),
    is_confirmed: bool({ default: 1, label: 'Проведён' }),
    created_at: readOnly(datetime({ description: 'When it was recorded.' })),
  },
  filters: {
    ...ids(),
    ...Object.fromEntries(EXACT.map((f) => [f, exact(f)])),
    employee_id: exact('teacher_id', 'employee_id'),
    pay_item_category_id: describe(
      {
        schema: oneOrMany({ type: 'integer', minimum: 1 }),
        description: 'Pays whose item is in the category.',
      },
      byItemCategory,
    ),
    payer_name: substring('payer_name'),
    note: substring('note'),
    ...range('document_date', 'date'),
    ...range('income', 'sum'),
    is_confirmed: exact('is_confirmed'),
    ...range('created_at'),
    ...stampRange('updated_at', 'updated_at'),
  },
  order: [
    ['document_date', 'desc'],
    ['id', 'desc'],
  ],
  sortable: ['id', 'document_date', 'income'],
  // pay/total's `group_by` [ext].
  groupable: ['pay_account_id', 'pay_type_id'],
  extra: { total: { read: true, run: (ctx, input) => payTotals(pay, ctx, input), doc: PAY_TOTALS_DOC } },
  examples: {
    create: {
      pay_type_id: 1,
      customer_id: 1,
      pay_account_id: 1,
      pay_item_id: 1,
      location_id: 1,
      document_date: '15.09.2025',
      income: '4600.00',
      payer_name: 'Иванова Мария',
      note: 'September, 8 lessons',
    },
    update: { income: '4800.00', note: 'September, 8 lessons and a book' },
  },
  hooks: {
    async prepare(draft, ctx) {
      requireParties(draft)
      await checkAccountBranch(draft, ctx)
      await checkSubscription(draft, ctx)
    },
    // §6.1: the accounts of the customer the pay concerned before and after the change.
    async afterSave(rec, draft, ctx) {
      await refreshCustomers([draft.old?.customer_id as number | null, rec.customer_id as number | null], ctx)
    },
    async afterDelete(rec, ctx) {
      await refreshCustomers([rec.customer_id as number | null], ctx)
    },
    derive(recs) {
      for (const rec of recs) rec.pay_type_name = PAY_TYPES[rec.pay_type_id as keyof typeof PAY_TYPES] ?? ''
    },
  },
})

/** §7.13: incomes and refunds name their customer, salary payouts their teacher. */
function requireParties(draft: Draft): void {
  const { pay_type_id: type, customer_id, teacher_id } = draft.values
  if ((type === 1 || type === 2) && customer_id == null && !draft.errors.customer_id)
    draft.addError('customer_id', messages.required('Клиент'))
  if (type === 4 && teacher_id == null && !draft.errors.teacher_id)
    draft.addError('teacher_id', messages.required('Педагог'))
}

/** §7.13: the cash desk belongs to the pay's branch, also when only the branch changes. */
async function checkAccountBranch(draft: Draft, ctx: ActionCtx): Promise<void> {
  const v = draft.values
  if (!draft.changed.has('branch_id') && !draft.changed.has('pay_account_id')) return
  if (v.pay_account_id == null || draft.errors.pay_account_id || draft.errors.branch_id) return
  const params = [v.pay_account_id, v.branch_id]
  const query = shapes.compiled(`pay:account-branch:${ctx.dialect}`, params, () =>
    keepFound(
      ctx,
      payAccount,
      ctx.trx
        .selectFrom('pay_accounts')
        .select('id')
        .where('id', '=', v.pay_account_id as number)
        .where('branch_id', '=', v.branch_id as number),
    ).compile(),
  )
  const found = (await ctx.trx.executeQuery(query)).rows[0]
  if (!found) draft.addError('pay_account_id', messages.invalid('Касса'))
}

/** §7.13: `ctt_id` is a subscription of the pay's customer. */
async function checkSubscription(draft: Draft, ctx: ActionCtx): Promise<void> {
  const v = draft.values
  if (!draft.changed.has('ctt_id') && !draft.changed.has('customer_id')) return
  if (v.ctt_id == null || draft.errors.ctt_id) return
  const found = await ctx.trx
    .selectFrom('customer_tariffs')
    .select('id')
    .where('id', '=', v.ctt_id as number)
    .where('customer_id', '=', (v.customer_id as number | null) ?? 0)
    .executeTakeFirst()
  if (!found) draft.addError('ctt_id', messages.invalid('Абонемент'))
}

/** `pay_item_category_id` (§7.13): pays whose item is in the category, or in any of the categories. */
function byItemCategory(raw: unknown, eb: Eb): Condition {
  const parsed = (Array.isArray(raw) ? raw : [raw]).map((v) => parseInt32(v))
  if (parsed.length === 0 || parsed.some((r) => !r.ok)) throw fail.badParam('pay_item_category_id')
  const categories = parsed.map((r) => (r.ok ? r.value : 0))
  const items = eb
    .selectFrom('pay_items')
    .select('pay_items.id')
    .where('pay_items.category_id', 'in', categories)
  return eb('pays.pay_item_id', 'in', items)
}
