import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useSearchParams } from 'wouter'
import type { Pay, PayFilter } from '../../api/models.gen'
import { errorText } from '../../app/errors'
import { Pager } from '../../app/Pager'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, money } from '../../lib/format'
import { useDictionary, useList } from '../../lib/queries'
import { CustomerSelect } from './CustomerSelect'
import { DateField } from './DateField'
import { PayForm } from './PayForm'

const PAGE = 50

/** The filters the page keeps in its address: the API's own filter names, and a 1-based page. */
const KEYS = ['date_from', 'date_to', 'pay_type_id', 'pay_account_id', 'customer_id'] as const
type Key = (typeof KEYS)[number]

export interface PayTotals {
  count: number
  income: string
  refund: string
  expense: string
  salary: string
  net: string
}

/** The payment journal: filters in the URL, totals of the filtered set, 50 pays a page, a form to add or edit. */
export default function PaymentsPage() {
  const { api, branch, canWrite } = useSession()
  const [params, setParams] = useSearchParams()
  const get = (k: Key) => params.get(k) || ''
  const page = Math.max(1, Number(params.get('page')) || 1)
  const filter: PayFilter = {}
  for (const k of KEYS) {
    const v = get(k)
    if (!v) continue
    if (k === 'date_from' || k === 'date_to') filter[k] = v
    else filter[k] = Number(v) as never
  }
  const set = (k: Key, v: string | null) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (v) next.set(k, v)
        else next.delete(k)
        next.delete('page')
        return next
      },
      { replace: true },
    )
  const setPage = (p: number) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (p > 1) next.set('page', String(p))
        else next.delete('page')
        return next
      },
      { replace: true },
    )

  const list = useList('pay', { ...filter, page: page - 1, count: PAGE })
  const totals = useQuery({
    queryKey: [branch, 'pay', 'total', filter],
    queryFn: () => api.call<PayTotals>('pay', 'total', filter as Record<string, unknown>),
    retry: false,
  })
  const accounts = useDictionary('pay-account')
  const pays = list.data?.items ?? []
  const ids = [...new Set(pays.map((p) => p.customer_id).filter((id): id is number => !!id))]
  const names = useQuery({
    queryKey: [branch, 'customer', 'names', ids],
    queryFn: () => api.index('customer', { id: ids, is_study: 2, removed: 1, count: PAGE }),
    enabled: ids.length > 0,
  })
  const customerName = (id: number) => names.data?.items.find((c) => c.id === id)?.name ?? `#${id}`
  const [editing, setEditing] = useState<Pay | 'new' | null>(null)
  const writable = canWrite('pay')
  const total = list.data?.total ?? 0
  const typeOptions = Object.entries(m.payments.types).map(([value, label]) => ({ value, label }))

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2">
          {m.payments.title}
        </Title>
        {writable && (
          <Button onClick={() => setEditing('new')} data-testid="pay-create">
            {m.payments.add}
          </Button>
        )}
      </Group>

      <Group gap="sm" align="flex-end" wrap="wrap" component="search" aria-label={m.app.search}>
        <DateField
          label={m.payments.dateFrom}
          value={get('date_from')}
          onChange={(v) => set('date_from', v)}
          clearable
          w={160}
          testid="pay-filter-from"
        />
        <DateField
          label={m.payments.dateTo}
          value={get('date_to')}
          onChange={(v) => set('date_to', v)}
          clearable
          w={160}
          testid="pay-filter-to"
        />
        <Select
          label={m.payments.type}
          placeholder={m.payments.anyType}
          data={typeOptions}
          value={get('pay_type_id') || null}
          onChange={(v) => set('pay_type_id', v)}
          clearable
          w={160}
          data-testid="pay-filter-type"
        />
        <Select
          label={m.payments.account}
          placeholder={m.payments.anyAccount}
          data={accounts.options}
          value={get('pay_account_id') || null}
          onChange={(v) => set('pay_account_id', v)}
          clearable
          w={180}
          data-testid="pay-filter-account"
        />
        <CustomerSelect
          label={m.payments.customer}
          value={Number(get('customer_id')) || null}
          onChange={(id) => set('customer_id', id ? String(id) : null)}
          testid="pay-filter-customer"
          w={240}
        />
        {KEYS.some((k) => get(k)) && (
          <Button variant="subtle" onClick={() => setParams({}, { replace: true })}>
            {m.payments.reset}
          </Button>
        )}
      </Group>

      <Totals data={totals.data} failed={totals.isError ? errorText(totals.error) : null} />

      <Table.ScrollContainer minWidth={860}>
        <Table striped highlightOnHover data-testid="pay-table" aria-busy={list.isFetching}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{m.payments.date}</Table.Th>
              <Table.Th>{m.payments.type}</Table.Th>
              <Table.Th ta="right">{m.payments.amount}</Table.Th>
              <Table.Th>{m.payments.customer}</Table.Th>
              <Table.Th>{m.payments.account}</Table.Th>
              <Table.Th>{m.payments.comment}</Table.Th>
              <Table.Th>{m.payments.confirmed}</Table.Th>
              {writable && <Table.Th>{m.payments.actions}</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pays.map((p) => (
              <Table.Tr key={p.id} data-testid="pay-row" data-pay-id={p.id}>
                <Table.Td>{date(p.document_date)}</Table.Td>
                <Table.Td>{m.payments.types[p.pay_type_id] ?? p.pay_type_name}</Table.Td>
                <Table.Td
                  ta="right"
                  c={p.pay_type_id === 1 ? 'green.8' : 'red.8'}
                  style={{ whiteSpace: 'nowrap' }}
                >
                  {money(p.income)}
                </Table.Td>
                <Table.Td>
                  {p.customer_id && (
                    <Anchor component={Link} href={`/customers/${p.customer_id}`} size="sm">
                      {customerName(p.customer_id)}
                    </Anchor>
                  )}
                </Table.Td>
                <Table.Td>{accounts.byId.get(p.pay_account_id)?.name ?? ''}</Table.Td>
                <Table.Td maw={260}>
                  <Text size="sm" truncate title={p.note}>
                    {p.note}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={p.is_confirmed ? 'green' : 'gray'} tt="none">
                    {p.is_confirmed ? m.app.yes : m.app.no}
                  </Badge>
                </Table.Td>
                {writable && (
                  <Table.Td>
                    <Button
                      size="compact-sm"
                      variant="subtle"
                      onClick={() => setEditing(p)}
                      aria-label={m.payments.edit(p.id)}
                      data-testid="pay-edit"
                    >
                      {m.app.edit}
                    </Button>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
            {!list.isLoading && pays.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={writable ? 8 : 7}>
                  <Text c="dimmed" ta="center" py="md">
                    {list.isError ? errorText(list.error) : m.payments.empty}
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>

      {total > 0 && (
        <Group justify="space-between" wrap="wrap">
          <Text size="sm" c="dimmed" data-testid="pay-range">
            {m.app.page((page - 1) * PAGE + 1, Math.min(page * PAGE, total), total)}
          </Text>
          <Pager total={Math.ceil(total / PAGE)} value={page} onChange={setPage} size="sm" />
        </Group>
      )}

      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? m.payments.createTitle : m.payments.editTitle}
        size="lg"
      >
        {editing !== null && (
          <PayForm
            key={editing === 'new' ? 'new' : editing.id}
            pay={editing === 'new' ? null : editing}
            onDone={() => setEditing(null)}
          />
        )}
      </Modal>
    </Stack>
  )
}

/** Income, refunds and their difference over the filtered set, as `pay/total` counts them. */
function Totals(props: { data: PayTotals | undefined; failed: string | null }) {
  const cell = (label: string, value: string | undefined, testid: string) => (
    <Paper withBorder p="sm" radius="md">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} size="lg" data-testid={testid} data-value={value ?? ''}>
        {value === undefined ? '…' : money(value)}
      </Text>
    </Paper>
  )
  if (props.failed)
    return (
      <Text size="sm" c="dimmed" data-testid="pay-totals-unavailable">
        {m.payments.totalsUnavailable}: {props.failed}
      </Text>
    )
  return (
    <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm" data-testid="pay-totals">
      {cell(m.payments.totalIncome, props.data?.income, 'pay-total-income')}
      {cell(m.payments.totalRefund, props.data?.refund, 'pay-total-refund')}
      {cell(m.payments.totalNet, props.data?.net, 'pay-total-net')}
      <Paper withBorder p="sm" radius="md">
        <Text size="xs" c="dimmed">
          {m.payments.totalCount}
        </Text>
        <Text fw={600} size="lg" data-testid="pay-total-count">
          {props.data?.count ?? '…'}
        </Text>
      </Paper>
    </SimpleGrid>
  )
}
