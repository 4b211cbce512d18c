import { exact, ids, range } from '../engine/filters.js'
import { readId } from '../engine/ids.js'
import { type ActionCtx, defineModel, type RequestInput } from '../engine/model.js'
import { fail } from '../errors.js'
import { choice, datetime, int, text } from '../fields/index.js'

/**
 * `redeliver?id=` [ext]: the delivery is sent again, as the oldest pending one of its endpoint (at once,
 * its retry period starting anew). A disabled endpoint sends it once `is_active` is set to 1 again.
 */
async function redeliver(ctx: ActionCtx, input: RequestInput) {
  const id = readId(input, true)!
  const r = await ctx.trx
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', due_ms: Date.now(), lease_ms: 0, first_ms: 0, next_attempt_at: ctx.now })
    .where('id', '=', id)
    .executeTakeFirst()
  if (Number(r.numUpdatedRows) === 0) throw fail.notFound()
  return { success: true, errors: [] }
}

/** Issue 16 [ext]: the delivery log of the outgoing webhooks, read-only; admins only. */
export const webhookDelivery = defineModel({
  slug: 'webhook-delivery',
  table: 'webhook_deliveries',
  logName: 'WebhookDelivery',
  description:
    'The delivery log of the outgoing webhooks [ext], admins only: one row per change and endpoint, ' +
    'with its attempts. `redeliver` sends one again.',
  scope: 'global',
  writers: 'admin',
  readers: 'admin',
  actions: ['index'],
  fields: {
    id: int({
      readOnly: true,
      description: 'The delivery id: the payload’s `delivery_id` and `X-Parta-Delivery`.',
    }),
    webhook_id: int({ readOnly: true, description: 'The endpoint.' }),
    log_id: int({ readOnly: true, description: 'The change: its row in the log.' }),
    branch_id: int({ readOnly: true, nullable: true, description: 'The payload’s `branch_id`.' }),
    entity: text(50, { readOnly: true, description: 'The changed record’s log name.' }),
    entity_id: int({ readOnly: true, description: 'Id of the changed record.' }),
    event: choice(['create', 'update', 'delete', 'restore'], {
      readOnly: true,
      description: 'The payload’s `event`.',
    }),
    status: choice(
      {
        pending: 'not delivered yet (waiting for its turn or its next attempt)',
        delivered: 'the endpoint answered 2xx',
        failed: 'given up after the retry limit',
      },
      { readOnly: true },
    ),
    attempts: int({ readOnly: true, description: 'Attempts made so far.' }),
    last_status_code: int({ readOnly: true, nullable: true, description: 'HTTP status of the last answer.' }),
    last_error: text(1000, {
      readOnly: true,
      description: 'Why the last attempt failed; empty after success.',
    }),
    last_attempt_at: datetime({ readOnly: true, description: 'When the last attempt was made.' }),
    next_attempt_at: datetime({
      readOnly: true,
      description: 'When the next attempt is due, while pending.',
    }),
    delivered_at: datetime({ readOnly: true, description: 'When the endpoint accepted it.' }),
    created_at: datetime({ readOnly: true, description: 'When the change was committed.' }),
  },
  filters: {
    ...ids(),
    webhook_id: exact('webhook_id'),
    status: exact('status'),
    entity: exact('entity'),
    entity_id: exact('entity_id'),
    log_id: exact('log_id'),
    ...range('created_at', 'date'),
  },
  order: [['id', 'desc']],
  extra: {
    redeliver: {
      read: false,
      run: redeliver,
      doc: {
        description:
          'Sends delivery `id` again: it becomes pending, first in line for its endpoint, with a new retry period.',
        reply: {
          schema: { type: 'object', properties: { success: { const: true }, errors: { type: 'array' } } },
          description: 'Queued.',
        },
      },
    },
  },
})
