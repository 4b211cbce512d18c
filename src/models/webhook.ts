import crypto from 'node:crypto'
import { exact, ids } from '../engine/filters.js'
import { type ActionCtx, type Draft, defineModel } from '../engine/model.js'
import { bool, choice, datetime, int, intList, stringList, text } from '../fields/index.js'
import { EVENT_NAMES, touchWebhooks, UNSENT_ENTITIES } from '../webhooks/outbox.js'

const EVENTS = Object.values(EVENT_NAMES)
/** A secret generated on create when none is given is shown once, in that reply (like a user's api key). */
const issued = new WeakMap<ActionCtx, string>()

/** The log names an endpoint may listen to, by their lower-cased log name and slug. */
function entityNames(ctx: ActionCtx): Map<string, string> {
  const names = new Map([['lessondetails', 'LessonDetails']])
  for (const m of ctx.models.values()) {
    if (!m.actions.includes('create') || UNSENT_ENTITIES.has(m.logName)) continue
    names.set(m.logName.toLowerCase(), m.logName)
    names.set(m.slug, m.logName)
  }
  return names
}

/** Events and entities compare case-insensitively and are stored as the payload spells them. */
function readLists(draft: Draft, ctx: ActionCtx): void {
  const listed = (key: string) =>
    draft.changed.has(key) && !draft.errors[key] && Array.isArray(draft.values[key])
      ? (draft.values[key] as string[])
      : null
  const events = listed('events')
  const bad = events?.filter((e) => !EVENTS.includes(e.toLowerCase())) ?? []
  if (bad.length > 0) draft.addError('events', `Неизвестные события: ${bad.join(', ')}.`)
  else if (events) draft.set('events', [...new Set(events.map((e) => e.toLowerCase()))])
  const known = entityNames(ctx)
  const entities = listed('entities')
  const unknown = entities?.filter((e) => !known.has(e.toLowerCase())) ?? []
  if (unknown.length > 0) draft.addError('entities', `Неизвестные сущности: ${unknown.join(', ')}.`)
  else if (entities) draft.set('entities', [...new Set(entities.map((e) => known.get(e.toLowerCase())!))])
}

/** Deliveries go to the configured URL only: http(s), a host, no credentials in it. */
function readUrl(draft: Draft): void {
  if (!draft.changed.has('url') || draft.errors.url) return
  let url: URL | null = null
  try {
    url = new URL(draft.values.url as string)
  } catch {}
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.username || url.password)
    draft.addError('url', 'Значение «URL» должно быть адресом http:// или https:// без логина и пароля.')
}

/** The signing secret is write-only: stored to sign (not hashable), never shown again, never logged. */
function readSecret(draft: Draft, ctx: ActionCtx): void {
  const given = draft.body.secret
  if (given === undefined || given === null || given === '') {
    if (draft.action !== 'create') return
    const made = crypto.randomBytes(24).toString('hex')
    issued.set(ctx, made)
    draft.row.secret = made
    return
  }
  if (typeof given !== 'string' || given.length < 16 || given.length > 255) {
    draft.addError('secret', 'Значение «Секрет» должно содержать от 16 до 255 символов.')
    return
  }
  draft.row.secret = given
  draft.secrets.add('secret')
}

/** Issue 16 [ext]: an outgoing webhook endpoint; admins only. */
export const webhook = defineModel({
  slug: 'webhook',
  table: 'webhooks',
  logName: 'Webhook',
  description:
    'Outgoing webhooks [ext], admins only: each committed change the endpoint listens to is POSTed to its ' +
    'URL, signed with its secret, retried until delivered (see webhook-delivery). The secret is ' +
    'write-only; one generated on create is shown once, in the create reply.',
  scope: 'global',
  writers: 'admin',
  readers: 'admin',
  inputKeys: ['secret'],
  fields: {
    id: int({ readOnly: true }),
    name: text(100, { label: 'Название' }),
    url: text(2000, {
      required: true,
      label: 'URL',
      description: 'Where deliveries are POSTed: an http:// or https:// URL; redirects are not followed.',
    }),
    events: stringList({
      label: 'События',
      description: '`create`, `update`, `delete`, `restore`; empty: all.',
    }),
    entities: stringList({
      label: 'Сущности',
      description: 'Log names (`Customer`, `Lesson`, `Pay`, `LessonDetails` …) or slugs; empty: all.',
    }),
    branch_ids: intList({
      ref: 'branch',
      linked: false,
      label: 'Филиалы',
      description: 'Changes of records in these branches (records in no branch always); empty: all.',
    }),
    is_active: bool({ default: 1, label: 'Активен' }),
    status: choice(
      {
        active: 'deliveries are sent',
        disabled: 'given up after the retry limit; set `is_active` to 1 again',
      },
      { readOnly: true, description: 'Set by the server.' },
    ),
    status_reason: text(1000, { readOnly: true, description: 'Why the endpoint was disabled.' }),
    created_at: datetime({ readOnly: true, description: 'When it was added.' }),
  },
  filters: { ...ids(), is_active: exact('is_active') },
  order: [['id', 'asc']],
  stamps: { created: 'created_at' },
  examples: {
    create: { name: 'CRM sync', url: 'https://hooks.example.org/parta', events: ['create', 'update'] },
    update: { entities: ['Customer', 'Pay'] },
  },
  hooks: {
    prepare(draft, ctx) {
      readUrl(draft)
      readLists(draft, ctx)
      readSecret(draft, ctx)
      // Switched on again (after the retry limit disabled it): deliveries resume from the oldest pending.
      if (draft.values.is_active === 1 && (draft.old?.is_active !== 1 || draft.action === 'create')) {
        draft.set('status', 'active')
        draft.set('status_reason', '')
      }
    },
    async afterSave(_rec, _draft, ctx) {
      await touchWebhooks(ctx.trx)
    },
    async afterDelete(rec, ctx) {
      await ctx.trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', rec.id).execute()
      await touchWebhooks(ctx.trx)
    },
    present(_rec, out, ctx) {
      const secret = issued.get(ctx)
      if (secret !== undefined) out.secret = secret
    },
  },
})
