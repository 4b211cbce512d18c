import { PASSWORD_LENGTH_MESSAGE } from '../auth/passwords.js'
import type { Role } from '../auth/roles.js'
import { hashApiKey, hashPassword, isPasswordLength, newApiKey } from '../auth/secrets.js'
import { revokeTokens } from '../auth/tokens.js'
import { exact, ids, substring } from '../engine/filters.js'
import { serialiseOn } from '../engine/locks.js'
import { type ActionCtx, type Draft, defineModel, type Rec } from '../engine/model.js'
import { bool, choice, int, intList, ref, text } from '../fields/index.js'
import { parseBool } from '../wire/numbers.js'

const LAST_ADMIN = 'Нельзя удалить или ограничить последнего администратора.'
/** The plain api key set by this request, shown once in its reply (§7.30); never stored or logged. */
const issued = new WeakMap<ActionCtx, string>()

/**
 * §7.30: the active admins other than `id`, counted by a write that would limit or remove `id`. Such
 * writes are serialised (engine/locks), so the second of two admins demoting or deleting each other
 * at once counts after the first has committed, and is refused.
 */
async function otherActiveAdmins(ctx: ActionCtx, id: number): Promise<number> {
  await serialiseOn(ctx, 'last-admin')
  const rows = await ctx.trx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('is_active', '=', 1)
    .where('is_v2api', '=', 1)
    .where('id', '!=', id)
    .execute()
  return rows.length
}

async function readApiKey(draft: Draft, ctx: ActionCtx): Promise<void> {
  const regenerate = parseBool(draft.body.regenerate_api_key)
  let key: string | null = regenerate.ok && regenerate.value === 1 ? newApiKey() : null
  if (
    key === null &&
    draft.body.api_key !== undefined &&
    draft.body.api_key !== null &&
    draft.body.api_key !== ''
  ) {
    const given = draft.body.api_key
    if (typeof given !== 'string' || given.trim().length < 16 || given.trim().length > 255) {
      return draft.addError('api_key', 'Значение «Ключ API» должно содержать минимум 16 символов.')
    }
    key = given.trim()
  }
  if (key === null && draft.action === 'create') key = newApiKey()
  if (key === null) return
  draft.row.api_key_hash = await hashApiKey(key)
  issued.set(ctx, key)
}

/** An admin sets a user's password (the staff app's sign-in); it is write-only, like the api key. */
async function readPassword(draft: Draft): Promise<void> {
  const given = draft.body.password
  if (given === undefined || given === null || given === '') return
  if (typeof given !== 'string' || !isPasswordLength(given))
    return draft.addError('password', PASSWORD_LENGTH_MESSAGE)
  draft.row.password_hash = await hashPassword(given)
  draft.secrets.add('password')
}

/** §7.30 User [ext]: admin only; api keys stored hashed; the last admin cannot be removed or limited. */
export const user = defineModel({
  slug: 'user',
  table: 'users',
  logName: 'User',
  description:
    'Users and their API keys; admins only. The key is shown once, in the reply that sets it ' +
    '(create, `api_key`, or `regenerate_api_key: 1`).',
  scope: 'global',
  writers: 'admin',
  readers: 'admin',
  inputKeys: ['api_key', 'regenerate_api_key', 'password'],
  fields: {
    id: int({ readOnly: true }),
    name: text(255, { required: true, label: 'Имя' }),
    email: text(255, { required: true, label: 'E-mail' }),
    role: choice(
      {
        admin: 'everything in every branch, including branches, custom fields and users',
        manager: 'reads and writes in its branches',
        teacher: 'reads in its branches; changes a lesson’s status, attendance, topic, homework and note',
        readonly: 'reads only',
      } satisfies Record<Role, string>,
      { default: 'manager', label: 'Роль' },
    ),
    is_v2api: bool({ default: 1, label: 'Доступ к API' }),
    branch_ids: intList({ ref: 'branch', label: 'Филиалы' }),
    is_active: bool({ default: 1, label: 'Активен' }),
    teacher_id: ref('teacher', {
      label: 'Педагог',
      description:
        'The teacher this user is [ext]; a user of role `teacher` with one reads (lesson index, calendar ' +
        'views) and updates only the lessons of that teacher.',
    }),
  },
  filters: {
    ...ids(),
    email: substring('email'),
    role: exact('role'),
    is_active: exact('is_active'),
    teacher_id: exact('teacher_id'),
  },
  order: [['id', 'asc']],
  examples: {
    create: { name: 'Петрова Ольга', email: 'olga.petrova@example.org', role: 'manager', branch_ids: [1] },
    update: { name: 'Петрова Ольга Ивановна' },
  },
  refusedBy: [
    ['customer', 'assigned_id'],
    ['task', 'user_id'],
    ['task', 'assigned_ids'],
    ['communication', 'user_id'],
    ['pay-account', 'user_ids'],
  ],
  hooks: {
    async prepare(draft, ctx) {
      const v = draft.values
      if (typeof v.email === 'string' && draft.changed.has('email') && !draft.errors.email) {
        const taken = await ctx.trx
          .selectFrom('users')
          .select('id')
          .where('email_lc', '=', v.email.toLowerCase())
          .where('id', '!=', draft.old?.id ?? 0)
          .executeTakeFirst()
        if (taken) draft.addError('email', `Значение «${v.email}» для «E-mail» уже занято.`)
        draft.row.email_lc = v.email.toLowerCase()
      }
      await readApiKey(draft, ctx)
      await readPassword(draft)
      const old = draft.old
      const limited =
        old && old.role === 'admin' && (v.role !== 'admin' || v.is_active !== 1 || v.is_v2api !== 1)
      if (limited && old.is_active === 1 && (await otherActiveAdmins(ctx, old.id)) === 0)
        draft.addError('id', LAST_ADMIN)
    },
    async afterSave(rec, draft, ctx) {
      const old = draft.old
      const newSecret = draft.row.api_key_hash || draft.row.password_hash
      const revoke = old && (newSecret || rec.is_active !== 1 || rec.is_v2api !== 1)
      if (revoke) await revokeTokens(ctx.trx, rec.id)
    },
    async beforeDelete(rec, ctx) {
      if (rec.id === ctx.user.id) return 'Нельзя удалить свою учётную запись.'
      if (rec.role === 'admin' && (await otherActiveAdmins(ctx, rec.id)) === 0) return LAST_ADMIN
      return null
    },
    async afterDelete(rec: Rec, ctx) {
      await revokeTokens(ctx.trx, rec.id)
    },
    present(_rec, out, ctx) {
      const key = issued.get(ctx)
      if (key !== undefined) out.api_key = key
    },
  },
})
