import { sql } from 'kysely'
import { exact, ids, range, substring } from '../engine/filters.js'
import { keepFound } from '../engine/locks.js'
import { defineModel, type Eb, type Model } from '../engine/model.js'
import { branchesOf, findById, visibleIn } from '../engine/repository.js'
import { choice, datetime, int, readOnly, text } from '../fields/index.js'
import { customer } from './customer.js'
import { group } from './group.js'
import { task } from './task.js'

const CLASSES = { Customer: 'customer', Group: 'group', Task: 'task' } as const
/** The models comments attach to; a class whose model is not declared yet matches nothing. */
const TARGETS: Record<string, Model> = { customer, group, task }

/** §7.17 Communication: comments on a customer, group or task; visible where that record is. */
export const communication = defineModel({
  slug: 'communication',
  table: 'communications',
  logName: 'Communication',
  description: 'Comments on a customer, group or task; visible where that record is.',
  scope: {
    visible(eb: Eb, b: number) {
      return eb.or(
        Object.entries(CLASSES).map(([cls, slug]) => {
          const target = TARGETS[slug]
          if (!target) return sql<boolean>`1 = 0`
          return eb.and([
            eb('communications.class', '=', cls),
            eb(
              'communications.related_id',
              'in',
              eb
                .selectFrom(target.table)
                .select(`${target.table}.id`)
                .where((w) => visibleIn(target, w, b)),
            ),
          ])
        }),
      )
    },
    async branchesOf(rec, ctx) {
      const target = ctx.models.get(CLASSES[rec.class as keyof typeof CLASSES])
      const related = target ? await findById(target, rec.related_id as number, ctx) : null
      return target && related ? branchesOf(target, related, ctx) : []
    },
  },
  scoping: {
    params: [
      { name: 'class', field: 'class', example: 'Customer' },
      { name: 'related_id', field: 'related_id', example: 1 },
    ],
  },
  stamps: { created: 'added' },
  fields: {
    id: int({ readOnly: true }),
    type_id: int({ default: 1, label: 'Тип', description: '`1` comment; other values are stored as given.' }),
    class: readOnly(
      choice(Object.keys(CLASSES), { label: 'Объект', description: 'The kind of record commented on.' }),
    ),
    related_id: readOnly(int({ label: 'Объект', description: 'Id of the record commented on.' })),
    user_id: readOnly(int({ description: 'The author (a user).' })),
    added: readOnly(datetime({ description: 'When it was written.' })),
    comment: text(2048, { required: true, label: 'Комментарий' }),
  },
  filters: {
    ...ids(),
    type_id: exact('type_id'),
    user_id: exact('user_id'),
    comment: substring('comment'),
    ...range('added', 'date'),
  },
  order: [
    ['added', 'desc'],
    ['id', 'desc'],
  ],
  sortable: ['id', 'added'],
  examples: {
    create: { comment: 'Called the parent: the trial lesson suits them.' },
    update: { comment: 'Called the parent again: they sign up for September.' },
  },
  hooks: {
    async prepare(draft, ctx) {
      if (draft.action !== 'create') return
      draft.set('user_id', ctx.user.id)
      // The record commented on must exist and belong to the path branch (§7.17).
      const target = ctx.models.get(CLASSES[draft.values.class as keyof typeof CLASSES])
      // No key can name it (class + id), so the row is kept from a concurrent delete by a lock (§6.9).
      const found = target
        ? await keepFound(
            ctx,
            target,
            ctx.trx
              .selectFrom(target.table)
              .select(`${target.table}.id`)
              .where(`${target.table}.id`, '=', draft.values.related_id as number)
              .where((eb) => visibleIn(target, eb, ctx.pathBranch)),
          ).executeTakeFirst()
        : undefined
      if (!found) draft.addError('related_id', 'Значение «Объект» неверно.')
    },
  },
})
