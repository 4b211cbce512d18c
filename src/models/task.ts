import { contains, describe, exact, ids, range, substring } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { fail } from '../errors.js'
import { bool, choice, date, datetime, int, intList, readOnly, ref, text } from '../fields/index.js'
import { messages } from '../fields/kind.js'

/** §7.23 Task: to-dos for users, linked to customers and groups. */
export const task = defineModel({
  slug: 'task',
  table: 'tasks',
  logName: 'Task',
  description: 'To-dos for users, linked to customers and groups.',
  scope: 'branches',
  stamps: { created: 'created_at' },
  fields: {
    id: int({ readOnly: true }),
    company_id: int({ nullable: true, label: 'Юр. лицо' }),
    branch_ids: intList({ ref: 'branch', label: 'Филиалы' }),
    user_id: ref('user', { label: 'Автор', default: null }),
    assigned_ids: intList({ ref: 'user', required: true, label: 'Исполнители' }),
    group_ids: intList({ ref: 'group', label: 'Группы' }),
    customer_ids: intList({ ref: 'customer', label: 'Клиенты' }),
    title: text(255, { required: true, label: 'Заголовок' }),
    text: text(10000, { required: true, label: 'Текст' }),
    is_archive: bool({ label: 'В архиве' }),
    created_at: readOnly(datetime({ description: 'When it was created.' })),
    is_done: bool({ label: 'Выполнена' }),
    is_private: bool({ label: 'Личная' }),
    due_date: date('iso', { nullable: true, label: 'Срок' }),
    done_date: datetime({ nullable: true, label: 'Дата выполнения' }),
    is_public_entry: bool({ label: 'Публичная запись' }),
    is_notify: bool({ label: 'Уведомлять' }),
    priority: choice({ 1: 'low', 2: 'normal', 3: 'high' }, { default: 2, label: 'Приоритет' }),
  },
  filters: {
    ...ids(),
    user_id: exact('user_id'),
    priority: exact('priority'),
    assigned_id: contains('assigned_ids', 'assigned_id'),
    customer_id: contains('customer_ids', 'customer_id'),
    group_id: contains('group_ids', 'group_id'),
    title: substring('title'),
    text: substring('text'),
    is_done: exact('is_done'),
    is_archive: exact('is_archive'),
    ...range('due_date'),
    ...range('done_date'),
    due_date_is_null: describe(
      { schema: { enum: [0, 1] }, description: '`1` tasks without a due date; `0` tasks with one.' },
      (raw, eb) => {
        const r = bool().filterValue(raw)
        if (!r.ok) throw fail.badParam('due_date_is_null')
        return r.value === 1 ? eb('tasks.due_date', 'is', null) : eb('tasks.due_date', 'is not', null)
      },
    ),
  },
  order: [['id', 'asc']],
  sortable: ['id', 'title', 'due_date', 'done_date', 'created_at', 'priority'],
  examples: {
    create: {
      title: 'Call the parent',
      text: 'Ask whether the trial lesson suited them.',
      assigned_ids: [1],
      customer_ids: [1],
      group_ids: [1],
      due_date: '2025-09-20',
      priority: 3,
    },
    update: { is_done: 1 },
  },
  hooks: {
    // §6.9: a task is refused while communications are attached to it.
    async beforeDelete(rec, ctx) {
      const comment = await ctx.trx
        .selectFrom('communications')
        .select('id')
        .where('class', '=', 'Task')
        .where('related_id', '=', rec.id)
        .executeTakeFirst()
      return comment ? messages.referenced('communication') : null
    },
    prepare(draft, ctx) {
      if (draft.action === 'create' && draft.values.user_id == null) draft.set('user_id', ctx.user.id)
      // §7.23: setting is_done sets done_date to now unless given; clearing it clears done_date.
      if (draft.changed.has('is_done') && draft.values.is_done !== draft.old?.is_done) {
        if (draft.values.is_done === 1 && !('done_date' in draft.body)) draft.set('done_date', ctx.now)
        if (draft.values.is_done === 0) draft.set('done_date', null)
      }
    },
  },
})
