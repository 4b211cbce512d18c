import { sql } from 'kysely'
import { describe, exact, ids, likePattern, range } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { fail } from '../errors.js'
import { datetime, int, text } from '../fields/index.js'
import { makeKind } from '../fields/kind.js'

/** An attribute map stored as JSON; empty maps are `[]` (§5.9). */
const attributes = (description: string) =>
  makeKind(
    {
      type: 'object',
      parse: () => ({ ok: false, message: '' }),
      toDb: (v) => JSON.stringify(v),
      fromDb: (raw) => JSON.parse((raw as string | null) ?? '[]'),
      format: (v) => v,
      jsonSchema: () => ({ oneOf: [{ type: 'object' }, { type: 'array', maxItems: 0 }] }),
    },
    { readOnly: true, description },
    [],
  )

/** §7.20 Log: read-only change history; visibility of §5.11. */
export const log = defineModel({
  slug: 'log',
  table: 'log',
  logName: 'Log',
  description: 'The change history, read-only: one row per created, changed or deleted record.',
  actions: ['index'],
  scope: {
    visible: (eb, b) =>
      eb.or([
        eb('log.visibility', '=', 'all'),
        eb('log.visibility', '=', 'admin'),
        eb.exists(
          eb
            .selectFrom('log_branches')
            .select(sql.lit(1).as('one'))
            .whereRef('log_branches.log_id', '=', 'log.id')
            .where('log_branches.branch_id', '=', b),
        ),
      ]),
    branchesOf: async () => [],
  },
  // Rows about users and custom fields are for admins only.
  restrict: (eb, ctx) =>
    ctx.user.role === 'admin' ? sql<boolean>`1 = 1` : eb('log.visibility', '!=', 'admin'),
  fields: {
    id: int({ readOnly: true }),
    entity: text(50, { readOnly: true, description: 'The model’s log name, e.g. `Customer`.' }),
    entity_id: int({ readOnly: true, description: 'Id of the record.' }),
    user_id: int({ readOnly: true, description: 'Who made the change.' }),
    event: int({ readOnly: true, description: '`1` create, `2` update, `3` delete, `4` restore.' }),
    fields_old: attributes('Changed values before the change.'),
    fields_new: attributes('Changed values after the change.'),
    fields_rel: { ...attributes('Always empty.'), column: undefined, derived: true },
    date_time: datetime({ readOnly: true, description: 'When it happened.' }),
  },
  filters: {
    ...ids(),
    // Case-insensitive (§7.20) by mapping the value to the stored spelling, so the (entity, entity_id)
    // index serves it; an unknown name matches nothing.
    entity: describe(
      { schema: { type: 'string' }, description: 'Log name, case-insensitive.' },
      (raw, eb, ctx) => {
        if (typeof raw !== 'string') throw fail.badParam('entity')
        const wanted = raw.trim().toLowerCase()
        const names = ['LessonDetails', ...[...ctx.models.values()].map((m) => m.logName)]
        return eb('log.entity', '=', names.find((n) => n.toLowerCase() === wanted) ?? raw.trim())
      },
    ),
    entity_id: exact('entity_id'),
    user_id: exact('user_id'),
    event: exact('event'),
    ...range('date_time', 'date'),
    // [ext] rows whose fields_old or fields_new has the key (the funnel history, §6.8)
    field: describe({ schema: { type: 'string' }, description: 'Rows that changed this key.' }, (raw, eb) => {
      if (typeof raw !== 'string') throw fail.badParam('field')
      const pattern = likePattern(`${JSON.stringify(raw)}:`)
      return eb.or([
        sql<boolean>`log.fields_old LIKE ${pattern} ESCAPE '\\'`,
        sql<boolean>`log.fields_new LIKE ${pattern} ESCAPE '\\'`,
      ])
    }),
  },
  order: [
    ['date_time', 'desc'],
    ['id', 'desc'],
  ],
  hooks: {
    derive(recs) {
      for (const r of recs) r.fields_rel = []
    },
  },
})
