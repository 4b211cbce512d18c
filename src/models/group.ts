import {
  asIf,
  contains,
  describe,
  exact,
  ids,
  range,
  stampRange,
  substring,
  triState,
} from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { fail } from '../errors.js'
import { bool, date, int, intList, text } from '../fields/index.js'
import { messages } from '../fields/kind.js'
import { customer } from './customer.js'

/** §7.4 Group: a class of customers; delete archives and keeps a course end date already past (§6.9). */
export const group = defineModel({
  slug: 'group',
  table: 'groups',
  logName: 'Group',
  description:
    'Classes of customers, who join through memberships (cgi). Delete archives a group; restore brings it back.',
  scope: 'branches',
  archive: { openEDate: null },
  customFields: true,
  stamps: { created: 'created_at', updated: 'updated_at' },
  // Keys clients send on create that are not fields (§7.4); known in strict mode, ignored otherwise.
  inputKeys: ['subject_id', 'subject_ids', 'lesson_type_id', 'is_public'],
  fields: {
    id: int({ readOnly: true }),
    branch_ids: intList({ ref: 'branch', label: 'Филиалы' }),
    teacher_ids: intList({ ref: 'teacher', label: 'Педагоги' }),
    name: text(255, { required: true, label: 'Название' }),
    level_id: int({ nullable: true, label: 'Уровень' }),
    status_id: int({ nullable: true, label: 'Статус группы' }),
    company_id: int({ nullable: true, label: 'Юр. лицо' }),
    streaming_id: int({ nullable: true, label: 'Трансляция' }),
    limit: int({ min: 0, label: 'Лимит' }),
    note: text(255, { label: 'Примечание' }),
    b_date: date('dmy', { nullable: true, label: 'Дата начала' }),
    e_date: date('dmy', { nullable: true, label: 'Дата окончания' }),
    removed: bool({ label: 'Архив', description: 'Archived; writing it archives or restores.' }),
  },
  filters: {
    ...ids(),
    name: substring('name'),
    note: substring('note'),
    customer_name: describe(
      { schema: { type: 'string' }, description: 'Groups with a current member whose name contains this.' },
      (raw, eb, ctx) => {
        if (typeof raw !== 'string' && typeof raw !== 'number') throw fail.badParam('customer_name')
        const members = eb
          .selectFrom('cgis')
          .innerJoin('customers', 'customers.id', 'cgis.customer_id')
          .select('cgis.group_id')
          .where('cgis.b_date', '<=', ctx.today)
          .where((w) => w.or([w('cgis.e_date', 'is', null), w('cgis.e_date', '>=', ctx.today)]))
          .where((w) => substring('name')(raw, w, ctx, customer))
        return eb('groups.id', 'in', members)
      },
    ),
    removed: triState('removed', 'removed'),
    level_id: exact('level_id'),
    status_id: exact('status_id'),
    branch_id: contains('branch_ids', 'branch_id'),
    branch_ids: contains('branch_ids'),
    teacher_id: contains('teacher_ids', 'teacher_id'),
    teacher_ids: contains('teacher_ids'),
    ...range('b_date'),
    ...range('e_date'),
    ...stampRange('created_at', 'created_at'),
    ...stampRange('updated_at', 'updated_at'),
  },
  defaultFilters: { removed: asIf(0, (_v, eb) => eb('groups.removed', '=', 0)) },
  order: [['id', 'asc']],
  sortable: ['id', 'name'],
  examples: {
    create: {
      name: 'English A1, evenings',
      branch_ids: [1],
      teacher_ids: [1],
      limit: 8,
      b_date: '01.09.2025',
      e_date: '31.05.2026',
      note: 'Mondays and Wednesdays',
    },
    update: { name: 'English A2, evenings', limit: 10 },
  },
  hooks: {
    prepare(draft) {
      const { b_date: b, e_date: e } = draft.values
      // §7.4: the end must be strictly after the start (certain: «Некорректный период»).
      if (typeof b === 'string' && typeof e === 'string' && e <= b)
        draft.addError('e_date', messages.period())
    },
  },
})
