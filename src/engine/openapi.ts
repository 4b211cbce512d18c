import { type AppError, fail, toWire } from '../errors.js'
import type { FieldKind } from '../fields/kind.js'
import type { Action, Model, Registry } from './model.js'
import { PAGING_KEYS } from './paging.js'

/**
 * The OpenAPI 3.1 document, derived from the model declarations (STYLE: declare once). Deterministic:
 * registry order, field order and filter order decide the output; nothing depends on the clock.
 */
type Json = Record<string, unknown>

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` })
const json = (schema: Json) => ({ 'application/json': { schema } })
const pascal = (s: string) => s.replace(/(?:^|[/-])(\w)/g, (_m, c: string) => c.toUpperCase())
const isWritable = (k: FieldKind) => !k.readOnly && !k.derived
const CUSTOM = { '^custom_': { description: 'A declared custom field (§5.10).' } }

export function buildOpenApi(models: Registry, info: { version: string }): Record<string, unknown> {
  const paths: Json = { '/v2api/auth/login': loginPath(), ...sessionPaths() }
  const schemas: Json = {}
  for (const [key, model] of models) {
    const name = pascal(key)
    Object.assign(schemas, modelSchemas(name, model))
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
        '`/v2api/auth/login` and send the token in `X-ALFACRM-TOKEN`.',
    },
    tags: ['auth', ...models.keys()].map((key) => ({ name: key })),
    security: [{ token: [] }],
    paths,
    components: {
      securitySchemes: { token: { type: 'apiKey', in: 'header', name: 'X-ALFACRM-TOKEN' } },
      parameters: { branch: BRANCH },
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
  description: 'Branch id. Without this segment the call runs in the user’s default branch (§2.5).',
}

function pathOf(key: string, model: Model, action: string): string {
  return model.scope === 'global' ? `/v2api/${key}/${action}` : `/v2api/{branch}/${key}/${action}`
}

function fieldSchema(kind: FieldKind, output: boolean): Json {
  const description = [kind.label, kind.description, kind.type].filter((s) => s).join(' — ')
  return { ...kind.jsonSchema(), description, ...(output && !isWritable(kind) ? { readOnly: true } : {}) }
}

function modelSchemas(name: string, model: Model): Json {
  const fields = Object.entries(model.fields)
  const output = Object.fromEntries(fields.map(([f, k]) => [f, fieldSchema(k, true)]))
  const input = inputProps(model)
  const required = fields.filter(([, k]) => isWritable(k) && k.required).map(([f]) => f)
  const object = (description: string, properties: Json, required: string[] = []) =>
    objectSchema(model, description, properties, required)
  const items = { type: 'array', items: schemaRef(name) }
  const has = (...actions: Action[]) => actions.some((a) => model.actions.includes(a))
  const all: Record<string, Json | false> = {
    [name]: object(`${model.logName}: a record as every action returns it.`, output, Object.keys(output)),
    [`${name}Create`]:
      has('create') && object('Unknown and read-only keys are ignored (§1.9).', input, required),
    [`${name}Update`]: has('update') && object('Partial update: only the keys present change.', input),
    [`${name}Filter`]:
      has('index') && object('Body keys, merged over query keys (§4.3).', filterProps(model)),
    [`${name}List`]: has('index') && envelope({ total: INT, count: INT, page: INT, items }),
    [`${name}Saved`]:
      has('create', 'update', 'restore') &&
      envelope({ success: { const: true }, errors: EMPTY, model: schemaRef(name) }),
  }
  return Object.fromEntries(Object.entries(all).filter(([, schema]) => schema))
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
function inputProps(model: Model): Json {
  const writable = Object.entries(model.fields).filter(([, k]) => isWritable(k))
  return Object.fromEntries(
    writable.flatMap(([f, k]) => [
      [f, fieldSchema(k, false)],
      ...k.aliases.map((a) => [a, aliasSchema(f, k)]),
    ]),
  )
}

function aliasSchema(field: string, kind: FieldKind): Json {
  return { ...kind.jsonSchema(), description: `Alias of \`${field}\`, read when it is absent.` }
}

const INT = { type: 'integer' }
const EMPTY = { type: 'array', maxItems: 0 }

function envelope(properties: Json): Json {
  return { type: 'object', properties, required: Object.keys(properties) }
}

function filterProps(model: Model): Json {
  const props: Json = {}
  for (const key of Object.keys(model.filters)) {
    const fallback = key in model.defaultFilters ? '; a default applies when absent or empty (§4.7)' : ''
    props[key] = { description: `filter (${filterHint(model, key)})${fallback}` }
  }
  for (const key of PAGING_KEYS) {
    props[key] = { type: 'integer', description: key === 'page' ? 'Page, 0-based (§4.1).' : 'Size (§4.2).' }
  }
  return props
}

/** A FilterFn is opaque, so the hint is read from the key and the field it most likely names. */
function filterHint(model: Model, key: string): string {
  if (key === 'id' || key === 'ids') return 'id or list of ids'
  const field = model.fields[key] ?? model.fields[`${key}s`]
  if (field) return field.type
  const bound = /_(from|to)$/.exec(key)
  if (bound) return `range, ${bound[1] === 'from' ? 'lower' : 'upper'} bound, inclusive`
  return key
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
      `${SUMMARY[action] ?? (extra?.read ? 'Read view.' : 'Action.')} POST; GET is accepted too with the same ` +
      `meaning. Also served at \`${alt}\`${action === 'index' ? ' and without the action segment' : ''}.`,
    parameters: parameters(model, action),
    requestBody: { required: false, content: json(requestSchema(name, action)) },
    responses: responses(name, model, action),
  }
}

const SUMMARY: Record<string, string> = {
  index: 'Lists records with filters and paging (§4).',
  create: 'Creates a record; with a visible query `id` it updates that record instead (§1.4).',
  update: 'Partial update of record `id` (§1.4).',
  delete: 'Deletes record `id`; customers, groups and teachers are archived (§6.9).',
  restore: 'Undoes an archive (§6.9).',
}

function requestSchema(name: string, action: Action): Json {
  if (action === 'index') return schemaRef(`${name}Filter`)
  if (action === 'create') return schemaRef(`${name}Create`)
  if (action === 'update') return schemaRef(`${name}Update`)
  return { type: 'object', description: 'Parameters may be sent in the body when absent from the query.' }
}

const ID_DOC = 'Record id; the body `id` is read when absent; missing in both → 400 (§1.8).'
const CREATE_ID_DOC = 'Optional: a visible record with this id is updated instead (§1.4).'
const SCOPING_DOC = 'Scoping parameter; the body key of the same name is read when absent (§1.8).'

function parameters(model: Model, action: Action): Json[] {
  const query = (name: string, required: boolean, schema: Json, description: string) => ({
    name,
    in: 'query',
    required,
    schema,
    description,
  })
  const out: Json[] = model.scope === 'global' ? [] : [{ $ref: '#/components/parameters/branch' }]
  if (action === 'create') out.push(query('id', false, INT, CREATE_ID_DOC))
  if (['update', 'delete', 'restore'].includes(action)) out.push(query('id', false, INT, ID_DOC))
  for (const p of model.scoping?.params ?? []) {
    const schema = model.fields[p.field]?.jsonSchema() ?? {}
    out.push(query(p.name, isScopingRequired(model, action, p.name), schema, SCOPING_DOC))
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

function responses(name: string, model: Model, action: Action): Json {
  const [schema, description] = success(name, model, action)
  const out: Json = {
    200: { description, content: json(schema) },
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
  const list: [Json, string] = [schemaRef(`${name}List`), 'Index envelope (§3.2).']
  if (action === 'index') return list
  if (action === 'delete') return [schemaRef('Deleted'), 'Delete envelope (§3.4).']
  if (!model.extra?.[action]) return [schemaRef(`${name}Saved`), 'Save envelope (§3.3).']
  // An extra action of a listable model (cgi/customer) answers like its index; views answer a bare array.
  if (model.actions.includes('index')) return list
  return [{ type: 'array', items: { type: 'object' } }, 'A bare array (§7.27).']
}

const STR = { type: 'string' }
const ERROR = envelope({ name: STR, message: STR, code: { const: 0 }, status: INT })

const SHARED_SCHEMAS = {
  Error: { ...ERROR, description: 'Error body (§3.6).' },
  ValidationError: {
    ...envelope({
      success: { const: false },
      errors: { type: 'object', additionalProperties: { type: 'array', items: STR } },
      model: { type: 'null' },
      ...(ERROR.properties as Json),
    }),
    description: 'Validation failure (§3.5): messages by input key.',
  },
  Deleted: envelope({ success: { const: true }, errors: EMPTY }),
  LoginBody: envelope({ email: STR, api_key: STR }),
  Token: envelope({ token: STR, expires_in: INT }),
}

/** Examples come from `toWire`, the one place that writes error bodies, so the two cannot drift. */
const ERRORS: Array<[name: string, err: AppError, description: string]> = [
  ['BadRequest', fail.json(), 'Bad body, or a parameter missing or of the wrong type (§3.7).'],
  ['Unauthorized', fail.token(), 'Token missing, unknown, expired or revoked (§2.3).'],
  ['Forbidden', fail.access(), 'No API access, branch not allowed, or role does not permit (§2.4–§2.5).'],
  ['NotFound', fail.notFound(), 'Record does not exist or is not visible in the path branch.'],
  ['Invalid', fail.field('name', 'Необходимо заполнить «Имя».'), 'Validation failure (§3.5).'],
  ['TooManyRequests', fail.rate(1), 'Rate limit exceeded (§2.7).'],
  ['LoginRefused', fail.login(), 'Wrong, missing or inactive credentials (§2.1).'],
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
      description: 'Issues a token (§2.1). POST; GET is accepted too. Credentials come from the body.',
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
