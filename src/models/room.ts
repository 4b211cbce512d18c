import { exact, ids, substring } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { bool, int, ref, text } from '../fields/index.js'

/** §7.25 Room: a classroom of one branch, optionally at one of its locations. */
export const room = defineModel({
  slug: 'room',
  table: 'rooms',
  logName: 'Room',
  description: 'Classrooms of a branch, optionally at one of its locations.',
  scope: 'branch',
  fields: {
    id: int({ readOnly: true }),
    branch_id: ref('branch', { label: 'Филиал', default: null }),
    location_id: ref('location', { label: 'Локация' }),
    streaming_id: int({ nullable: true, label: 'Трансляция' }),
    color_id: int({ nullable: true, label: 'Цвет' }),
    name: text(50, { required: true, label: 'Название' }),
    note: text(50, { label: 'Полное название' }),
    is_enabled: bool({ default: 1, label: 'Активна' }),
    weight: int({ label: 'Порядок' }),
  },
  filters: {
    ...ids(),
    name: substring('name'),
    is_enabled: exact('is_enabled'),
    location_id: exact('location_id'),
  },
  order: [
    ['weight', 'asc'],
    ['id', 'asc'],
  ],
  examples: {
    create: { name: 'Room 101', note: 'Ground floor, room 101', location_id: 1, weight: 1 },
    update: { name: 'Room 102', is_enabled: 1 },
  },
  refusedBy: [
    ['lesson', 'room_id'],
    ['regular-lesson', 'room_id'],
  ],
})
