import { type AppError, fail, toWire } from '../errors.js'
import { ENGLISH } from '../fields/glossary.js'
import type { FieldKind } from '../fields/kind.js'
import { MAX_BATCH } from '../http/batch.js'
import { MAX_KEY_LENGTH, REPLAYED_HEADER } from '../http/idempotency.js'
import { DEDUPE_KEY } from './actions.js'
import type { Action, ExtraDoc, Model, Registry } from './model.js'
import { NAMES_KEY, NAMES_PARAM_DOC, NAMES_REPLY_DOC } from './names.js'
import { AFTER_ID } from './paging.js'
import { sortDoc } from './sort.js'

/**
 * The OpenAPI 3.1 document, derived from the model declarations (STYLE: declare once). Deterministic:
 * registry order, field order and filter order decide the output; nothing depends on the clock.
 */
type Json = Record<string, unknown>

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` })
const json = (schema: Json) => ({ 'application/json': { schema } })
const pascal = (s: string) => s.replace(/(?:^|[/-])(\w)/g, (_m, c: string) => c.toUpperCase())
// Derived fields are read-only, except a list of objects a hook reads (a lesson's `details`).
const isWritable = (k: FieldKind) => !k.readOnly
const CUSTOM = {
  '^custom_': { description: 'A custom field declared with `custom-field/create` for this model.' },
}

export function buildOpenApi(models: Registry, info: { version: string }): Record<string, unknown> {
  const paths: Json = { '/v2api/auth/login': loginPath(), ...sessionPaths(), '/v2api/batch': batchPath() }
  const schemas: Json = {}
  const tags = [
    { name: 'auth', description: 'Log in with an e-mail and an API key to get a token.' },
    { name: 'batch', description: '[ext] Several read calls in one request.' },
  ]
  for (const [key, model] of models) {
    const name = pascal(key)
    Object.assign(schemas, modelSchemas(name, model))
    tags.push({ name: key, description: model.description })
    for (const action of [...model.actions, ...Object.keys(model.extra ?? {})]) {
      paths[pathOf(key, model, action)] = { post: operation(key, name, model, action) }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parta v2api',
      version: info.version,
      description:
        'Wire-compatible with Alfa CRM v2api. Every action answers POST and GET alike. Log in at ' +
        '`/v2api/auth/login` and send the token in `X-ALFACRM-TOKEN`. Labels in «» are the Russian ' +
        'field names that validation messages quote.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'The server that serves this document.' }],
    tags,
    // A header token, or the staff app's cookie with its CSRF header.
    security: [{ token: [] }, { session: [], csrf: [] }],
    paths,
    components: {
      securitySchemes: {
        token: { type: 'apiKey', in: 'header', name: 'X-ALFACRM-TOKEN' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'parta_session',
          description:
            'The staff app: set by `auth/session` (HttpOnly, SameSite=Strict, Secure over HTTPS). Holds session tokens only; every call with it needs the `csrf` header too.',
        },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Parta-CSRF',
          description:
            'Always `1`: a header a cross-site form cannot send. Required with the session cookie, together with an `Origin` (when sent) equal to the server’s own.',
        },
      },
      parameters: { branch: BRANCH, idempotencyKey: IDEMPOTENCY_KEY },
      schemas: { ...SHARED_SCHEMAS, ...schemas },
      responses: errorResponses(),
    },
  }
}

const BRANCH = {
  name: 'branch',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 1 },
  description: 'Branch id. Without this segment the call runs in the user’s default branch.',
  example: 1,
}

/** [ext] http/idempotency: the header of every write. */
const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, maxLength: MAX_KEY_LENGTH, pattern: '^[\\x21-\\x7e]+$' },
  description:
    '[extension] Makes the write safe to retry: the first reply (status and body) is kept 24 hours for ' +
    'this user and key with a hash of the request (method, path, query, body), and a retry of the same ' +
    'request gets it again without writing, with the header `Idempotent-Replayed: true`. Concurrent ' +
    'duplicates write once. The same key with a different request is a 422 naming `Idempotency-Key`. ' +
    'Kept: successes and the client errors the action gives (422, 404, 400 on a parameter); not kept: ' +
    '5xx and 429 (nothing was written; a retry runs again). Keys of other users are separate. Visible ' +
    'ASCII, at most 255 characters (a UUID).',
  example: '5f0c6a52-3e0b-4f43-9d43-2f1b7f3b8a10',
}

function pathOf(key: string, model: Model, action: string): string {
  return model.scope === 'global' ? `/v2api/${key}/${action}` : `/v2api/{branch}/${key}/${action}`
}

/**
 * A field's schema: its kind's, described in English (the field's own description, else the English of
 * its label), then the meanings of enum values and the Russian label that messages quote.
 */
function fieldSchema(name: string, kind: FieldKind, output: boolean): Json {
  const base = kind.item
    ? { type: 'array', items: schemaRef(output ? kind.item.name : `${kind.item.name}Input`) }
    : kind.jsonSchema()
  const english = kind.description ?? ENGLISH[kind.label] ?? (name === 'id' ? 'Record id.' : undefined)
  const target = kind.ref ? `Id${kind.type.endsWith('[]') ? 's' : ''} of \`${kind.ref}\` records.` : undefined
  const label = kind.label ? `Label «${kind.label}».` : undefined
  const description = [english, target, base.description, label].filter((s) => s).join(' ')
  return { ...base, description, ...(output && !isWritable(kind) ? { readOnly: true } : {}) }
}

function modelSchemas(name: string, model: Model): Json {
  const fields = Object.entries(model.fields)
  const output = Object.fromEntries(fields.map(([f, k]) => [f, fieldSchema(f, k, true)]))
  const input = inputProps(model.fields)
  const required = fields.filter(([, k]) => isWritable(k) && k.required).map(([f]) => f)
  const object = (description: string, properties: Json, required: string[] = []) =>
    objectSchema(model, description, properties, required)
  const items = { type: 'array', items: schemaRef(name) }
  const has = (...actions: Action[]) => actions.some((a) => model.actions.includes(a))
  const all: Record<string, Json | false> = {
    [name]: object(`${model.logName}: a record as every action returns it.`, output, Object.keys(output)),
    [`${name}Create`]: has('create') && object('Unknown and read-only keys are ignored.', input, required),
    [`${name}Update`]: has('update') && object('Partial update: only the keys present change.', input),
    [`${name}Filter`]:
      has('index') &&
      object(
        'Filters and paging. Body keys are merged over query keys of the same name.',
        filterProps(model),
      ),
    [`${name}List`]: has('index') && {
      ...envelope({ total: TOTAL, count: INT, page: INT, items }),
      properties: {
        total: TOTAL,
        count: INT,
        page: INT,
        items,
        names: NAMES_REPLY_DOC,
        next_after_id: NEXT_AFTER_ID,
      },
    },
    [`${name}Saved`]: has('create', 'update', 'restore') && {
      ...envelope({ success: { const: true }, errors: EMPTY, model: schemaRef(name) }),
      ...(model.dedupe
        ? {
            properties: {
              success: { const: true },
              errors: EMPTY,
              model: schemaRef(name),
              deduplicated: DEDUPLICATED,
            },
          }
        : {}),
    },
    ...itemSchemas(model),
  }
  return Object.fromEntries(Object.entries(all).filter(([, schema]) => schema))
}

/** The item schemas of object-list fields: as read (all keys) and as written (writable keys). */
function itemSchemas(model: Model): Record<string, Json> {
  const out: Record<string, Json> = {}
  for (const [field, kind] of Object.entries(model.fields)) {
    if (!kind.item) continue
    const fields = Object.entries(kind.item.fields)
    out[kind.item.name] = {
      type: 'object',
      description: `One element of a ${model.slug}'s \`${field}\`, as read.`,
      properties: Object.fromEntries(fields.map(([f, k]) => [f, fieldSchema(f, k, true)])),
      required: fields.map(([f]) => f),
    }
    const required = fields.filter(([, k]) => isWritable(k) && k.required).map(([f]) => f)
    out[`${kind.item.name}Input`] = {
      type: 'object',
      description: 'An entry as written: keys left out keep their stored values.',
      properties: inputProps(kind.item.fields),
      ...(required.length > 0 ? { required } : {}),
    }
  }
  return out
}

function objectSchema(model: Model, description: string, properties: Json, required: string[]): Json {
  return {
    type: 'object',
    description,
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(model.customFields ? { patternProperties: CUSTOM } : {}),
  }
}

/** Writable fields in declaration order, each followed by its input aliases. */
function inputProps(fields: Record<string, FieldKind>): Json {
  const writable = Object.entries(fields).filter(([, k]) => isWritable(k))
  return Object.fromEntries(
    writable.flatMap(([f, k]) => [
      [f, fieldSchema(f, k, false)],
      ...k.aliases.map((a) => [a, aliasSchema(f, k)]),
    ]),
  )
}

function aliasSchema(field: string, kind: FieldKind): Json {
  const { description: _meanings, ...schema } = kind.jsonSchema()
  return { ...schema, description: `Alias of \`${field}\`, read when it is absent.` }
}

const INT = { type: 'integer' }
const TOTAL = {
  type: ['integer', 'null'],
  description: 'Records the filters select; null in a download by `after_id` [extension].',
}
const NEXT_AFTER_ID = {
  type: 'integer',
  description:
    '[extension] With `after_id` only: the last id of this page (the `after_id` sent when the page is ' +
    'empty), to send as the next `after_id`. An empty page is the end of the download.',
}
const DEDUPLICATED = {
  type: 'boolean',
  description:
    '[extension] With `dedupe` only: true when an existing record was returned and nothing created, false when the record was created.',
}
const EMPTY = { type: 'array', maxItems: 0 }

function envelope(properties: Json): Json {
  return { type: 'object', properties, required: Object.keys(properties) }
}

/** Each filter as its declaration describes it, the default that applies when it is absent, then paging. */
function filterProps(model: Model): Json {
  const props: Json = {}
  for (const [key, fn] of Object.entries(model.filters)) {
    const doc = fn.doc?.(model) ?? { description: 'Filter.' }
    const fallback = model.defaultFilters[key]?.doc?.(model)
    props[key] = {
      ...doc.schema,
      description: [doc.description, fallback?.description].filter((s) => s).join(' '),
      ...(fallback?.default === undefined ? {} : { default: fallback.default }),
    }
  }
  return {
    ...props,
    ...PAGING,
    ...(model.sortable.size > 0 ? { sort: sortDoc(model) } : {}),
    ...(Object.hasOwn(props, NAMES_KEY) ? {} : { [NAMES_KEY]: NAMES_PARAM_DOC }),
  }
}

const PAGE_SIZE = { type: 'integer', minimum: 1, default: 50, examples: [50] }
const PAGING: Json = {
  page: { type: 'integer', minimum: 0, default: 0, description: 'Page number, counted from 0.' },
  [AFTER_ID]: {
    type: 'integer',
    minimum: 0,
    description:
      '[extension] Cursor for a full download: only records with a greater id, in id order (0 for the ' +
      'first page; then the reply’s `next_after_id`). Each page is read by the primary key, so a ' +
      'download is O(rows) however large, and writes meanwhile never skip or repeat a row. No `total` ' +
      '(null); cannot be combined with `sort`.',
  },
  count: {
    ...PAGE_SIZE,
    description:
      'Page size. Larger values are cut to the server setting MAX_PAGE_SIZE (50 unless configured).',
  },
  ...Object.fromEntries(
    ['per-page', 'pageSize', 'page_size', 'per_page'].map((k) => [
      k,
      { ...PAGE_SIZE, description: 'Alias of `count`.' },
    ]),
  ),
}

function operation(key: string, name: string, model: Model, action: Action): Json {
  const extra = model.extra?.[action]
  const isGlobal = model.scope === 'global'
  const alt = isGlobal ? `/v2api/{branch}/${key}/${action} (branch ignored)` : `/v2api/${key}/${action}`
  return {
    tags: [key],
    operationId: `${name}${pascal(action)}`,
    summary: `${key} ${action}`,
    description:
      `${extra?.doc?.description ?? SUMMARY[action] ?? (extra?.read ? 'Read view.' : 'Action.')} POST; GET is accepted too with the same ` +
      `meaning. Also served at \`${alt}\`${action === 'index' ? ' and without the action segment' : ''}.`,
    parameters: parameters(model, action),
    requestBody: { required: false, content: requestContent(name, model, action) },
    responses: responses(name, model, action),
  }
}

const SUMMARY: Record<string, string> = {
  index: 'Lists records with filters and paging.',
  create: 'Creates a record; with the query `id` of a visible record it updates that record instead.',
  update: 'Partial update of record `id`.',
  delete:
    'Deletes record `id`; customers, groups and teachers are archived instead. A record still referenced ' +
    'by others is refused with 422.',
  restore: 'Undoes an archive.',
}

/** The request body's schema, with the model's example for create and update. */
function requestContent(name: string, model: Model, action: Action): Json {
  const examples = model.examples ?? {}
  const example = action === 'create' ? examples.create : action === 'update' ? examples.update : undefined
  const doc = model.extra?.[action]?.doc
  const content = json(doc?.takesFilters ? filtersWith(name, model, doc) : requestSchema(name, action))
  if (example) Object.assign(content['application/json'], { example })
  return content
}

/** The model's filters, and the action's own keys when it has any (`group_by`). */
function filtersWith(name: string, model: Model, doc: ExtraDoc): Json {
  if (!doc.params) return schemaRef(`${name}Filter`)
  const own = {
    type: 'object',
    properties: doc.params(model),
    ...(doc.required?.length ? { required: doc.required } : {}),
  }
  return { allOf: [schemaRef(`${name}Filter`), own] }
}

function requestSchema(name: string, action: Action): Json {
  if (action === 'index') return schemaRef(`${name}Filter`)
  if (action === 'create') return schemaRef(`${name}Create`)
  if (action === 'update') return schemaRef(`${name}Update`)
  return { type: 'object', description: 'Parameters may be sent in the body when absent from the query.' }
}

const ID_DOC = 'Record id; the body `id` is read when absent; missing in both → 400.'
const CREATE_ID_DOC = 'Optional: a visible record with this id is updated instead.'
const SCOPING_DOC = 'The record this one hangs off; the body key of the same name is read when absent.'
const ID = { type: 'integer', minimum: 1 }

function parameters(model: Model, action: Action): Json[] {
  const query = (name: string, required: boolean, schema: Json, description: string, example?: unknown) => ({
    name,
    in: 'query',
    required,
    schema,
    description,
    ...(example === undefined ? {} : { example }),
  })
  const out: Json[] = model.scope === 'global' ? [] : [{ $ref: '#/components/parameters/branch' }]
  if (action === 'create') out.push(query('id', false, ID, CREATE_ID_DOC))
  if (action === 'create' && model.dedupe) {
    const rules = Object.entries(model.dedupe).map(([name, r]) => `\`${name}\`: ${r.description}`)
    const doc =
      '[extension] Find-or-create: when a record matches by this rule, it is returned as saved and ' +
      `nothing is created; the reply says which with \`deduplicated\`. ${rules.join(' ')}`
    out.push(query(DEDUPE_KEY, false, { type: 'string', enum: Object.keys(model.dedupe) }, doc, 'phone'))
  }
  if (isWriteAction(model, action)) out.push({ $ref: '#/components/parameters/idempotencyKey' })
  if (['update', 'delete', 'restore'].includes(action)) out.push(query('id', false, ID, ID_DOC, 1))
  for (const p of model.scoping?.params ?? []) {
    const { description: meanings, ...schema } = model.fields[p.field]?.jsonSchema() ?? {}
    const description = [SCOPING_DOC, meanings].filter((s) => s).join(' ')
    out.push(query(p.name, isScopingRequired(model, action, p.name), schema, description, p.example))
  }
  return out
}

/** Required when its absence alone is reported, whatever else is given (cgi index needs either id). */
function isScopingRequired(model: Model, action: Action, name: string): boolean {
  const s = model.scoping
  if (!s) return false
  const others = new Set(s.params.map((p) => p.name).filter((n) => n !== name))
  if (s.missing) return s.missing(action, others).includes(name)
  return action === 'index' || action === 'create'
}

/** create, update, delete, restore and the extra actions that write (http/idempotency takes a key on each). */
const isWriteAction = (model: Model, action: Action) =>
  model.extra?.[action] ? !model.extra[action]!.read : action !== 'index'

const REPLAYED = {
  [REPLAYED_HEADER]: {
    description: '[extension] `true` when this is the kept reply of an `Idempotency-Key` sent again.',
    schema: { type: 'string', enum: ['true'] },
  },
}

function responses(name: string, model: Model, action: Action): Json {
  const [schema, description] = success(name, model, action)
  const out: Json = {
    200: {
      description,
      content: json(schema),
      ...(isWriteAction(model, action) ? { headers: REPLAYED } : {}),
    },
    400: responseRef('BadRequest'),
    401: responseRef('Unauthorized'),
    403: responseRef('Forbidden'),
    429: responseRef('TooManyRequests'),
  }
  const isWrite = action !== 'index' && !model.extra?.[action]
  if (isWrite && action !== 'create') out[404] = responseRef('NotFound')
  if (isWrite) out[422] = responseRef('Invalid')
  return out
}

function success(name: string, model: Model, action: Action): [schema: Json, description: string] {
  const list: [Json, string] = [schemaRef(`${name}List`), 'One page of records and the total count.']
  if (action === 'index') return list
  if (action === 'delete') return [schemaRef('Deleted'), 'Deleted (or archived).']
  const extra = model.extra?.[action]
  if (!extra) return [schemaRef(`${name}Saved`), 'The record as saved.']
  if (extra.doc) return [extra.doc.reply.schema, extra.doc.reply.description]
  // An extra action of a listable model (cgi/customer) answers like its index; views answer a bare array.
  if (model.actions.includes('index')) return list
  return [{ type: 'array', items: schemaRef(name) }, 'A bare array, not an envelope.']
}

const STR = { type: 'string' }
const ERROR = envelope({ name: STR, message: STR, code: { const: 0 }, status: INT })

const SHARED_SCHEMAS = {
  Error: { ...ERROR, description: 'Error body.' },
  ValidationError: {
    ...envelope({
      success: { const: false },
      errors: { type: 'object', additionalProperties: { type: 'array', items: STR } },
      model: { type: 'null' },
      ...(ERROR.properties as Json),
    }),
    description: 'Validation failure: messages by input key.',
  },
  Deleted: envelope({ success: { const: true }, errors: EMPTY }),
  LoginBody: {
    ...envelope({
      email: { type: 'string', description: 'The user’s e-mail.' },
      api_key: { type: 'string', description: 'The user’s API key.' },
    }),
    example: { email: 'admin@school.example', api_key: '6f8e2a1c-3b4d-11ee-9a7f-2c4d6e8f0a1b' },
  },
  Token: envelope({
    token: { type: 'string', description: 'Send it in the `X-ALFACRM-TOKEN` header.' },
    expires_in: { type: 'integer', description: 'Seconds until the token expires.' },
  }),
}

/** [ext] The batch's example: a branch-less dictionary, a filtered page, and a write it refuses. */
const BATCH_EXAMPLE = {
  requests: [
    { path: 'branch/index' },
    { path: '1/lesson/index', body: { date_from: '2025-09-01', date_to: '2025-09-07', page: 1 } },
    { path: '1/customer/index', query: { id: [5, 7] } },
    { path: '1/room/create', body: { name: 'Ауд. 5' } },
  ],
}

/**
 * [ext] `batch` (http/batch), by hand like login: it belongs to no model. Its replies are the entries'
 * own replies, so their schemas are those of the paths they name.
 */
function batchPath(): Json {
  const entry = {
    type: 'object',
    properties: {
      path: {
        type: 'string',
        description:
          'What follows `/v2api/` in the call sent alone: `1/room/index`, `branch/index`, `1/pay/total`, `1/customer` (index).',
      },
      query: {
        type: 'object',
        description:
          'The query parameters of that call (`{"id": 5}`); lists are sent as `id[0]=…` like any query.',
      },
      body: { description: 'The JSON body of that call: filters and paging.' },
    },
    required: ['path'],
  }
  const reply = {
    type: 'object',
    properties: {
      status: { type: 'integer', description: 'The HTTP status the call alone would have had.' },
      body: {
        description:
          'What the call alone would have answered, byte for byte: its reply, or its error body (`Error`, `ValidationError`).',
      },
    },
    required: ['status', 'body'],
  }
  const refused = toWire(fail.notBatchable()).body
  return {
    post: {
      tags: ['batch'],
      operationId: 'Batch',
      summary: 'batch',
      description:
        `[ext] Up to ${MAX_BATCH} read calls in one request: \`index\` and the other read actions (counts, totals, calendar views) of any model, branch-less ones included. ` +
        'Each entry runs as if sent alone with the same token or session cookie: the same roles, branches, paging and errors, so one refused entry (403, 404, 400) does not fail the others. ' +
        `An entry that is not a read (a write, an \`auth/\` endpoint, another batch) is answered \`400\` ${JSON.stringify(refused.message)} and never run: a batch writes nothing. ` +
        'Replies come in request order. Entries not started within `REQUEST_TIMEOUT_S` of the batch’s arrival are answered 408 unrun. ' +
        `The batch itself is authenticated like any call (a cookie caller needs \`X-Parta-CSRF: 1\`); more than ${MAX_BATCH} entries, or a body of another shape, is a 400. POST; GET is accepted too.`,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: envelope({ requests: { type: 'array', maxItems: MAX_BATCH, items: entry } }),
            example: BATCH_EXAMPLE,
          },
        },
      },
      responses: {
        200: {
          description: 'One reply per entry, in request order.',
          content: json(envelope({ replies: { type: 'array', items: reply } })),
        },
        400: responseRef('BadRequest'),
        401: responseRef('Unauthorized'),
        403: responseRef('Forbidden'),
        429: responseRef('TooManyRequests'),
      },
    },
  }
}

/** Examples come from `toWire`, the one place that writes error bodies, so the two cannot drift. */
const ERRORS: Array<[name: string, err: AppError, description: string]> = [
  ['BadRequest', fail.json(), 'Bad body, or a parameter missing or of the wrong type.'],
  ['Unauthorized', fail.token(), 'Token missing, unknown, expired or revoked.'],
  ['Forbidden', fail.access(), 'No API access, branch not allowed, or the role does not permit it.'],
  ['NotFound', fail.notFound(), 'Record does not exist or is not visible in the path branch.'],
  ['Invalid', fail.field('name', 'Необходимо заполнить «Имя».'), 'Validation failure, by input key.'],
  ['TooManyRequests', fail.rate(1), 'Rate limit exceeded; retry after the `Retry-After` seconds.'],
  ['LoginRefused', fail.login(), 'Wrong, missing or inactive credentials.'],
]

function errorResponses(): Json {
  const out: Json = {}
  for (const [name, err, description] of ERRORS) {
    const w = toWire(err)
    const schema = schemaRef(w.status === 422 ? 'ValidationError' : 'Error')
    const headers = Object.fromEntries(Object.keys(w.headers).map((h) => [h, { schema: STR }]))
    out[name] = { description, headers, content: { 'application/json': { schema, example: w.body } } }
  }
  return out
}

function loginPath(): Json {
  return {
    post: {
      tags: ['auth'],
      operationId: 'AuthLogin',
      summary: 'auth login',
      description: 'Issues a token. POST; GET is accepted too. Credentials come from the body.',
      security: [],
      requestBody: { required: true, content: json(schemaRef('LoginBody')) },
      responses: {
        200: { description: 'A new token, valid `expires_in` seconds.', content: json(schemaRef('Token')) },
        400: responseRef('BadRequest'),
        403: responseRef('LoginRefused'),
        429: responseRef('TooManyRequests'),
      },
    },
  }
}

/**
 * The staff app's session endpoints (http/auth-endpoints), by hand like login: they belong to no model.
 * A browser authenticates with the `parta_session` cookie and `X-Parta-CSRF: 1`.
 */
function sessionPaths(): Json {
  const user = envelope({
    id: INT,
    name: STR,
    email: STR,
    role: STR,
    branch_ids: { type: 'array', items: INT },
    teacher_id: {
      type: ['integer', 'null'],
      description:
        'The teacher this user is [ext]: a `teacher` user with one reads and conducts only that teacher’s lessons.',
    },
  })
  const signedIn = { 401: responseRef('Unauthorized'), 403: responseRef('Forbidden') }
  const endpoints: Array<
    [name: string, description: string, body: Json | null, reply: Json, refusals: Json]
  > = [
    [
      'session',
      'Signs in with a password and sets the `parta_session` cookie (HttpOnly, SameSite=Strict, Secure over HTTPS); no token in the body.',
      { email: STR, password: STR },
      envelope({ user, expires_in: INT }),
      { 403: responseRef('LoginRefused'), 429: responseRef('TooManyRequests') },
    ],
    ['me', 'The signed-in user (cookie or token).', null, envelope({ user }), signedIn],
    [
      'sign-out',
      'Revokes the token it is called with and clears the cookie.',
      null,
      envelope({ success: { const: true } }),
      signedIn,
    ],
    [
      'password',
      "Changes the caller's own password and revokes its other sessions and tokens; a cookie caller gets a new cookie, a token caller a new token in the body.",
      { current_password: STR, new_password: STR },
      envelope({ success: { const: true }, token: STR, expires_in: INT }),
      { ...signedIn, 422: responseRef('Invalid'), 429: responseRef('TooManyRequests') },
    ],
  ]
  const csrf =
    "POST; GET is accepted too. The sign-in and cookie-authenticated calls need `X-Parta-CSRF: 1` and, when sent, an `Origin` equal to the server's own (else 403 Access Denied)."
  const paths: Json = {}
  for (const [name, description, body, reply, refusals] of endpoints) {
    paths[`/v2api/auth/${name}`] = {
      post: {
        tags: ['auth'],
        operationId: pascal(`auth-${name}`),
        summary: `auth ${name}`,
        description: `${description} ${csrf}`,
        ...(name === 'session' ? { security: [] } : {}),
        ...(body ? { requestBody: { required: true, content: json(envelope(body)) } } : {}),
        responses: { 200: { description: 'Done.', content: json(reply) }, ...refusals },
      },
    }
  }
  return paths
}
