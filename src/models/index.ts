import type { Model, Registry } from '../engine/model.js'
import { branch } from './branch.js'
import { calendar } from './calendar.js'
import { cgi } from './cgi.js'
import { communication } from './communication.js'
import { customField } from './custom-field.js'
import { customer } from './customer.js'
import { customerTariff } from './customer-tariff.js'
import {
  customerReject,
  leadReject,
  leadSource,
  leadStatus,
  lessonType,
  studyStatus,
  subject,
} from './dictionaries.js'
import { discount } from './discount.js'
import { group } from './group.js'
import { lesson } from './lesson.js'
import { location } from './location.js'
import { log } from './log.js'
import { pay } from './pay.js'
import { payAccount } from './pay-account.js'
import { payItem } from './pay-item.js'
import { payItemCategory } from './pay-item-category.js'
import { payType } from './pay-type.js'
import { regularLesson } from './regular-lesson.js'
import { room } from './room.js'
import { tariff } from './tariff.js'
import { task } from './task.js'
import { teacher } from './teacher.js'
import { teacherRate } from './teacher-rate.js'
import { teacherWorkingHour } from './teacher-working-hour.js'
import { user } from './user.js'
import { webhook } from './webhook.js'
import { webhookDelivery } from './webhook-delivery.js'

/** The registry: routes, validation, OpenAPI and the contract tests all loop over it. */
const all: Model[] = [
  branch,
  location,
  customer,
  group,
  lesson,
  cgi,
  regularLesson,
  calendar,
  subject,
  studyStatus,
  leadStatus,
  leadSource,
  leadReject,
  customerReject,
  pay,
  payAccount,
  payItem,
  payItemCategory,
  communication,
  customerTariff,
  discount,
  task,
  teacher,
  teacherWorkingHour,
  teacherRate,
  tariff,
  room,
  lessonType,
  log,
  payType,
  customField,
  user,
  webhook,
  webhookDelivery,
]

export const models: Registry = new Map(all.map((m) => [m.parent ? `${m.parent}/${m.slug}` : m.slug, m]))
