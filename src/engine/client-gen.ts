import type { FieldKind } from '../fields/kind.js'
import type { Model, Registry } from './model.js'

type Json = Record<string, unknown>

const pascal = (s: string) => s.replace(/(?:^|[/-])(\w)/g, (_m, c: string) => c.toUpperCase())
const quote = (s: string) => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : JSON.stringify(s))
const literal = (v: unknown) => JSON.stringify(v)
// biome-ignore lint/suspicious/noTemplateCurlyInString: a TypeScript template literal type, written out
const CUSTOM_KEYS = '  [custom: `custom_${string}`]: unknown'

/** A JSON schema (as the field kinds and filter docs describe values) as a TypeScript type. */
export function tsType(schema: Json | undefined): string {
  if (!schema) return 'unknown'
  const alternatives = (schema.oneOf ?? schema.anyOf) as Json[] | undefined
  if (alternatives) return [...new Set(alternatives.map(tsType))].join(' | ')
  if ('const' in schema) return literal(schema.const)
  if (Array.isArray(schema.enum)) return schema.enum.map(literal).join(' | ')
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  const out = types.map((t) => {
    switch (t) {
      case 'integer':
      case 'number':
        return 'number'
      case 'string':
        return 'string'
      case 'boolean':
        return 'boolean'
      case 'null':
        return 'null'
      case 'array': {
        const item = tsType(schema.items as Json | undefined)
        return item.includes(' ') ? `Array<${item}>` : `${item}[]`
      }
      case 'object':
        return 'Record<string, unknown>'
      default:
        return 'unknown'
    }
  })
  return [...new Set(out)].join(' | ')
}

function fieldType(kind: FieldKind): string {
  if (kind.item) return `${kind.item.name}[]`
  return tsType(kind.jsonSchema())
}

/** The interface of a record as read, or of the keys a write accepts (all optional). */
function objectType(
  name: string,
  fields: Record<string, FieldKind>,
  input: boolean,
  custom: boolean,
): string {
  const lines = Object.entries(fields)
    .filter(([, k]) => !input || !k.readOnly)
    .map(([f, k]) => {
      const item = input && k.item ? `${k.item.name}Input[]` : fieldType(k)
      const doc = k.label ? `  /** ${k.label} */\n` : ''
      return `${doc}  ${quote(f)}${input ? '?' : ''}: ${item}`
    })
  if (custom) lines.push(CUSTOM_KEYS)
  return `export interface ${name} {\n${lines.join('\n')}\n}`
}

/** A filter operand: numbers may come as strings too, as from a form. */
const orString = (t: string) => (t === 'unknown' || t.split(' | ').includes('string') ? t : `${t} | string`)

function filterType(name: string, model: Model): string {
  const lines = Object.entries(model.filters).map(([key, fn]) => {
    const doc = fn.doc?.(model)
    // A filter takes what its kind converts: numbers may come as strings too, as from a form.
    const t = tsType(doc?.schema as Json | undefined)
    return `  ${quote(key)}?: ${orString(t)}`
  })
  // Scoping parameters (a subscription's customer, a comment's record) travel with the filters.
  for (const p of model.scoping?.params ?? [])
    if (!Object.hasOwn(model.filters, p.name))
      lines.push(`  ${quote(p.name)}?: ${orString(tsType(model.fields[p.field]?.jsonSchema()))}`)
  if (model.customFields) lines.push(CUSTOM_KEYS)
  return `export interface ${name} extends Paging {\n${lines.join('\n')}\n}`
}

/** Enum fields: value → the English meaning the declaration gives (the app translates them). */
function enums(model: Model): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {}
  for (const [f, k] of Object.entries(model.fields)) {
    const s = k.jsonSchema()
    const values = (s.enum ?? (s.items as Json | undefined)?.enum) as unknown[] | undefined
    if (values) out[f] = values
  }
  return out
}

/**
 * The writable fields of a model as a form needs them: the kind (`string(50)`, `int?`, `bool`, `money`,
 * `date:dmy`, `enum{1,2,3}`, `ref(branch)`, `ref(user)[]`, `enum{1,2}[]`, `string[]` …), whether it is
 * required, nullable or written on create only, its constant default and its bounds.
 */
function fieldTable(model: Model): Record<string, Json> {
  const out: Record<string, Json> = {}
  for (const [f, k] of Object.entries(model.fields)) {
    if (k.readOnly || k.derived || k.item) continue
    const s = k.jsonSchema()
    const info: Json = { type: k.type }
    if (k.required) info.required = true
    if (k.nullable) info.nullable = true
    if (k.createOnly) info.createOnly = true
    if (k.default !== undefined && typeof k.default !== 'function') info.default = k.default
    for (const bound of ['minimum', 'maximum', 'maxLength'] as const)
      if (typeof s[bound] === 'number') info[bound] = s[bound]
    out[f] = info
  }
  return out
}

/**
 * The typed v2api client's model module: one interface per record, write input and filter set, and a
 * table of what each model allows (scope, actions, labels, enum values), all from the declarations.
 * `npm run gen:client` writes it to web/src/api/models.gen.ts; a test keeps the file in step.
 */
export function generateClient(models: Registry): string {
  const parts: string[] = [
    [
      '// Generated by `npm run gen:client` from the model declarations in src/models. Do not edit:',
      '// test/api/client-gen.test.ts fails when this file and the declarations disagree.',
    ].join('\n'),
    [
      '/**\n * Paging keys every `index` takes (§4.1, §4.2), the sort order where a model allows one, and `names`\n * [ext]: `1` to have the reply name the records its references point at.\n */',
      'export interface Paging {\n  page?: number\n  count?: number\n  sort?: string\n  names?: 0 | 1\n}',
    ].join('\n'),
  ]
  const table: string[] = []
  const fieldRows: string[] = []
  const typeMap: string[] = []
  for (const [key, model] of models) {
    const name = pascal(key)
    for (const kind of Object.values(model.fields)) {
      if (!kind.item) continue
      parts.push(objectType(kind.item.name, kind.item.fields, false, false))
      parts.push(objectType(`${kind.item.name}Input`, kind.item.fields, true, false))
    }
    parts.push(objectType(name, model.fields, false, !!model.customFields))
    parts.push(objectType(`${name}Input`, model.fields, true, !!model.customFields))
    parts.push(filterType(`${name}Filter`, model))
    typeMap.push(`  ${quote(key)}: { record: ${name}; input: ${name}Input; filter: ${name}Filter }`)
    const labels = Object.fromEntries(
      Object.entries(model.fields)
        .filter(([, k]) => k.label)
        .map(([f, k]) => [f, k.label]),
    )
    const info: Json = {
      scope: typeof model.scope === 'string' ? model.scope : 'custom',
      actions: model.actions,
      extra: Object.keys(model.extra ?? {}),
      archive: !!model.archive,
      customFields: !!model.customFields,
      writers: model.writers ?? 'staff',
      readers: model.readers ?? 'staff',
      filters: Object.keys(model.filters),
      groupable: [...model.groupable.keys()],
      labels,
      enums: enums(model),
    }
    table.push(`  ${quote(key)}: ${JSON.stringify(info)},`)
    fieldRows.push(`  ${quote(key)}: ${JSON.stringify(fieldTable(model))},`)
  }
  parts.push(`/** Every model's record, write input and filters, by its path segment. */
export interface ModelTypes {\n${typeMap.join('\n')}\n}`)
  parts.push(`export type ModelKey = keyof ModelTypes`)
  parts.push(`/** What each model allows, and its fields' Russian labels (the API's own messages quote them). */
export const MODELS = {\n${table.join('\n')}\n} as const`)
  parts.push(`/** A writable field as the declarations give it (settings forms are generated from these). */
export interface FieldInfo {
  type: string
  required?: boolean
  nullable?: boolean
  createOnly?: boolean
  default?: unknown
  minimum?: number
  maximum?: number
  maxLength?: number
}

/** Every model's writable fields in declaration order: kind, required, nullable, create-only, bounds. */
export const FIELDS: Record<ModelKey, Record<string, FieldInfo>> = {\n${fieldRows.join('\n')}\n}`)
  return `${parts.join('\n\n')}\n`
}
