import type { AnyDb } from '../engine/model.js'
import { EVENT } from '../log/write.js'
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
 * writes (§5.11) so the log tells the whole story of the data.
 */
export async function logCreated(trx: AnyDb, tz: string, rec: CreatedRecord): Promise<void> {
  await trx
    .insertInto('log')
    .values({
      entity: rec.entity,
      entity_id: rec.entityId,
      user_id: OPERATOR_USER_ID,
      event: EVENT.create,
      fields_old: '[]',
      fields_new: JSON.stringify(rec.attributes),
      date_time: nowParts(tz).dateTime,
      visibility: rec.visibility,
    })
    .execute()
}
