import { Anchor, Badge, Button, Group, Modal, Paper, Stack, Switch, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'wouter'
import type { Discount, Tariff } from '../../api/models.gen'
import { ListStates } from '../../app/ListFrame'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, isoDate, money, today } from '../../lib/format'
import { ANY_CUSTOMER } from '../customers/CardCommon'
import { useRefresh } from '../groups/common'
import {
  type Column,
  DeleteDialog,
  enumLabel,
  type Field,
  fieldColumns,
  fieldsOf,
  ModelForm,
  RecordsTable,
  type Row,
} from './generic'

const t = m.settingsDicts

/** `/settings/tariffs` — subscription templates (create, edit, archive, delete) and customers' discounts. */
export function TariffsAndDiscounts() {
  return (
    <Stack gap="lg">
      <Tariffs />
      <Discounts />
    </Stack>
  )
}

const TARIFF_ORDER = [
  'name',
  'type',
  'price',
  'lessons_count',
  'period_count',
  'period_type',
  'duration',
  'calculation_type',
  'b_date',
  'e_date',
  'branch_ids',
  'subject_ids',
  'lesson_type_ids',
  'is_archive',
]

function Tariffs() {
  const { api, branch, canWrite } = useSession()
  const refresh = useRefresh()
  const [fields] = useState<Field[]>(() =>
    fieldsOf('tariff', { order: TARIFF_ORDER, describe: { duration: t.durationHint } }),
  )
  const [archive, setArchive] = useState(false)
  const filter = archive ? {} : { is_archive: 0 as const }
  const q = useQuery({
    queryKey: [branch, 'tariff', 'all', filter],
    queryFn: () => api.all('tariff', filter, { limit: 2000 }),
  })
  const [form, setForm] = useState<{ record: Row | null } | null>(null)
  const [removing, setRemoving] = useState<Row | null>(null)
  const writable = canWrite('tariff')
  const byName = Object.fromEntries(fieldColumns(fields).map((c) => [c.key, c]))
  const tariff = (r: Row) => r as unknown as Tariff
  const columns: Column[] = [
    {
      key: 'name',
      label: byName.name!.label,
      cell: (r) => (
        <>
          {tariff(r).name}
          {tariff(r).is_archive === 1 && (
            <Badge ml="xs" size="xs" color="gray">
              {t.archiveBadge}
            </Badge>
          )}
        </>
      ),
    },
    byName.type!,
    { ...byName.price!, cell: (r) => money(tariff(r).price) },
    {
      ...byName.lessons_count!,
      // Period tariffs count no lessons.
      cell: (r) =>
        tariff(r).type === 1 || tariff(r).lessons_count > 0 ? String(tariff(r).lessons_count) : t.noValue,
    },
    {
      ...byName.duration!,
      cell: (r) => (tariff(r).duration ? t.minutes(tariff(r).duration!) : t.noValue),
    },
    {
      key: 'period',
      label: t.period,
      cell: (r) =>
        tariff(r).period_type > 0 && tariff(r).period_count > 0
          ? t.periodValue(tariff(r).period_count, enumLabel('tariff', 'period_type', tariff(r).period_type))
          : t.noValue,
    },
    byName.branch_ids!,
    byName.subject_ids!,
  ]
  const rows = (q.data ?? []) as unknown as Row[]
  return (
    <Paper withBorder p="md" data-testid="tariffs">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Stack gap={2}>
            <Title order={2} size="h3">
              {t.tariffs}
            </Title>
            <Text size="sm" c="dimmed">
              {t.tariffsHint}
            </Text>
          </Stack>
          <Group gap="md">
            <Switch
              label={t.showArchive}
              checked={archive}
              onChange={(e) => setArchive(e.currentTarget.checked)}
              data-testid="tariffs-archive"
            />
            {writable && (
              <Button onClick={() => setForm({ record: null })} data-testid="tariff-add">
                {t.tariffAdd}
              </Button>
            )}
          </Group>
        </Group>
        <ListStates
          testId="tariffs"
          query={q}
          loadError={t.loadError}
          empty={rows.length === 0}
          emptyText={t.empty}
        >
          <RecordsTable
            rows={rows}
            columns={columns}
            nameOf={(r) => tariff(r).name}
            inactive={(r) => tariff(r).is_archive === 1}
            onEdit={writable ? (r) => setForm({ record: r }) : undefined}
            onDelete={writable ? setRemoving : undefined}
            minWidth={900}
            testid="tariffs-table"
          />
        </ListStates>
      </Stack>
      <Modal
        opened={form !== null}
        closeButtonProps={{ 'aria-label': m.app.close }}
        onClose={() => setForm(null)}
        title={form?.record ? t.editTitle(tariff(form.record).name) : t.addTitle(t.tariffName)}
        size="xl"
      >
        {form && (
          <ModelForm
            model="tariff"
            fields={fields}
            record={form.record}
            onDone={(message) => {
              refresh(['tariff'], message)
              setForm(null)
            }}
            onCancel={() => setForm(null)}
          />
        )}
      </Modal>
      <DeleteDialog
        model="tariff"
        record={removing}
        name={removing ? tariff(removing).name : ''}
        onClose={() => setRemoving(null)}
      />
    </Paper>
  )
}

/** Whether a discount applies today (begin ≤ today ≤ end, an open end never ends). */
function current(d: Discount, day: string): boolean {
  const begin = isoDate(d.begin)
  const end = d.end ? isoDate(d.end) : ''
  return (!begin || begin <= day) && (!end || end >= day)
}

/**
 * Discounts belong to customers (§7.19: `customer_id` is required), so there is nothing tenant-wide to
 * set up here: the customers' discounts of the current branch, read-only, each linked to its card.
 */
function Discounts() {
  const { api, branch } = useSession()
  const [all, setAll] = useState(false)
  const q = useQuery({
    queryKey: [branch, 'discount', 'all', {}],
    queryFn: () => api.all('discount', {}, { limit: 2000 }),
  })
  const day = today()
  const items = (q.data ?? []).filter((d) => all || current(d, day))
  const ids = [...new Set(items.map((d) => d.customer_id))].sort((a, b) => a - b)
  const customers = useQuery({
    queryKey: [branch, 'customer', 'names', ids],
    queryFn: () => api.all('customer', { ...ANY_CUSTOMER, id: ids }, { limit: ids.length }),
    enabled: ids.length > 0,
  })
  const names = new Map((customers.data ?? []).map((c) => [c.id, c.name]))
  const [fields] = useState(() => fieldsOf('discount'))
  const byName = Object.fromEntries(fieldColumns(fields).map((c) => [c.key, c]))
  const discount = (r: Row) => r as unknown as Discount
  const columns: Column[] = [
    {
      key: 'customer',
      label: t.discountCustomer,
      cell: (r) => (
        <Anchor component={Link} href={`/customers/${discount(r).customer_id}`} fz="sm" fw={500}>
          {names.get(discount(r).customer_id) ?? t.customerOf(discount(r).customer_id)}
        </Anchor>
      ),
    },
    {
      key: 'type',
      label: t.discountType,
      cell: (r) => t.discountTypes[discount(r).discount_type],
    },
    {
      key: 'amount',
      label: t.discountAmount,
      align: 'right',
      cell: (r) =>
        discount(r).discount_type === 1
          ? t.percent(discount(r).amount)
          : t.perLesson(money(discount(r).amount)),
    },
    byName.subject_ids!,
    byName.lesson_type_ids!,
    {
      key: 'period',
      label: t.discountPeriod,
      cell: (r) => t.fromTo(date(discount(r).begin), discount(r).end ? date(discount(r).end) : t.openEnd),
    },
    byName.note!,
  ]
  return (
    <Paper withBorder p="md" data-testid="discounts">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Stack gap={2} maw={760}>
            <Title order={2} size="h3">
              {t.discounts}
            </Title>
            <Text size="sm" c="dimmed">
              {t.discountsHint}
            </Text>
          </Stack>
          <Switch
            label={t.showEnded}
            checked={all}
            onChange={(e) => setAll(e.currentTarget.checked)}
            data-testid="discounts-all"
          />
        </Group>
        <ListStates
          testId="discounts"
          query={q}
          loadError={t.loadError}
          empty={items.length === 0}
          emptyText={all ? t.noDiscountsAll : t.noDiscounts}
        >
          <RecordsTable
            rows={items as unknown as Row[]}
            columns={columns}
            nameOf={(r) => String(r.id)}
            minWidth={860}
            testid="discounts-table"
          />
        </ListStates>
      </Stack>
    </Paper>
  )
}
