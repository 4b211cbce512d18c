import type { AnyDb } from '../engine/model.js'
import { EVENT } from '../log/write.js'
import { enqueueDeliveries } from '../webhooks/outbox.js'
import { nowParts } from '../wire/dates.js'

/** Log rows of operator commands carry no API user (§5.11 `user_id`). */
export const OPERATOR_USER_ID = 0

export interface CreatedRecord {
  /** The log name of the model (`User`, `Branch`). */
  entity: string
  entityId: number
  /** Stored attributes in wire format; never an api key (§5.11). */
  attributes: Record<string, unknown>
  /** §5.11: rows about users are for admins only; branches are shown to everyone. */
  visibility: 'admin' | 'all'
}

/**
 * Records a creation made from the command line, in the caller's transaction, in the same shape the API
 * writes (§5.11) so the log tells the whole story of the data; the webhooks listening to it get it too
 * (their outbox rows in the same transaction, as for a change made through the API).
 */
export async function logCreated(trx: AnyDb, tz: string, rec: CreatedRecord): Promise<void> {
  const now = nowParts(tz).dateTime
  const row = await trx
    .insertInto('log')
    .values({
      entity: rec.entity,
      entity_id: rec.entityId,
      user_id: OPERATOR_USER_ID,
      event: EVENT.create,
      fields_old: '[]',
      fields_new: JSON.stringify(rec.attributes),
      date_time: now,
      visibility: rec.visibility,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await enqueueDeliveries({ trx, pathBranch: 0, now }, [
    { logId: Number(row.id), entity: rec.entity, entityId: rec.entityId, event: EVENT.create, branches: [] },
  ])
}
