import { exact, ids, substring } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { bool, int, ref, text } from '../fields/index.js'

/** §7.2 Location: a site of one branch. */
export const location = defineModel({
  slug: 'location',
  table: 'locations',
  logName: 'Location',
  scope: 'branch',
  fields: {
    id: int({ readOnly: true }),
    branch_id: ref('branch', { label: 'Филиал', default: null }),
    is_active: bool({ default: 1, label: 'Активна' }),
    name: text(50, { required: true, label: 'Название' }),
    weight: int({ label: 'Порядок' }),
  },
  filters: { ...ids(), name: substring('name'), is_active: exact('is_active') },
  order: [
    ['weight', 'asc'],
    ['id', 'asc'],
  ],
  refusedBy: [
    ['room', 'location_id'],
    ['pay', 'location_id'],
    ['teacher/working-hour', 'location_id'],
  ],
})
