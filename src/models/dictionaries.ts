import { exact, ids, substring } from '../engine/filters.js'
import { defineModel, type ModelDef } from '../engine/model.js'
import { bool, choice, int, text } from '../fields/index.js'

/**
 * Tenant-wide dictionaries (§7.7–§7.12, §7.16): shared by all branches, ordered by weight. The
 * customer-facing ones are guarded on delete by the customers that use them (§6.9).
 */
const byWeight: ModelDef['order'] = [
  ['weight', 'asc'],
  ['id', 'asc'],
]

const enabledDictionary = (slug: string, table: string, logName: string, customerField: string) =>
  defineModel({
    slug,
    table,
    logName,
    scope: 'tenant',
    fields: {
      id: int({ readOnly: true }),
      name: text(50, { required: true, label: 'Название' }),
      is_enabled: bool({ default: 1, label: 'Активен' }),
      weight: int({ label: 'Порядок' }),
    },
    filters: { ...ids(), name: substring('name'), is_enabled: exact('is_enabled') },
    order: byWeight,
    refusedBy: [['customer', customerField]],
  })

export const subject = defineModel({
  slug: 'subject',
  table: 'subjects',
  logName: 'Subject',
  scope: 'tenant',
  fields: {
    id: int({ readOnly: true }),
    name: text(50, { required: true, label: 'Название' }),
    is_active: bool({ default: 1, label: 'Активен' }),
    weight: int({ label: 'Порядок' }),
  },
  filters: {
    ...ids(),
    name: substring('name'),
    active: exact('is_active', 'active'),
    is_active: exact('is_active'),
  },
  order: byWeight,
  refusedBy: [
    ['lesson', 'subject_id'],
    ['regular-lesson', 'subject_id'],
    ['branch', 'subject_ids'],
    ['customer-tariff', 'subject_ids'],
    ['tariff', 'subject_ids'],
    ['discount', 'subject_ids'],
    ['teacher', 'subject_ids'],
    ['teacher/teacher-rate', 'subject_ids'],
  ],
})

export const studyStatus = enabledDictionary(
  'study-status',
  'study_statuses',
  'StudyStatus',
  'study_status_id',
)
export const leadReject = enabledDictionary('lead-reject', 'lead_rejects', 'LeadReject', 'lead_reject_id')
export const customerReject = enabledDictionary(
  'customer-reject',
  'customer_rejects',
  'CustomerReject',
  'customer_reject_id',
)

export const leadStatus = defineModel({
  slug: 'lead-status',
  table: 'lead_statuses',
  logName: 'LeadStatus',
  scope: 'tenant',
  fields: {
    id: int({ readOnly: true }),
    name: text(50, { required: true, label: 'Название' }),
    is_enabled: bool({ default: 1, label: 'Активен' }),
    weight: int({ label: 'Порядок' }),
    pipeline_id: int({ default: 1, label: 'Воронка' }),
    color: text(50, { label: 'Цвет' }),
    color_id: int({ nullable: true, label: 'Цвет' }),
  },
  filters: {
    ...ids(),
    name: substring('name'),
    is_enabled: exact('is_enabled'),
    pipeline_id: exact('pipeline_id'),
  },
  order: byWeight,
  refusedBy: [['customer', 'lead_status_id']],
})

export const leadSource = defineModel({
  slug: 'lead-source',
  table: 'lead_sources',
  logName: 'LeadSource',
  scope: 'tenant',
  fields: {
    id: int({ readOnly: true }),
    code: text(50, { label: 'Код' }),
    name: text(50, { required: true, label: 'Название' }),
    is_enabled: bool({ default: 1, label: 'Активен' }),
    weight: int({ label: 'Порядок' }),
  },
  filters: { ...ids(), code: exact('code'), name: substring('name'), is_enabled: exact('is_enabled') },
  order: byWeight,
  refusedBy: [['customer', 'lead_source_id']],
})

export const lessonType = defineModel({
  slug: 'lesson-type',
  table: 'lesson_types',
  logName: 'LessonType',
  scope: 'tenant',
  fields: {
    id: int({ readOnly: true }),
    name: text(50, { required: true, label: 'Название' }),
    type: choice([1, 2, 3], { default: 2, label: 'Вид' }),
    icon: text(50, { label: 'Иконка' }),
    is_active: bool({ default: 1, label: 'Активен' }),
    sort: int({ label: 'Порядок' }),
  },
  filters: { ...ids(), name: substring('name'), type: exact('type'), is_active: exact('is_active') },
  order: [
    ['sort', 'asc'],
    ['id', 'asc'],
  ],
  refusedBy: [
    ['lesson', 'lesson_type_id'],
    ['regular-lesson', 'lesson_type_id'],
    ['customer-tariff', 'lesson_type_ids'],
    ['tariff', 'lesson_type_ids'],
    ['discount', 'lesson_type_ids'],
    ['teacher/teacher-rate', 'lesson_type_ids'],
  ],
})
