import { exact, ids, substring } from '../engine/filters.js'
import { defineModel, type Example, type ModelDef } from '../engine/model.js'
import { bool, choice, int, text } from '../fields/index.js'

/**
 * Tenant-wide dictionaries (§7.7–§7.12, §7.16): shared by all branches, ordered by weight. The
 * customer-facing ones are guarded on delete by the customers that use them (§6.9).
 */
const byWeight: ModelDef['order'] = [
  ['weight', 'asc'],
  ['id', 'asc'],
]

interface Dictionary {
  slug: string
  table: string
  logName: string
  customerField: string
  description: string
  examples: { create: Example; update: Example }
}

const enabledDictionary = ({ slug, table, logName, customerField, description, examples }: Dictionary) =>
  defineModel({
    slug,
    table,
    logName,
    description,
    examples,
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
  description: 'What is taught; shared by all branches.',
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
  examples: { create: { name: 'English', weight: 1 }, update: { name: 'English for adults' } },
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

export const studyStatus = enabledDictionary({
  slug: 'study-status',
  table: 'study_statuses',
  logName: 'StudyStatus',
  customerField: 'study_status_id',
  description: 'Study statuses of students (`study_status_id` of a customer).',
  examples: { create: { name: 'Studying', weight: 1 }, update: { name: 'Studying regularly' } },
})
export const leadReject = enabledDictionary({
  slug: 'lead-reject',
  table: 'lead_rejects',
  logName: 'LeadReject',
  customerField: 'lead_reject_id',
  description: 'Why leads are lost (`lead_reject_id` of a customer).',
  examples: { create: { name: 'Too expensive', weight: 1 }, update: { name: 'Price too high' } },
})
export const customerReject = enabledDictionary({
  slug: 'customer-reject',
  table: 'customer_rejects',
  logName: 'CustomerReject',
  customerField: 'customer_reject_id',
  description: 'Why students leave (`customer_reject_id` of a customer).',
  examples: { create: { name: 'Moved away', weight: 1 }, update: { name: 'Moved to another city' } },
})

export const leadStatus = defineModel({
  slug: 'lead-status',
  table: 'lead_statuses',
  logName: 'LeadStatus',
  description: 'Stages of the sales funnel (`lead_status_id` of a lead).',
  scope: 'tenant',
  fields: {
    id: int({ readOnly: true }),
    name: text(50, { required: true, label: 'Название' }),
    is_enabled: bool({ default: 1, label: 'Активен' }),
    weight: int({ label: 'Порядок' }),
    pipeline_id: int({ default: 1, label: 'Воронка' }),
    color: text(50, { label: 'Цвет' }),
    color_id: int({ nullable: true, label: 'Цвет', description: 'Colour id; stored as given.' }),
  },
  filters: {
    ...ids(),
    name: substring('name'),
    is_enabled: exact('is_enabled'),
    pipeline_id: exact('pipeline_id'),
  },
  order: byWeight,
  examples: {
    create: { name: 'Trial lesson booked', weight: 1, color: '#3366ff' },
    update: { name: 'Trial lesson scheduled' },
  },
  refusedBy: [['customer', 'lead_status_id']],
})

export const leadSource = defineModel({
  slug: 'lead-source',
  table: 'lead_sources',
  logName: 'LeadSource',
  description: 'Where leads come from (`lead_source_id` of a customer).',
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
  examples: { create: { code: 'web', name: 'Web site', weight: 1 }, update: { name: 'School web site' } },
  refusedBy: [['customer', 'lead_source_id']],
})

export const lessonType = defineModel({
  slug: 'lesson-type',
  table: 'lesson_types',
  logName: 'LessonType',
  description: 'Kinds of lessons: individual, group or trial.',
  scope: 'tenant',
  fields: {
    id: int({ readOnly: true }),
    name: text(50, { required: true, label: 'Название' }),
    type: choice({ 1: 'individual', 2: 'group', 3: 'trial' }, { default: 2, label: 'Вид' }),
    icon: text(50, { label: 'Иконка' }),
    is_active: bool({ default: 1, label: 'Активен' }),
    sort: int({ label: 'Порядок' }),
  },
  filters: { ...ids(), name: substring('name'), type: exact('type'), is_active: exact('is_active') },
  order: [
    ['sort', 'asc'],
    ['id', 'asc'],
  ],
  examples: { create: { name: 'Group lesson', type: 2, sort: 1 }, update: { name: 'Group class' } },
  refusedBy: [
    ['lesson', 'lesson_type_id'],
    ['regular-lesson', 'lesson_type_id'],
    ['customer-tariff', 'lesson_type_ids'],
    ['tariff', 'lesson_type_ids'],
    ['discount', 'lesson_type_ids'],
    ['teacher/teacher-rate', 'lesson_type_ids'],
  ],
})
