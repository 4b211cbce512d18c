import {
  ActionIcon,
  Button,
  Checkbox,
  Group,
  Input,
  MultiSelect,
  Select,
  SimpleGrid,
  Stack,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { type FormEvent, useMemo, useState } from 'react'
import type { Customer, CustomerInput, CustomField } from '../../api/models.gen'
import { errorText, fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { isoDate } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { DateField, Dates, fieldLabel, toDmy, useCustomerFields } from './CardCommon'

const t = m.card

type Id = string | null
const REFS = [
  'study_status_id',
  'lead_status_id',
  'lead_source_id',
  'lead_reject_id',
  'customer_reject_id',
  'assigned_id',
] as const
const LISTS = ['phone', 'email', 'web', 'addr'] as const
type ListKey = (typeof LISTS)[number]

interface State {
  name: string
  is_study: string
  legal_type: string
  legal_name: string
  dob: string
  gender: string
  refs: Record<(typeof REFS)[number], Id>
  branch_ids: string[]
  teacher_ids: string[]
  lists: Record<ListKey, string[]>
  note: string
  color: string
  /** Custom values as the inputs hold them: text, `yyyy-mm-dd`, boolean or a list. */
  custom: Record<string, string | boolean | string[]>
}

const idText = (v: number | null | undefined): Id => (v === null || v === undefined ? null : String(v))

function initialState(c: Customer | null, isStudy: 0 | 1, branch: number, fields: CustomField[]): State {
  const custom: State['custom'] = {}
  for (const f of fields) {
    const v = c ? c[`custom_${f.code}`] : null
    if (f.type === 'bool') custom[f.code] = Number(v) === 1
    else if (f.type === 'multiselect') custom[f.code] = Array.isArray(v) ? v.map(String) : []
    else if (f.type === 'date') custom[f.code] = v ? isoDate(String(v)) : ''
    else custom[f.code] = v === null || v === undefined ? '' : String(v)
  }
  return {
    name: c?.name ?? '',
    is_study: String(c?.is_study ?? isStudy),
    legal_type: String(c?.legal_type ?? 1),
    legal_name: c?.legal_name ?? '',
    dob: c?.dob ? isoDate(c.dob) : '',
    gender: String(c?.gender ?? 0),
    refs: Object.fromEntries(REFS.map((k) => [k, idText(c?.[k])])) as State['refs'],
    branch_ids: (c?.branch_ids ?? [branch]).map(String),
    teacher_ids: (c?.teacher_ids ?? []).map(String),
    lists: Object.fromEntries(
      LISTS.map((k) => [k, (c?.[k] ?? []).length > 0 ? [...(c?.[k] ?? [])] : ['']]),
    ) as State['lists'],
    note: c?.note ?? '',
    color: c?.color ?? '',
    custom,
  }
}

/** What the API takes (§7.3): ids as numbers, dob `dd.mm.yyyy`, lists without empty rows. */
function payload(s: State, fields: CustomField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: s.name,
    is_study: Number(s.is_study),
    legal_type: Number(s.legal_type),
    legal_name: s.legal_name,
    dob: toDmy(s.dob),
    gender: Number(s.gender),
    branch_ids: s.branch_ids.map(Number),
    teacher_ids: s.teacher_ids.map(Number),
    note: s.note,
    color: s.color,
  }
  for (const k of REFS) out[k] = s.refs[k] === null ? null : Number(s.refs[k])
  for (const k of LISTS) out[k] = s.lists[k].filter((v) => v.trim() !== '')
  for (const f of fields) {
    const v = s.custom[f.code]
    const key = `custom_${f.code}`
    if (f.type === 'bool') out[key] = v ? 1 : 0
    else if (f.type === 'multiselect') out[key] = v
    else if (f.type === 'date') out[key] = toDmy(String(v ?? ''))
    else if (v === '' || v === undefined) out[key] = null
    // Numbers go as typed: the API says what is wrong with them, next to the field.
    else out[key] = v
  }
  return out
}

/** Only the keys whose value differs from the record's (an update is partial, §1.4). */
function changes(next: Record<string, unknown>, before: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(next).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k])),
  )
}

/**
 * The customer's create and edit form: every writable field (labels are the API's), several phones and
 * e-mails, dictionaries, date of birth, custom fields by type. A 422's messages appear under their fields.
 */
export default function CustomerForm(props: {
  customer: Customer | null
  isStudy?: 0 | 1
  onSaved: (c: Customer) => void
  onCancel?: () => void
}) {
  const { api, branch, user, canRead } = useSession()
  const fields = useCustomerFields()
  const initial = useMemo(
    () => initialState(props.customer, props.isStudy ?? 1, branch, fields),
    [props.customer, props.isStudy, branch, fields],
  )
  const [state, setState] = useState<State>(initial)
  // Custom field definitions may arrive after the first render: take their initial values then.
  const [fieldsSeen, setFieldsSeen] = useState(fields.length)
  if (fields.length !== fieldsSeen) {
    setFieldsSeen(fields.length)
    setState((s) => ({ ...s, custom: { ...initial.custom, ...s.custom } }))
  }
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)

  const set = <K extends keyof State>(key: K, value: State[K]) => setState((s) => ({ ...s, [key]: value }))
  const setRef = (key: (typeof REFS)[number], value: Id) =>
    setState((s) => ({ ...s, refs: { ...s.refs, [key]: value } }))
  const setList = (key: ListKey, value: string[]) =>
    setState((s) => ({ ...s, lists: { ...s.lists, [key]: value } }))
  const setCustom = (code: string, value: string | boolean | string[]) =>
    setState((s) => ({ ...s, custom: { ...s.custom, [code]: value } }))

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    try {
      const next = payload(state, fields)
      let saved: Customer
      if (props.customer) {
        const diff = changes(next, payload(initial, fields))
        saved =
          Object.keys(diff).length > 0
            ? await api.update('customer', props.customer.id, diff as CustomerInput)
            : props.customer
      } else {
        saved = await api.create('customer', next as CustomerInput)
      }
      props.onSaved(saved)
    } catch (err) {
      const f = fieldErrors(err)
      if (Object.keys(f).length > 0) {
        setErrors(f)
        notifications.show({ color: 'red', message: m.errors.checkFields })
      } else notifications.show({ color: 'red', message: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  const label = (key: string) => fieldLabel(key, fields)
  const dictionary = useDictionaryOptions()
  const branches = useDictionary('branch')
  const branchOptions = branches.options.filter(
    (o) =>
      user.role === 'admin' ||
      user.branch_ids.includes(Number(o.value)) ||
      state.branch_ids.includes(o.value),
  )
  const teachers = useDictionary('teacher', { removed: 1 })
  const teacherOptions = withCurrent(
    teachers.items.filter((x) => x.removed === 0).map((x) => ({ value: String(x.id), label: x.name })),
    state.teacher_ids,
  )
  const users = useDictionary('user', { is_active: 1 }, canRead('user'))
  const userOptions = withCurrent(
    canRead('user') ? users.options : [{ value: String(user.id), label: user.name }],
    state.refs.assigned_id ? [state.refs.assigned_id] : [],
  )

  const refSelect = (key: (typeof REFS)[number], options: Array<{ value: string; label: string }>) => (
    <Select
      label={label(key)}
      data={withCurrent(options, state.refs[key] ? [state.refs[key]!] : [])}
      value={state.refs[key]}
      onChange={(v) => setRef(key, v)}
      error={errors[key]}
      clearable
      searchable
      data-testid={`field-${key}`}
    />
  )

  return (
    <Dates>
      <form onSubmit={submit} noValidate data-testid="customer-form">
        <Stack gap="lg">
          <section>
            <Title order={3} size="h5" mb="xs">
              {t.sections.main}
            </Title>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                label={label('name')}
                value={state.name}
                onChange={(e) => set('name', e.currentTarget.value)}
                error={errors.name}
                required
                data-testid="field-name"
              />
              <Select
                label={label('is_study')}
                data={[
                  { value: '1', label: t.kind[1]! },
                  { value: '0', label: t.kind[0]! },
                ]}
                value={state.is_study}
                onChange={(v) => v && set('is_study', v)}
                error={errors.is_study}
                allowDeselect={false}
                data-testid="field-is_study"
              />
              <Select
                label={label('legal_type')}
                data={[1, 2].map((v) => ({ value: String(v), label: t.legalType[v]! }))}
                value={state.legal_type}
                onChange={(v) => v && set('legal_type', v)}
                error={errors.legal_type}
                allowDeselect={false}
              />
              <TextInput
                label={label('legal_name')}
                value={state.legal_name}
                onChange={(e) => set('legal_name', e.currentTarget.value)}
                error={errors.legal_name}
                data-testid="field-legal_name"
              />
              <DateField
                label={label('dob')}
                value={state.dob}
                onChange={(v) => set('dob', v)}
                error={errors.dob}
                maxDate={new Date()}
                data-testid="field-dob"
              />
              <Select
                label={label('gender')}
                data={[0, 1, 2].map((v) => ({ value: String(v), label: t.gender[v]! }))}
                value={state.gender}
                onChange={(v) => v && set('gender', v)}
                error={errors.gender}
                allowDeselect={false}
              />
              <MultiSelect
                label={label('branch_ids')}
                data={withCurrent(branchOptions, state.branch_ids)}
                value={state.branch_ids}
                onChange={(v) => set('branch_ids', v)}
                error={errors.branch_ids}
                data-testid="field-branch_ids"
              />
              <MultiSelect
                label={label('teacher_ids')}
                data={teacherOptions}
                value={state.teacher_ids}
                onChange={(v) => set('teacher_ids', v)}
                error={errors.teacher_ids}
                searchable
              />
            </SimpleGrid>
          </section>

          <section>
            <Title order={3} size="h5" mb="xs">
              {t.sections.contacts}
            </Title>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {LISTS.map((k) => (
                <ListInput
                  key={k}
                  name={k}
                  label={label(k)}
                  values={state.lists[k]}
                  onChange={(v) => setList(k, v)}
                  error={errors[k]}
                  type={k === 'email' ? 'email' : k === 'phone' ? 'tel' : 'text'}
                />
              ))}
            </SimpleGrid>
          </section>

          <section>
            <Title order={3} size="h5" mb="xs">
              {t.sections.funnel}
            </Title>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {refSelect('study_status_id', dictionary.studyStatus)}
              {refSelect('customer_reject_id', dictionary.customerReject)}
              {refSelect('lead_status_id', dictionary.leadStatus)}
              {refSelect('lead_reject_id', dictionary.leadReject)}
              {refSelect('lead_source_id', dictionary.leadSource)}
              {refSelect('assigned_id', userOptions)}
              <TextInput
                label={label('color')}
                value={state.color}
                onChange={(e) => set('color', e.currentTarget.value)}
                error={errors.color}
              />
            </SimpleGrid>
            <Textarea
              mt="sm"
              label={label('note')}
              value={state.note}
              onChange={(e) => set('note', e.currentTarget.value)}
              error={errors.note}
              autosize
              minRows={2}
              maxRows={8}
              data-testid="field-note"
            />
          </section>

          {fields.length > 0 && (
            <section>
              <Title order={3} size="h5" mb="xs">
                {t.sections.custom}
              </Title>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                {fields.map((f) => (
                  <CustomInput
                    key={f.id}
                    field={f}
                    value={state.custom[f.code]}
                    onChange={(v) => setCustom(f.code, v)}
                    error={errors[`custom_${f.code}`]}
                  />
                ))}
              </SimpleGrid>
            </section>
          )}

          <Group justify="flex-end">
            {props.onCancel && (
              <Button variant="default" onClick={props.onCancel}>
                {m.app.cancel}
              </Button>
            )}
            <Button type="submit" loading={busy} data-testid="customer-form-save">
              {props.customer ? m.app.save : m.app.create}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dates>
  )
}

/** Options that always include the values already chosen (a disabled status, an archived teacher …). */
function withCurrent(options: Array<{ value: string; label: string }>, current: string[]) {
  const missing = current.filter((v) => !options.some((o) => o.value === v))
  return [...options, ...missing.map((v) => ({ value: v, label: t.recordId(Number(v)) }))]
}

function useDictionaryOptions() {
  const enabled = <T extends { id: number; name: string; is_enabled: 0 | 1 }>(items: T[]) =>
    items.filter((x) => x.is_enabled === 1).map((x) => ({ value: String(x.id), label: x.name }))
  return {
    studyStatus: enabled(useDictionary('study-status').items),
    leadStatus: enabled(useDictionary('lead-status').items),
    leadSource: enabled(useDictionary('lead-source').items),
    leadReject: enabled(useDictionary('lead-reject').items),
    customerReject: enabled(useDictionary('customer-reject').items),
  }
}

/** Several values of one contact field, a row each, with add and remove buttons. */
function ListInput(props: {
  name: string
  label: string
  values: string[]
  onChange: (v: string[]) => void
  error?: string
  type: string
}) {
  const { values, onChange } = props
  return (
    <Input.Wrapper label={props.label} error={props.error} data-testid={`field-${props.name}`}>
      <Stack gap={6} mt={4}>
        {values.map((v, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions; their text is what changes
          <Group key={i} gap={6} wrap="nowrap">
            <TextInput
              flex={1}
              type={props.type}
              aria-label={t.rowLabel(props.label, i + 1)}
              value={v}
              error={!!props.error}
              onChange={(e) => onChange(values.map((x, j) => (j === i ? e.currentTarget.value : x)))}
              data-testid={`field-${props.name}-${i}`}
            />
            {values.length > 1 && (
              <ActionIcon
                variant="subtle"
                color="gray"
                size="lg"
                aria-label={t.removeRow(props.label, i + 1)}
                onClick={() => onChange(values.filter((_, j) => j !== i))}
              >
                ×
              </ActionIcon>
            )}
          </Group>
        ))}
        <Button
          variant="subtle"
          size="compact-sm"
          w="fit-content"
          onClick={() => onChange([...values, ''])}
          data-testid={`field-${props.name}-add`}
        >
          + {t.addRow(props.label)}
        </Button>
      </Stack>
    </Input.Wrapper>
  )
}

/** A custom field's input by its type (§5.10). */
function CustomInput(props: {
  field: CustomField
  value: string | boolean | string[] | undefined
  onChange: (v: string | boolean | string[]) => void
  error?: string
}) {
  const { field: f, value, onChange, error } = props
  const common = { label: f.label, error, 'data-testid': `field-custom_${f.code}` }
  const text = typeof value === 'string' ? value : ''
  switch (f.type) {
    case 'text':
      return (
        <Textarea
          {...common}
          value={text}
          onChange={(e) => onChange(e.currentTarget.value)}
          autosize
          minRows={2}
        />
      )
    case 'int':
    case 'number':
      return (
        <TextInput
          {...common}
          inputMode={f.type === 'int' ? 'numeric' : 'decimal'}
          value={text}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      )
    case 'date':
      return <DateField {...common} value={text} onChange={onChange} />
    case 'bool':
      return (
        <Checkbox
          {...common}
          mt="lg"
          checked={value === true}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
      )
    case 'select':
      return (
        <Select
          {...common}
          data={withCurrent(
            f.options.map((o) => ({ value: o, label: o })),
            text ? [text] : [],
          ).map((o) => ({ value: o.value, label: o.value }))}
          value={text || null}
          onChange={(v) => onChange(v ?? '')}
          clearable
        />
      )
    case 'multiselect': {
      const list = Array.isArray(value) ? value : []
      return (
        <MultiSelect
          {...common}
          data={[...new Set([...f.options, ...list])]}
          value={list}
          onChange={onChange}
          clearable
        />
      )
    }
    default:
      return <TextInput {...common} value={text} onChange={(e) => onChange(e.currentTarget.value)} />
  }
}
