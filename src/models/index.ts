import type { Model, Registry } from '../engine/model.js'
import { branch } from './branch.js'
import { communication } from './communication.js'
import { customField } from './custom-field.js'
import { customer } from './customer.js'
import {
  customerReject,
  leadReject,
  leadSource,
  leadStatus,
  lessonType,
  studyStatus,
  subject,
} from './dictionaries.js'
import { location } from './location.js'
import { log } from './log.js'
import { payType } from './pay-type.js'
import { room } from './room.js'
import { task } from './task.js'
import { user } from './user.js'

/** The registry: routes, validation, OpenAPI and the contract tests all loop over it. */
const all: Model[] = [
  branch,
  location,
  customer,
  subject,
  studyStatus,
  leadStatus,
  leadSource,
  leadReject,
  customerReject,
  communication,
  task,
  room,
  lessonType,
  log,
  payType,
  customField,
  user,
]

export const models: Registry = new Map(all.map((m) => [m.parent ? `${m.parent}/${m.slug}` : m.slug, m]))
