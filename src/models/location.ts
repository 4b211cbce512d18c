import { exact, ids, substring } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { bool, int, ref, text } from '../fields/index.js'

/** §7.2 Location: a site of one branch. */
export const location = defineModel({
  slug: 'location',
  table: 'locations',
  logName: 'Location',
  description: 'Sites of a branch; rooms may belong to one.',
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
  examples: { create: { name: 'Main building', weight: 1 }, update: { name: 'North building' } },
  refusedBy: [
    ['room', 'location_id'],
    ['pay', 'location_id'],
    ['teacher/working-hour', 'location_id'],
  ],
})
