import { type Migration, Migrator } from 'kysely'
import type { Db } from './connect.js'
import { m001_init } from './migrations/001-init.js'
import { m002_schedule } from './migrations/002-schedule.js'
import { m003_money } from './migrations/003-money.js'
import { m004_search } from './migrations/004-search.js'
import { m005_upcoming } from './migrations/005-upcoming.js'
import { m006_foreignKeys } from './migrations/006-foreign-keys.js'
import { m007_log_filters } from './migrations/007-log-filters.js'
import { m008_token_version } from './migrations/008-token-version.js'
import { m009_passwords } from './migrations/009-passwords.js'
import { m010_user_teacher } from './migrations/010-user-teacher.js'
import { m011_webhooks } from './migrations/011-webhooks.js'
import { m012_idempotency_sync } from './migrations/012-idempotency-sync.js'
import { m013_webhook_stamp } from './migrations/013-webhook-stamp.js'
import { m014_customer_tally } from './migrations/014-customer-tally.js'
import { m015_balance_sums } from './migrations/015-balance-sums.js'
import { m016_customer_tally_by } from './migrations/016-customer-tally-by.js'
import { m017_customer_pairs } from './migrations/017-customer-pairs.js'
import { m018_customer_sole_branch } from './migrations/018-customer-sole-branch.js'

const migrations: Record<string, Migration> = {
  '001-init': m001_init,
  '002-schedule': m002_schedule,
  '003-money': m003_money,
  '004-search': m004_search,
  '005-upcoming': m005_upcoming,
  '006-foreign-keys': m006_foreignKeys,
  '007-log-filters': m007_log_filters,
  '008-token-version': m008_token_version,
  '009-passwords': m009_passwords,
  '010-user-teacher': m010_user_teacher,
  '011-webhooks': m011_webhooks,
  '012-idempotency-sync': m012_idempotency_sync,
  '013-webhook-stamp': m013_webhook_stamp,
  '014-customer-tally': m014_customer_tally,
  '015-balance-sums': m015_balance_sums,
  '016-customer-tally-by': m016_customer_tally_by,
  '017-customer-pairs': m017_customer_pairs,
  '018-customer-sole-branch': m018_customer_sole_branch,
}

/** Runs pending migrations; safe to call from several processes (Kysely takes a lock). */
export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider: { getMigrations: async () => migrations } })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
