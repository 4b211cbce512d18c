import '@mantine/dates/styles.css'
import 'dayjs/locale/ru'
import { Button, Group, Table, Text } from '@mantine/core'
import { DateInput, type DateInputProps, DatesProvider } from '@mantine/dates'
import { notifications } from '@mantine/notifications'
import { type QueryKey, useQueryClient } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import type { Customer, CustomField } from '../../api/models.gen'
import { MODELS } from '../../api/models.gen'
import { errorText } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, isoDate, money, phone } from '../../lib/format'
import { useDictionary } from '../../lib/queries'

const t = m.card

/** The filter that finds a customer whatever it is: student or lead, active or archived. */
export const ANY_CUSTOMER = { is_study: 2, removed: 1 } as const

/** Records per page in the card's tabs (the API's largest page). */
export const PAGE = 50

/** Calendar in Russian, weeks from Monday, for every date input of the card and its forms. */
export function Dates(props: { children: ReactNode }) {
  return <DatesProvider settings={{ locale: 'ru', firstDayOfWeek: 1 }}>{props.children}</DatesProvider>
}

const DMY = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/

/** A date typed as `dd.mm.yyyy` (or picked) → `yyyy-mm-dd`, the value Mantine keeps. */
function parseDmy(input: string): string | null {
  const s = input.trim()
  const d = DMY.exec(s)
  if (d) return `${d[3]}-${d[2]!.padStart(2, '0')}-${d[1]!.padStart(2, '0')}`
  return /^\d{4}-\d{2}-\d{2}$/.test(s) ? s : null
}

/** A date input showing `dd.mm.yyyy`; value and onChange speak `yyyy-mm-dd` ('' when empty). */
export function DateField(
  props: Omit<DateInputProps, 'value' | 'onChange'> & { value: string; onChange: (v: string) => void },
) {
  const { value, onChange, ...rest } = props
  return (
    <DateInput
      valueFormat="DD.MM.YYYY"
      dateParser={parseDmy}
      placeholder="дд.мм.гггг"
      clearable
      {...rest}
      value={value || null}
      onChange={(v) => onChange(v ?? '')}
    />
  )
}

/** `yyyy-mm-dd` → `dd.mm.yyyy` for the API's date fields (§5.4); null when empty. */
export function toDmy(iso: string): string | null {
  return iso ? date(iso) : null
}

export { isoDate }

/** After a write: refetch everything of these models in the current branch, and say so. */
export function useRefresh() {
  const qc = useQueryClient()
  const { branch } = useSession()
  return (models: string[], message?: string) => {
    for (const model of models) void qc.invalidateQueries({ queryKey: [branch, model] as QueryKey })
    if (message) notifications.show({ color: 'green', message })
  }
}

export function notifyError(err: unknown) {
  notifications.show({ color: 'red', message: errorText(err) })
}

/** Names of users: the whole list for admins, only oneself for others (`user` is admin-only). */
export function useUserName(needed = true): (id: number | null | undefined) => string {
  const { user, canRead } = useSession()
  const users = useDictionary('user', {}, needed && canRead('user'))
  return (id) => {
    if (id === null || id === undefined) return t.noValue
    if (id === user.id) return user.name
    return users.byId.get(id)?.name ?? t.userId(id)
  }
}

/** The customer's custom fields (definitions in their output order). */
export function useCustomerFields(): CustomField[] {
  const fields = useDictionary('custom-field', { model: 'customer' })
  return fields.items
}

const LABELS = MODELS.customer.labels as Record<string, string>

/** The API's label of a customer field, or of a custom field. */
export function fieldLabel(key: string, custom: CustomField[]): string {
  if (key.startsWith('custom_')) {
    const f = custom.find((c) => `custom_${c.code}` === key)
    if (f) return f.label
  }
  return LABELS[key] ?? key
}

const filled = (v: unknown) =>
  v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)

/**
 * How the card shows a customer field's value: names for references, words for codes. Only the
 * dictionaries that `shown` (the records whose values will be shown) refer to are loaded, so a card
 * costs one call per dictionary it needs, not one per dictionary there is.
 */
export function useFieldText(
  shown: Array<Record<string, unknown>>,
): (key: string, value: unknown, custom: CustomField[]) => string {
  const { user } = useSession()
  const needs = (key: string) => shown.some((r) => filled(r[key]))
  const studyStatus = useDictionary('study-status', {}, needs('study_status_id'))
  const leadStatus = useDictionary('lead-status', {}, needs('lead_status_id'))
  const leadSource = useDictionary('lead-source', {}, needs('lead_source_id'))
  const leadReject = useDictionary('lead-reject', {}, needs('lead_reject_id'))
  const customerReject = useDictionary('customer-reject', {}, needs('customer_reject_id'))
  const branches = useDictionary('branch')
  const teachers = useDictionary('teacher', { removed: 1 }, needs('teacher_ids'))
  const userName = useUserName(shown.some((r) => filled(r.assigned_id) && Number(r.assigned_id) !== user.id))
  const dictionaries: Record<string, { byId: Map<number, { name: string }>; isLoading: boolean }> = {
    study_status_id: studyStatus,
    lead_status_id: leadStatus,
    lead_source_id: leadSource,
    lead_reject_id: leadReject,
    customer_reject_id: customerReject,
  }
  const text = (key: string, value: unknown, custom: CustomField[]): string => {
    if (value === null || value === undefined || value === '') return t.noValue
    if (Array.isArray(value)) {
      if (value.length === 0) return t.noValue
      if (key === 'branch_ids')
        return value.map((v) => branches.byId.get(Number(v))?.name ?? t.recordId(Number(v))).join(', ')
      if (key === 'teacher_ids')
        return value.map((v) => teachers.byId.get(Number(v))?.name ?? t.recordId(Number(v))).join(', ')
      if (key === 'phone') return value.map((v) => phone(String(v))).join(', ')
      return value.map(String).join(', ')
    }
    const dict = dictionaries[key]
    if (dict) return dict.byId.get(Number(value))?.name ?? (dict.isLoading ? '…' : t.recordId(Number(value)))
    switch (key) {
      case 'assigned_id':
        return userName(Number(value))
      case 'gender':
        return t.gender[Number(value)] ?? String(value)
      case 'legal_type':
        return t.legalType[Number(value)] ?? String(value)
      case 'is_study':
        return t.kind[Number(value)] ?? String(value)
      case 'removed':
        return Number(value) === 1 ? m.app.yes : m.app.no
      case 'dob':
      case 'e_date':
        return date(String(value))
      case 'balance':
        return money(String(value))
    }
    if (key.startsWith('custom_')) {
      const f = custom.find((c) => `custom_${c.code}` === key)
      if (f?.type === 'bool') return Number(value) === 1 ? m.app.yes : m.app.no
      if (f?.type === 'date') return date(String(value))
    }
    return String(value)
  }
  return text
}

export type { Customer }

/** "1–50 of 120" and the two page buttons under a tab's table. */
export function Pager(props: { page: number; total: number; onPage: (p: number) => void }) {
  const { page, total, onPage } = props
  if (total <= PAGE) return null
  const from = page * PAGE + 1
  const to = Math.min(total, (page + 1) * PAGE)
  return (
    <Group justify="flex-end" gap="xs" mt="xs">
      <Text size="sm" c="dimmed">
        {t.pager(from, to, total)}
      </Text>
      <Button size="xs" variant="default" disabled={page === 0} onClick={() => onPage(page - 1)}>
        {t.prev}
      </Button>
      <Button size="xs" variant="default" disabled={to >= total} onClick={() => onPage(page + 1)}>
        {t.next}
      </Button>
    </Group>
  )
}

/** A tab's table: headers, rows, horizontal scroll on narrow screens, and the empty state. */
export function CardTable(props: {
  head: string[]
  rows: Array<{ key: number | string; cells: ReactNode[] }>
  testId: string
  minWidth?: number
  loading?: boolean
  /** Cells keep to one line; the table scrolls sideways instead. */
  nowrap?: boolean
}) {
  if (!props.loading && props.rows.length === 0)
    return (
      <Text c="dimmed" py="md" data-testid={`${props.testId}-empty`}>
        {t.empty}
      </Text>
    )
  return (
    <Table.ScrollContainer minWidth={props.minWidth ?? 640}>
      <Table
        striped
        highlightOnHover
        data-testid={props.testId}
        style={props.nowrap ? { whiteSpace: 'nowrap' } : undefined}
      >
        <Table.Thead>
          <Table.Tr>
            {props.head.map((h) => (
              <Table.Th key={h}>{h}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.rows.map((row) => (
            <Table.Tr key={row.key} data-testid={`${props.testId}-row`}>
              {row.cells.map((c, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: cells follow the header
                <Table.Td key={j}>{c}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  )
}
