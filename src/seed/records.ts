import type { Model } from '../engine/model.js'
import { linkTable } from '../engine/model.js'
import { toRow } from '../engine/repository.js'
import type { FieldContext } from '../fields/kind.js'
import { resolveDefault } from '../fields/kind.js'
import { EVENT, storedAttributes } from '../log/write.js'
import type { BulkWriter, Row } from './bulk-writer.js'

/**
 * Records of a model written in bulk the way the API stores them: the columns (with search shadows)
 * come from the model declaration's field kinds, list fields fill their link tables, and a creation
 * log row carries the stored attributes in wire format (§5.11), dated when the record was "made".
 */
export interface Made {
  /** Wall-clock datetime of the creation log row; no log row when absent. */
  at?: string
  userId?: number
  /** Branches of the log row for models whose scope is not a plain branch or branch list. */
  branches?: number[]
  /** Hidden columns that are not fields (a group's created_at, a subscription's period_charge). */
  hidden?: Row
  /** Values as they were when the record was made, when later changes are logged separately. */
  logValues?: Record<string, unknown>
}

export interface LogRow {
  entity: string
  entityId: number
  userId: number
  event: number
  old: Record<string, unknown> | null
  new: Record<string, unknown> | null
  at: string
  visibility: 'admin' | 'all' | 'branches'
  branches: number[]
}

export class RecordSink {
  constructor(
    readonly writer: BulkWriter,
    private readonly fieldCtx: FieldContext,
  ) {}

  /** Writes the record (its id allocated here unless given) and returns its id. */
  record(model: Model, values: Record<string, unknown>, made: Made = {}): number {
    const id = typeof values.id === 'number' ? values.id : this.writer.nextId(model.table)
    const rec: Record<string, unknown> = { ...values, id }
    // Every record of a table gets every column, so the multi-row INSERT has one shape.
    for (const [name, kind] of model.columns) {
      if (!(name in rec)) rec[name] = resolveDefault(kind.default, this.fieldCtx)
    }
    const row = toRow(model, rec, model.fieldNames) as Row
    this.writer.add(model.table, { id, ...row, ...made.hidden })
    for (const field of model.links) {
      for (const value of rec[field] as number[])
        this.writer.add(linkTable(model, field), { record_id: id, value })
    }
    if (made.at) {
      this.log({
        entity: model.logName,
        entityId: id,
        userId: made.userId ?? 0,
        event: EVENT.create,
        old: null,
        new: storedAttributes(model, { ...rec, ...made.logValues }, []),
        at: made.at,
        visibility: visibilityOf(model),
        branches: made.branches ?? branchesOf(model, rec),
      })
    }
    return id
  }

  log(e: LogRow): void {
    const encode = (m: Record<string, unknown> | null) =>
      m && Object.keys(m).length > 0 ? JSON.stringify(m) : '[]'
    const id = this.writer.nextId('log')
    this.writer.add('log', {
      id,
      entity: e.entity,
      entity_id: e.entityId,
      user_id: e.userId,
      event: e.event,
      fields_old: encode(e.old),
      fields_new: encode(e.new),
      date_time: e.at,
      visibility: e.visibility,
    })
    if (e.visibility !== 'branches') return
    for (const b of new Set(e.branches)) this.writer.add('log_branches', { log_id: id, branch_id: b })
  }
}

/** The same rule as the API's log writer (§5.11). */
export function visibilityOf(model: Model): 'admin' | 'all' | 'branches' {
  if (model.slug === 'user' || model.slug === 'custom-field') return 'admin'
  return model.scope === 'global' || model.scope === 'tenant' ? 'all' : 'branches'
}

function branchesOf(model: Model, rec: Record<string, unknown>): number[] {
  if (model.scope === 'branch') return [rec.branch_id as number]
  if (model.scope === 'branches') return rec.branch_ids as number[]
  return []
}
