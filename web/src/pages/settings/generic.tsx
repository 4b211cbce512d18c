import {
  ActionIcon,
  Alert,
  Button,
  ColorSwatch,
  Group,
  List,
  Modal,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core'
import { type FormEvent, type ReactNode, useState } from 'react'
import { ApiError, type ModelKey } from '../../api/client'
import { FIELDS, type FieldInfo, MODELS } from '../../api/models.gen'
import { errorText } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, isoDate, money } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { showSaveError, useRefresh } from '../groups/common'
import { DateField } from '../payments/DateField'

const t = m.settingsDicts

/**
 * The settings' generic editor: forms, tables and deletion driven by the model declarations (FIELDS in
 * models.gen.ts: each writable field's kind, required, nullable, create-only, default and bounds; MODELS:
 * labels and scope). A field's kind decides its input: text, number, money, switch, choice, reference
 * (a select from that model's index), lists (multiselect), strings (tags), dates.
 */

export type Kind =
  | { kind: 'text'; max: number }
  | { kind: 'int' }
  | { kind: 'number' }
  | { kind: 'money' }
  | { kind: 'bool' }
  | { kind: 'choice'; values: Array<string | number> }
  | { kind: 'choices'; values: Array<string | number> }
  | { kind: 'ref'; model: ModelKey }
  | { kind: 'refs'; model: ModelKey }
  | { kind: 'strings' }
  | { kind: 'date'; style: 'dmy' | 'iso' }
  | { kind: 'other' }

function enumList(inner: string): Array<string | number> {
  const parts = inner.split(',')
  return parts.every((p) => /^\d+$/.test(p)) ? parts.map(Number) : parts
}

/** A declared kind (`string(50)`, `ref(branch)[]`, `enum{1,2}` …) as the editor uses it. */
export function kindOf(info: FieldInfo): Kind {
  const type = info.type
  const inner = (re: RegExp) => re.exec(type)?.[1]
  const text = inner(/^string\((\d+)\)$/)
  if (text) return { kind: 'text', max: Number(text) }
  if (type === 'int' || type === 'int?') return { kind: 'int' }
  if (type === 'number' || type === 'number?') return { kind: 'number' }
  if (type === 'money') return { kind: 'money' }
  if (type === 'bool') return { kind: 'bool' }
  if (type === 'string[]') return { kind: 'strings' }
  const choice = inner(/^enum\{(.*)\}$/)
  if (choice) return { kind: 'choice', values: enumList(choice) }
  const choices = inner(/^enum\{(.*)\}\[\]$/)
  if (choices) return { kind: 'choices', values: enumList(choices) }
  const ref = inner(/^ref\((.+)\)$/)
  if (ref) return { kind: 'ref', model: ref as ModelKey }
  const refs = inner(/^ref\((.+)\)\[\]$/)
  if (refs) return { kind: 'refs', model: refs as ModelKey }
  const style = inner(/^date:(dmy|iso)$/)
  if (style) return { kind: 'date', style: style as 'dmy' | 'iso' }
  return { kind: 'other' }
}

export interface Field {
  model: ModelKey
  name: string
  label: string
  info: FieldInfo
  kind: Kind
  /** A hint under the input. */
  description?: string
  /** Shown only while this holds for the form's values (options of a list-typed custom field). */
  visible?: (values: Values) => boolean
}

export type Value = string | number | boolean | string[] | null
export type Values = Record<string, Value>

/** The fields a model's form shows, in declaration order (or `order`), without `hide`. */
export function fieldsOf(
  model: ModelKey,
  opts: {
    hide?: string[]
    order?: string[]
    describe?: Record<string, string>
    visible?: Record<string, (v: Values) => boolean>
  } = {},
): Field[] {
  const declared = FIELDS[model]
  const labels = MODELS[model].labels as Record<string, string>
  const hide = new Set(opts.hide ?? [])
  // A single-branch record belongs to the branch of the path (the switcher's): not a form field.
  if (MODELS[model].scope === 'branch') hide.add('branch_id')
  const names = [
    ...(opts.order ?? []).filter((n) => n in declared),
    ...Object.keys(declared).filter((n) => !opts.order?.includes(n)),
  ].filter((n) => !hide.has(n))
  return names.map((name) => {
    const info = declared[name]!
    return {
      model,
      name,
      label: labels[name] ?? name,
      info,
      kind: kindOf(info),
      description: opts.describe?.[name],
      visible: opts.visible?.[name],
    }
  })
}

/** The Russian meaning of an enum value (the catalogue's), or the value itself. */
export function enumLabel(model: string, field: string, value: string | number): string {
  return t.values[`${model}.${field}`]?.[String(value)] ?? String(value)
}

/** A record's value of a field as the form keeps it. */
function toForm(f: Field, raw: unknown): Value {
  const k = f.kind
  switch (k.kind) {
    case 'bool':
      return Number(raw) === 1
    case 'int':
    case 'number':
      return raw === null || raw === undefined || raw === '' ? '' : Number(raw)
    case 'money':
      return raw === null || raw === undefined || typeof raw === 'number' ? '' : String(raw)
    case 'choice':
    case 'ref':
      return raw === null || raw === undefined ? null : String(raw)
    case 'choices':
    case 'refs':
    case 'strings':
      return Array.isArray(raw) ? raw.map(String) : []
    case 'date':
      return raw ? isoDate(String(raw)) : ''
    default:
      return raw === null || raw === undefined ? '' : String(raw)
  }
}

/** A form value as the API takes it; undefined leaves the key out. */
function toWire(f: Field, v: Value): unknown {
  const k = f.kind
  const nullable = !!f.info.nullable
  switch (k.kind) {
    case 'bool':
      return v ? 1 : 0
    case 'int':
    case 'number':
      return v === '' || v === null ? (nullable ? null : undefined) : Number(v)
    case 'money':
      // As typed, a comma accepted: the API says what is wrong with it, next to the field.
      return String(v ?? '')
        .trim()
        .replace(',', '.')
    case 'choice': {
      if (v === null || v === '') return nullable ? null : undefined
      return typeof k.values[0] === 'number' ? Number(v) : v
    }
    case 'ref':
      return v === null || v === '' ? (nullable || !f.info.required ? null : undefined) : Number(v)
    case 'choices':
      return ((v as string[]) ?? []).map((x) => (typeof k.values[0] === 'number' ? Number(x) : x))
    case 'refs':
      return ((v as string[]) ?? []).map(Number)
    case 'strings':
      return v ?? []
    case 'date': {
      const iso = typeof v === 'string' ? v : ''
      if (!iso) return nullable ? null : undefined
      return k.style === 'dmy' ? date(iso) : iso
    }
    default:
      return v
  }
}

/** The first values of a new record: the declared defaults, then `preset`. */
function initialValues(fields: Field[], record: Record<string, unknown> | null, preset: Values): Values {
  const out: Values = {}
  for (const f of fields) {
    if (record) out[f.name] = toForm(f, record[f.name])
    else if (f.name in preset) out[f.name] = preset[f.name]!
    else out[f.name] = toForm(f, f.info.default)
  }
  return out
}

/**
 * A model's create and edit form, generated from its fields. A create sends every field, an update
 * only the changed ones; a 422's messages appear under their fields (the rest above the buttons).
 */
export function ModelForm(props: {
  model: ModelKey
  fields: Field[]
  record: ({ id: number } & Record<string, unknown>) | null
  /** Values of a new record (the custom field's section …). */
  preset?: Values
  /** Keys sent with a create though not shown (the custom field's section). */
  fixed?: Record<string, unknown>
  onDone: (message: string) => void
  onCancel: () => void
}) {
  const { api, branch } = useSession()
  const { model, fields, record } = props
  // A new record of a multi-branch model starts in the current branch (the API's own default, shown).
  const [initial] = useState(() =>
    initialValues(fields, record, {
      ...(MODELS[model].scope === 'branches' ? { branch_ids: [String(branch)] } : {}),
      ...props.preset,
    }),
  )
  const [values, setValues] = useState<Values>(initial)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const shown = fields.filter((f) => !f.visible || f.visible(values))

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    const body: Record<string, unknown> = record ? {} : { ...props.fixed }
    for (const f of shown) {
      if (record && f.info.createOnly) continue
      const wire = toWire(f, values[f.name] ?? null)
      if (wire === undefined) continue
      if (record && JSON.stringify(wire) === JSON.stringify(toWire(f, initial[f.name] ?? null))) continue
      body[f.name] = wire
    }
    try {
      if (record) {
        if (Object.keys(body).length > 0) await api.update(model, record.id, body as never)
        props.onDone(t.saved)
      } else {
        await api.create(model, body as never)
        props.onDone(t.created)
      }
    } catch (err) {
      showSaveError(err, setErrors)
    } finally {
      setBusy(false)
    }
  }

  const known = new Set(shown.map((f) => f.name))
  const other = Object.entries(errors).filter(([k]) => !known.has(k))
  const wide = (f: Field) => f.kind.kind === 'strings' || (f.kind.kind === 'text' && f.kind.max > 255)
  return (
    <form onSubmit={submit} noValidate data-testid="model-form" data-model={model}>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: shown.length > 4 ? 2 : 1 }}>
          {shown.map((f) => (
            <div key={f.name} style={wide(f) ? { gridColumn: '1 / -1' } : undefined}>
              <FieldInput
                field={f}
                value={values[f.name] ?? null}
                onChange={(v) => {
                  setValues((s) => ({ ...s, [f.name]: v }))
                  // The API's message stays until the value it was about changes.
                  setErrors(({ [f.name]: _, ...rest }) => rest)
                }}
                error={errors[f.name]}
                disabled={!!record && !!f.info.createOnly}
              />
            </div>
          ))}
        </SimpleGrid>
        {other.length > 0 && (
          <Alert color="red" title={t.otherErrors} data-testid="model-form-errors">
            {other.map(([k, v]) => (
              <Text key={k} size="sm">
                {v}
              </Text>
            ))}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={busy} data-testid="model-form-save">
            {record ? m.app.save : m.app.create}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

/** One field's input by its kind. */
export function FieldInput(props: {
  field: Field
  value: Value
  onChange: (v: Value) => void
  error?: string
  disabled?: boolean
}) {
  const { field: f, value, onChange, error, disabled } = props
  const description = disabled ? t.createOnly : f.description
  const common = {
    label: f.label,
    error,
    disabled,
    description,
    withAsterisk: !!f.info.required,
    'data-testid': `field-${f.name}`,
  }
  const k = f.kind
  switch (k.kind) {
    case 'bool':
      return (
        <Switch
          label={f.label}
          checked={value === true}
          onChange={(e) => onChange(e.currentTarget.checked)}
          error={error}
          disabled={disabled}
          description={description}
          mt={{ sm: 'lg' }}
          data-testid={`field-${f.name}`}
        />
      )
    case 'int':
    case 'number':
      return (
        <NumberInput
          {...common}
          value={typeof value === 'number' ? value : ''}
          onChange={(v) => onChange(v === '' ? '' : Number(v))}
          allowDecimal={k.kind === 'number'}
          decimalSeparator=","
          min={f.info.minimum}
          max={f.info.maximum}
        />
      )
    case 'money':
      return (
        <TextInput
          {...common}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.currentTarget.value)}
          inputMode="decimal"
          rightSection={<Text size="sm">₽</Text>}
        />
      )
    case 'choice':
      return (
        <Select
          {...common}
          data={k.values.map((v) => ({ value: String(v), label: enumLabel(f.model, f.name, v) }))}
          value={typeof value === 'string' ? value : null}
          onChange={(v) => onChange(v)}
          allowDeselect={!f.info.required}
          clearable={!f.info.required && !!f.info.nullable}
        />
      )
    case 'choices':
      return (
        <MultiSelect
          {...common}
          data={k.values.map((v) => ({ value: String(v), label: enumLabel(f.model, f.name, v) }))}
          value={Array.isArray(value) ? value : []}
          onChange={(v) => onChange(v)}
          placeholder={Array.isArray(value) && value.length > 0 ? undefined : t.anyValue}
          clearable
        />
      )
    case 'ref':
      return <RefInput {...props} target={k.model} multiple={false} />
    case 'refs':
      return <RefInput {...props} target={k.model} multiple />
    case 'strings':
      return (
        <TagsInput
          {...common}
          value={Array.isArray(value) ? value : []}
          onChange={(v) => onChange(v)}
          clearable
        />
      )
    case 'date':
      return (
        <DateField
          label={f.label}
          value={typeof value === 'string' ? value : ''}
          onChange={(v) => onChange(v)}
          error={error}
          required={!!f.info.required}
          clearable={!f.info.required}
          testid={`field-${f.name}`}
        />
      )
    case 'text':
      return k.max > 255 ? (
        <Textarea
          {...common}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.currentTarget.value)}
          maxLength={k.max}
          autosize
          minRows={2}
        />
      ) : (
        <TextInput
          {...common}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.currentTarget.value)}
          maxLength={k.max}
        />
      )
    default:
      return (
        <TextInput
          {...common}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      )
  }
}

/** Options of a reference: the target model's records by name, with any chosen one that is missing. */
function RefInput(props: {
  field: Field
  value: Value
  onChange: (v: Value) => void
  error?: string
  disabled?: boolean
  target: ModelKey
  multiple: boolean
}) {
  const { field: f, value, onChange } = props
  const dict = useDictionary(props.target)
  const chosen = Array.isArray(value) ? value : typeof value === 'string' ? [value] : []
  const data = [
    ...dict.options,
    ...chosen
      .filter((v) => !dict.options.some((o) => o.value === v))
      .map((v) => ({ value: v, label: `#${v}` })),
  ]
  const common = {
    label: f.label,
    error: props.error,
    disabled: props.disabled,
    description: props.disabled ? t.createOnly : f.description,
    withAsterisk: !!f.info.required,
    searchable: true,
    data,
    'data-testid': `field-${f.name}`,
  }
  return props.multiple ? (
    <MultiSelect
      {...common}
      value={chosen}
      onChange={(v) => onChange(v)}
      placeholder={chosen.length > 0 ? undefined : t.anyValue}
      clearable
    />
  ) : (
    <Select
      {...common}
      value={chosen[0] ?? null}
      onChange={(v) => onChange(v)}
      clearable={!f.info.required}
    />
  )
}

/** The names of referenced records, comma-separated. */
function RefNames(props: { model: ModelKey; ids: number[] }) {
  const dict = useDictionary(props.model)
  const named = dict.byId as Map<number, { name?: string }>
  // An empty list of subjects, lesson types … means "any".
  if (props.ids.length === 0) return <>{t.anyValue}</>
  return <>{props.ids.map((id) => named.get(id)?.name ?? `#${id}`).join(', ')}</>
}

/** A record's value in a table cell, by the field's kind. */
export function ValueCell(props: { field: Field; value: unknown }) {
  const { field: f, value } = props
  const k = f.kind
  if (value === null || value === undefined || value === '') return <>{t.noValue}</>
  switch (k.kind) {
    case 'bool':
      return <>{Number(value) === 1 ? t.yes : t.no}</>
    case 'money':
      return <>{money(value as string)}</>
    case 'choice':
      return <>{enumLabel(f.model, f.name, value as string | number)}</>
    case 'choices': {
      const list = value as Array<string | number>
      return <>{list.length === 0 ? t.noValue : list.map((v) => enumLabel(f.model, f.name, v)).join(', ')}</>
    }
    case 'ref':
      return <RefNames model={k.model} ids={[Number(value)]} />
    case 'refs':
      return <RefNames model={k.model} ids={value as number[]} />
    case 'strings': {
      const list = value as string[]
      return <>{list.length === 0 ? t.noValue : list.join(', ')}</>
    }
    case 'date':
      return <>{date(String(value))}</>
    default:
      if (f.name === 'color' && typeof value === 'string' && /^#[0-9a-f]{3,8}$/i.test(value))
        return (
          <Group gap={6} wrap="nowrap">
            <ColorSwatch color={value} size={14} aria-hidden="true" />
            {value}
          </Group>
        )
      return <>{String(value)}</>
  }
}

export interface Column {
  key: string
  label: string
  cell: (r: Row) => ReactNode
  align?: 'right'
}

export type Row = { id: number } & Record<string, unknown>

/** Columns for fields shown as the editor shows their values. */
export function fieldColumns(fields: Field[]): Column[] {
  return fields.map((f) => ({
    key: f.name,
    label: f.label,
    cell: (r: Row) => <ValueCell field={f} value={r[f.name]} />,
    align: ['int', 'number', 'money'].includes(f.kind.kind) ? ('right' as const) : undefined,
  }))
}

/** The records as a table: the name first, the other columns, then edit and delete buttons. */
export function RecordsTable(props: {
  rows: Row[]
  columns: Column[]
  nameOf: (r: Row) => string
  /** Rows shown dimmed (disabled, archived). */
  inactive?: (r: Row) => boolean
  onEdit?: (r: Row) => void
  onDelete?: (r: Row) => void
  minWidth?: number
  testid?: string
}) {
  const writable = !!(props.onEdit || props.onDelete)
  return (
    <Table.ScrollContainer minWidth={props.minWidth ?? 560}>
      <Table
        striped
        highlightOnHover
        verticalSpacing={6}
        fz="sm"
        data-testid={props.testid ?? 'records-table'}
      >
        <Table.Thead>
          <Table.Tr>
            {props.columns.map((c) => (
              <Table.Th key={c.key} style={c.align ? { textAlign: c.align } : undefined}>
                {c.label}
              </Table.Th>
            ))}
            {writable && <Table.Th w={110}>{t.actions}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.rows.map((r) => {
            const name = props.nameOf(r)
            return (
              <Table.Tr
                key={r.id}
                data-testid="record-row"
                data-id={r.id}
                c={props.inactive?.(r) ? 'dimmed' : undefined}
              >
                {props.columns.map((c, i) => (
                  <Table.Td
                    key={c.key}
                    fw={i === 0 ? 500 : undefined}
                    style={c.align ? { textAlign: c.align, whiteSpace: 'nowrap' } : undefined}
                    data-testid={`cell-${c.key}`}
                  >
                    {c.cell(r)}
                  </Table.Td>
                ))}
                {writable && (
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      {props.onEdit && (
                        <Button
                          size="compact-xs"
                          variant="light"
                          aria-label={t.editOf(name)}
                          onClick={() => props.onEdit?.(r)}
                          data-testid="record-edit"
                        >
                          {m.app.edit}
                        </Button>
                      )}
                      {props.onDelete && (
                        <ActionIcon
                          size="sm"
                          variant="subtle"
                          color="red"
                          aria-label={t.deleteOf(name)}
                          onClick={() => props.onDelete?.(r)}
                          data-testid="record-delete"
                        >
                          <span aria-hidden="true">✕</span>
                        </ActionIcon>
                      )}
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            )
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  )
}

/** The flag that takes a record out of use instead of deleting it, if the model has one. */
export function offSwitch(model: ModelKey): { field: string; off: 0 | 1 } | null {
  const fields = FIELDS[model]
  if ('is_enabled' in fields) return { field: 'is_enabled', off: 0 }
  if ('is_active' in fields) return { field: 'is_active', off: 0 }
  if ('is_archive' in fields) return { field: 'is_archive', off: 1 }
  return null
}

/**
 * Deleting a record, confirmed first. The API refuses to delete a record in use (§6.9): its messages are
 * shown as they come, and where the model has an "enabled" or "archive" flag the record can be switched
 * off instead.
 */
export function DeleteDialog(props: {
  model: ModelKey
  record: Row | null
  name: string
  confirm?: string
  onClose: () => void
}) {
  const { api } = useSession()
  const refresh = useRefresh()
  const [busy, setBusy] = useState(false)
  const [refusal, setRefusal] = useState<string[] | null>(null)
  const off = offSwitch(props.model)
  const r = props.record
  const alreadyOff = !!(r && off && Number(r[off.field]) === off.off)

  function close() {
    setRefusal(null)
    props.onClose()
  }
  async function run(action: () => Promise<unknown>, message: string) {
    setBusy(true)
    try {
      await action()
      refresh([props.model], message)
      close()
    } catch (err) {
      const list = err instanceof ApiError ? Object.values(err.fields).flat() : []
      setRefusal(list.length > 0 ? list : [errorText(err)])
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal
      opened={r !== null}
      closeButtonProps={{ 'aria-label': m.app.close }}
      onClose={close}
      title={t.deleteTitle}
      size="md"
    >
      {r && (
        <Stack data-testid="delete-dialog">
          <Text size="sm">{props.confirm ?? t.deleteConfirm(props.name)}</Text>
          {refusal && (
            <Alert color="red" title={t.deleteRefused} data-testid="delete-refusal">
              <List size="sm" spacing={2}>
                {refusal.map((x) => (
                  <List.Item key={x}>{x}</List.Item>
                ))}
              </List>
              {off && !alreadyOff && (
                <Text size="sm" mt="xs">
                  {t.deleteHint}
                </Text>
              )}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {m.app.cancel}
            </Button>
            {refusal && off && !alreadyOff && (
              <Button
                variant="light"
                loading={busy}
                onClick={() =>
                  void run(
                    () => api.update(props.model, r.id, { [off.field]: off.off } as never),
                    off.field === 'is_archive' ? t.archived : t.disabled,
                  )
                }
                data-testid="delete-switch-off"
              >
                {off.field === 'is_archive' ? t.toArchive : t.disable}
              </Button>
            )}
            <Button
              color="red"
              loading={busy}
              disabled={!!refusal}
              onClick={() => void run(() => api.remove(props.model, r.id), t.deleted)}
              data-testid="delete-confirm"
            >
              {m.app.delete}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  )
}
