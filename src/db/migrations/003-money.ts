import type { Kysely } from 'kysely'
import { createLink, createTable } from './001-init.js'

/**
 * Money (issue 4): tariffs and the subscriptions made from them, discounts, the pay journal with its
 * cash desks, articles and article categories. Frozen once shipped.
 *
 * `customer_tariffs.period_charge` is hidden: the §6.1 period charge fixed when the subscription was
 * made (or its tariff changed), so a later tariff price change never touches it. A discount's
 * `amount` is kept in hundredths (the `number` kind's storage).
 */
type Db = Kysely<unknown>

const TABLES: Record<string, string> = {
  tariffs: `type int, name text, price big, lessons_count int, duration int?, added text, branch_ids json,
    is_archive int, b_date text?, e_date text?, calculation_type int, period_count int, period_type int,
    subject_ids json, lesson_type_ids json`,
  customer_tariffs: `customer_id int, tariff_id int, subject_ids json, lesson_type_ids json,
    is_separate_balance int, note text, b_date text, e_date text, is_archive int, period_charge big`,
  discounts: `branch_id int, customer_id int, discount_type int, amount big, note text, subject_ids json,
    lesson_type_ids json, begin_date text, end_date text?`,
  pays: `branch_id int, location_id int?, customer_id int?, pay_type_id int, pay_account_id int,
    pay_item_id int?, teacher_id int?, commodity_id int?, ctt_id int?, document_date text, income big,
    payer_name text, note text, is_confirmed int, created_at text, updated_at text`,
  pay_accounts: 'branch_id int, name text, user_ids json, is_enabled int, weight int',
  pay_items: 'branch_ids json, category_id int?, pay_type_ids json, name text, weight int',
  pay_item_categories: 'name text, weight int',
}

const LINKS = [
  'tariffs_branch_ids',
  'tariffs_subject_ids',
  'tariffs_lesson_type_ids',
  'customer_tariffs_subject_ids',
  'customer_tariffs_lesson_type_ids',
  'discounts_subject_ids',
  'discounts_lesson_type_ids',
  'pay_accounts_user_ids',
  'pay_items_branch_ids',
  'pay_items_pay_type_ids',
]

const INDEXES: Array<[string, string, string[]]> = [
  ['pays_customer', 'pays', ['customer_id', 'is_confirmed']],
  ['pays_ctt', 'pays', ['ctt_id']],
  ['pays_document_date', 'pays', ['document_date', 'id']],
  ['pays_branch', 'pays', ['branch_id', 'document_date', 'id']],
  ['pays_account', 'pays', ['pay_account_id']],
  ['pays_item', 'pays', ['pay_item_id']],
  ['customer_tariffs_customer', 'customer_tariffs', ['customer_id', 'b_date']],
  ['customer_tariffs_tariff', 'customer_tariffs', ['tariff_id']],
  ['discounts_customer', 'discounts', ['customer_id']],
  ['discounts_branch', 'discounts', ['branch_id']],
  ['pay_accounts_branch', 'pay_accounts', ['branch_id']],
  ['pay_items_category', 'pay_items', ['category_id']],
  // Subscription accounts and the delete guard read the charges of a subscription (§6.6, §6.9).
  ['lesson_details_ctt', 'lesson_details', ['ctt_id']],
]

export const m003_money = {
  async up(db: Db): Promise<void> {
    for (const [name, spec] of Object.entries(TABLES)) await createTable(db, name, spec)
    for (const name of LINKS) await createLink(db, name)
    for (const [name, table, cols] of INDEXES)
      await db.schema.createIndex(name).on(table).columns(cols).execute()
  },
}
