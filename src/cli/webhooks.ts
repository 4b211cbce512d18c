import crypto from 'node:crypto'
import { sendSigned } from '../webhooks/send.js'
import { defineCommand, failure, parseId, parseOptions, required } from './command.js'
import { asOperator } from './operator-call.js'
import { formatTable } from './output.js'

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')

export const webhookAdd = defineCommand({
  synopsis:
    'webhook add --url U [--events create,update,…] [--entities Customer,Pay,…] [--branches 1,2] [--name N] [--secret S] [--json]',
  summary: 'add a webhook endpoint; prints its id and, when none was given, the generated secret (once)',
  details: [
    '--events    create, update, delete, restore (default: all)',
    '--entities  log names or slugs: Customer, Lesson, Pay, LessonDetails … (default: all)',
    '--branches  branch ids whose changes are sent (default: all)',
    '--secret    the signing secret, 16–255 characters (default: a generated one)',
  ],
  parse(argv) {
    const v = parseOptions(argv, {
      url: { type: 'string' },
      events: { type: 'string' },
      entities: { type: 'string' },
      branches: { type: 'string' },
      name: { type: 'string' },
      secret: { type: 'string' },
      json: { type: 'boolean', default: false },
    })
    const branches = list(v.branches).map((b) => parseId(b, 'branches'))
    return { ...v, url: required(v.url, 'url'), branches, json: v.json ?? false }
  },
  async run({ db, args, out, tz }) {
    const body: Record<string, unknown> = {
      url: args.url,
      events: list(args.events),
      entities: list(args.entities),
      branch_ids: args.branches,
      name: args.name ?? '',
      ...(args.secret ? { secret: args.secret } : {}),
    }
    const r = await asOperator(db, tz, 'webhook', 'create', { query: {}, body })
    const model = r.model as { id: number; secret?: string }
    if (args.json) return out.json({ id: model.id, ...(model.secret ? { secret: model.secret } : {}) })
    out.line(`Added webhook ${model.id} → ${args.url}.`)
    if (model.secret) out.line(`Secret (shown once): ${model.secret}`)
  },
})

export const webhookList = defineCommand({
  synopsis: 'webhook list [--json]',
  summary: 'list webhook endpoints with their status and pending deliveries (never their secrets)',
  parse: (argv) => ({ json: parseOptions(argv, { json: { type: 'boolean', default: false } }).json }),
  async run({ db, args, out }) {
    const rows = await db.kysely
      .selectFrom('webhooks as w')
      .select((eb) => [
        'w.id',
        'w.name',
        'w.url',
        'w.events',
        'w.entities',
        'w.branch_ids',
        'w.is_active',
        'w.status',
        'w.status_reason',
        eb
          .selectFrom('webhook_deliveries as d')
          .select((e) => e.fn.countAll().as('n'))
          .whereRef('d.webhook_id', '=', 'w.id')
          .where('d.status', '=', 'pending')
          .as('pending'),
      ])
      .orderBy('w.id')
      .execute()
    const hooks = rows.map((r) => ({
      id: Number(r.id),
      name: String(r.name),
      url: String(r.url),
      events: JSON.parse(String(r.events)) as string[],
      entities: JSON.parse(String(r.entities)) as string[],
      branch_ids: JSON.parse(String(r.branch_ids)) as number[],
      is_active: Number(r.is_active),
      status: String(r.status),
      status_reason: String(r.status_reason),
      pending: Number(r.pending),
    }))
    if (args.json) return out.json(hooks)
    if (hooks.length === 0) return out.line('No webhooks.')
    const all = (l: unknown[]) => (l.length ? l.join(',') : 'all')
    const headers = ['id', 'url', 'events', 'entities', 'branches', 'active', 'status', 'pending']
    const cells = hooks.map((h) => [
      h.id,
      h.url,
      all(h.events),
      all(h.entities),
      all(h.branch_ids),
      h.is_active,
      h.status,
      h.pending,
    ])
    for (const line of formatTable(
      headers,
      cells.map((c) => c.map(String)),
    ))
      out.line(line)
    for (const h of hooks) if (h.status_reason) out.line(`${h.id}: ${h.status_reason}`)
  },
})

export const webhookRemove = defineCommand({
  synopsis: 'webhook remove --id N',
  summary: 'remove a webhook endpoint and its delivery log',
  parse: (argv) => ({ id: parseId(required(parseOptions(argv, { id: { type: 'string' } }).id, 'id'), 'id') }),
  async run({ db, args, out, tz }) {
    await asOperator(db, tz, 'webhook', 'delete', { query: { id: args.id }, body: {} })
    out.line(`Removed webhook ${args.id}.`)
  },
})

export const webhookTest = defineCommand({
  synopsis: 'webhook test --id N [--json]',
  summary: 'send a signed ping to a webhook endpoint now and print its answer',
  details: ['The ping is `{"event":"ping", …}` with the usual headers; it is not logged as a delivery.'],
  parse(argv) {
    const v = parseOptions(argv, { id: { type: 'string' }, json: { type: 'boolean', default: false } })
    return { id: parseId(required(v.id, 'id'), 'id'), json: v.json ?? false }
  },
  async run({ db, args, out, config }) {
    const hook = await db.kysely
      .selectFrom('webhooks')
      .select(['url', 'secret'])
      .where('id', '=', args.id)
      .executeTakeFirst()
    if (!hook) throw failure(`no webhook ${args.id}`)
    const delivery = `ping-${crypto.randomUUID()}`
    const body = JSON.stringify({
      event: 'ping',
      entity: 'Webhook',
      entity_id: args.id,
      fields_old: [],
      fields_new: [],
      fields_rel: [],
      delivery_id: delivery,
    })
    const sent = await sendSigned(
      String(hook.url),
      String(hook.secret),
      body,
      delivery,
      config.webhooks.timeoutMs,
    )
    if (args.json) return out.json({ ok: sent.ok, status: sent.status, answer: sent.detail })
    out.line(`${sent.ok ? 'OK' : 'FAILED'}: ${sent.status ?? 'no answer'} from ${String(hook.url)}`)
    if (sent.detail) out.line(sent.detail)
    if (!sent.ok) throw failure('the endpoint did not accept the ping')
  },
})
