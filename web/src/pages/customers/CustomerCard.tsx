import {
  Anchor,
  Badge,
  Box,
  Button,
  Center,
  Group,
  Loader,
  Modal,
  Paper,
  SimpleGrid,
  Stack,
  Tabs,
  Text,
  Title,
} from '@mantine/core'
import { useMutation } from '@tanstack/react-query'
import { lazy, type ReactNode, Suspense, useState } from 'react'
import { Link, useLocation, useSearch } from 'wouter'
import type { Customer } from '../../api/models.gen'
import { errorText } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, dateTime, money, phone } from '../../lib/format'
import { useRecord } from '../../lib/queries'
import {
  ANY_CUSTOMER,
  fieldLabel,
  notifyError,
  useCustomerFields,
  useFieldText,
  useRefresh,
} from './CardCommon'
import CustomerForm from './CustomerForm'

const CardSubscriptions = lazy(() => import('./CardSubscriptions'))
const CardPayments = lazy(() => import('./CardPayments'))
const CardDiscounts = lazy(() => import('./CardDiscounts'))
const CardLessons = lazy(() => import('./CardLessons'))
const CardComments = lazy(() => import('./CardComments'))
const CardTasks = lazy(() => import('./CardTasks'))
const RegularLessons = lazy(() => import('../groups/RegularLessons'))
const CardHistory = lazy(() => import('./CardHistory'))

const t = m.card

const loading = (
  <Center py="xl" aria-busy="true">
    <Loader aria-label={m.app.loading} />
  </Center>
)

/** `/customers/:id` — the customer's card; `/customers/new` (id null) — the create form. */
export default function CustomerCard(props: { id: number | null }) {
  if (props.id === null) return <NewCustomer />
  if (!Number.isInteger(props.id) || props.id <= 0) return <NotFound />
  return <Card id={props.id} />
}

function NotFound() {
  return (
    <Stack align="center" mt="xl" data-testid="card-not-found">
      <Text size="lg">{t.notFound}</Text>
      <Button component={Link} href="/customers">
        {t.toList}
      </Button>
    </Stack>
  )
}

function NewCustomer() {
  const search = new URLSearchParams(useSearch())
  const isStudy = search.get('is_study') === '0' ? 0 : 1
  const [, navigate] = useLocation()
  const refresh = useRefresh()
  return (
    <Stack maw={960}>
      <Title order={1} size="h2">
        {isStudy ? t.newTitle : t.newLeadTitle}
      </Title>
      <Paper withBorder p="md">
        <CustomerForm
          customer={null}
          isStudy={isStudy}
          onSaved={(c) => {
            refresh(['customer'], t.createdDone)
            navigate(`/customers/${c.id}`)
          }}
          onCancel={() => navigate(isStudy ? '/customers' : '/leads')}
        />
      </Paper>
    </Stack>
  )
}

type Tab =
  | 'fields'
  | 'subscriptions'
  | 'payments'
  | 'discounts'
  | 'lessons'
  | 'slots'
  | 'comments'
  | 'tasks'
  | 'history'

function Card(props: { id: number }) {
  const { canWrite, canRead } = useSession()
  const q = useRecord('customer', props.id, ANY_CUSTOMER)
  const [tab, setTab] = useState<Tab>('fields')
  const [payForm, setPayForm] = useState<1 | 2 | null>(null)

  if (q.isLoading) return loading
  if (q.isError)
    return (
      <Stack align="center" mt="xl">
        <Text>{errorText(q.error)}</Text>
        <Button onClick={() => void q.refetch()}>{m.app.retry}</Button>
      </Stack>
    )
  const c = q.data
  if (!c) return <NotFound />

  const tabs: Array<[Tab, string, boolean]> = [
    ['fields', t.tabs.fields, true],
    ['subscriptions', t.tabs.subscriptions, canRead('customer-tariff')],
    ['payments', t.tabs.payments, canRead('pay')],
    ['discounts', t.tabs.discounts, canRead('discount')],
    ['lessons', t.tabs.lessons, canRead('lesson')],
    ['slots', t.tabs.slots, canRead('regular-lesson')],
    ['comments', t.tabs.comments, canRead('communication')],
    ['tasks', t.tabs.tasks, canRead('task')],
    ['history', t.tabs.history, canRead('log')],
  ]

  return (
    <Stack gap="md" data-testid="customer-card">
      <Header
        customer={c}
        canWrite={canWrite('customer')}
        canPay={canWrite('pay')}
        onPay={() => {
          setTab('payments')
          setPayForm(1)
        }}
      />
      <Tabs value={tab} onChange={(v) => v && setTab(v as Tab)} keepMounted={false}>
        <Tabs.List aria-label={t.tabsLabel} style={{ flexWrap: 'wrap' }}>
          {tabs
            .filter(([, , shown]) => shown)
            .map(([key, label]) => (
              <Tabs.Tab key={key} value={key} data-testid={`tab-${key}`}>
                {label}
              </Tabs.Tab>
            ))}
        </Tabs.List>
        <Tabs.Panel value="fields" pt="md">
          <Fields customer={c} />
        </Tabs.Panel>
        <Suspense fallback={loading}>
          <Tabs.Panel value="subscriptions" pt="md">
            <CardSubscriptions customerId={c.id} />
          </Tabs.Panel>
          <Tabs.Panel value="payments" pt="md">
            <CardPayments customerId={c.id} form={payForm} onForm={setPayForm} />
          </Tabs.Panel>
          <Tabs.Panel value="discounts" pt="md">
            <CardDiscounts customerId={c.id} />
          </Tabs.Panel>
          <Tabs.Panel value="lessons" pt="md">
            <CardLessons customerId={c.id} />
          </Tabs.Panel>
          <Tabs.Panel value="slots" pt="md">
            <RegularLessons relatedClass="Customer" relatedId={c.id} />
          </Tabs.Panel>
          <Tabs.Panel value="comments" pt="md">
            <CardComments customerId={c.id} />
          </Tabs.Panel>
          <Tabs.Panel value="tasks" pt="md">
            <CardTasks customerId={c.id} />
          </Tabs.Panel>
          <Tabs.Panel value="history" pt="md">
            <CardHistory customerId={c.id} />
          </Tabs.Panel>
        </Suspense>
      </Tabs>
    </Stack>
  )
}

/** Name, badges, the key figures and the actions the user's role allows. */
function Header(props: { customer: Customer; canWrite: boolean; canPay: boolean; onPay: () => void }) {
  const { api } = useSession()
  const c = props.customer
  const refresh = useRefresh()
  const [editing, setEditing] = useState(false)
  const done = (message: string) => () => refresh(['customer', 'log'], message)
  const archive = useMutation({
    mutationFn: () => api.remove('customer', c.id),
    onSuccess: done(t.archivedDone),
    onError: notifyError,
  })
  const restore = useMutation({
    mutationFn: () => api.restore('customer', c.id),
    onSuccess: done(t.restoredDone),
    onError: notifyError,
  })
  const convert = useMutation({
    mutationFn: () => api.update('customer', c.id, { is_study: 1 }),
    onSuccess: done(t.convertedDone),
    onError: notifyError,
  })
  const negative = c.balance.trim().startsWith('-')
  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-start" gap="sm">
        <Stack gap={4} miw={0}>
          <Title order={1} size="h2" data-testid="card-name" style={{ overflowWrap: 'anywhere' }}>
            {c.name}
          </Title>
          <Group gap="xs">
            <Badge color={c.is_study ? 'blue' : 'grape'} variant="light" data-testid="card-kind">
              {c.is_study ? t.student : t.lead}
            </Badge>
            {c.removed === 1 && (
              <Badge color="gray" variant="filled" data-testid="card-archived">
                {t.archived}
              </Badge>
            )}
          </Group>
        </Stack>
        <Group gap="xs">
          {props.canPay && (
            <Button onClick={props.onPay} data-testid="card-pay">
              {t.takePay}
            </Button>
          )}
          {props.canWrite && (
            <>
              <Button variant="default" onClick={() => setEditing(true)} data-testid="card-edit">
                {t.edit}
              </Button>
              {c.is_study === 0 && (
                <Button
                  variant="light"
                  loading={convert.isPending}
                  onClick={() => convert.mutate()}
                  data-testid="card-convert"
                >
                  {t.toStudent}
                </Button>
              )}
              {c.removed === 1 ? (
                <Button
                  variant="light"
                  color="teal"
                  loading={restore.isPending}
                  onClick={() => restore.mutate()}
                  data-testid="card-restore"
                >
                  {t.restore}
                </Button>
              ) : (
                <Button
                  variant="light"
                  color="red"
                  loading={archive.isPending}
                  onClick={() => window.confirm(t.archiveConfirm) && archive.mutate()}
                  data-testid="card-archive"
                >
                  {t.archive}
                </Button>
              )}
            </>
          )}
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 2, md: 4 }} spacing="sm">
        <Figure label={t.balance} testId="card-balance" color={negative ? 'red' : undefined}>
          {money(c.balance)}
        </Figure>
        <Figure label={t.paidLessons} testId="card-paid-lessons">
          {c.paid_lesson_count}
        </Figure>
        <Figure label={t.paidTill} testId="card-paid-till">
          {c.paid_till ? date(c.paid_till) : t.noValue}
        </Figure>
        <Figure label={t.nextLesson} testId="card-next-lesson">
          {c.next_lesson_date ? dateTime(c.next_lesson_date) : t.noValue}
        </Figure>
      </SimpleGrid>
      <Modal opened={editing} onClose={() => setEditing(false)} title={t.editTitle} size="xl">
        {editing && (
          <CustomerForm
            customer={c}
            onSaved={() => {
              refresh(['customer', 'log'], m.app.saved)
              setEditing(false)
            }}
            onCancel={() => setEditing(false)}
          />
        )}
      </Modal>
    </Stack>
  )
}

function Figure(props: { label: string; testId: string; color?: string; children: ReactNode }) {
  return (
    <Paper withBorder p="sm" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {props.label}
      </Text>
      <Text size="xl" fw={700} c={props.color} data-testid={props.testId}>
        {props.children}
      </Text>
    </Paper>
  )
}

const SHOWN = [
  'legal_name',
  'dob',
  'gender',
  'legal_type',
  'branch_ids',
  'teacher_ids',
  'study_status_id',
  'customer_reject_id',
  'lead_status_id',
  'lead_reject_id',
  'lead_source_id',
  'assigned_id',
  'color',
] as const

/** Every field of the record: contacts as links, dictionaries by name, custom fields by their labels. */
function Fields(props: { customer: Customer }) {
  const c = props.customer
  const custom = useCustomerFields()
  const text = useFieldText([c as unknown as Record<string, unknown>])
  const item = (key: string, value: ReactNode, mt?: string) => (
    <Box key={key} mt={mt} data-testid={`card-field-${key}`}>
      <Text size="xs" c="dimmed">
        {fieldLabel(key, custom)}
      </Text>
      <Text size="sm" component="div" style={{ overflowWrap: 'anywhere' }}>
        {value}
      </Text>
    </Box>
  )
  const links = (values: string[], href: (v: string) => string | null, show: (v: string) => string) =>
    values.length === 0 ? (
      t.noValue
    ) : (
      <Stack gap={0}>
        {values.map((v) => {
          const h = href(v)
          return h ? (
            <Anchor key={v} href={h} size="sm">
              {show(v)}
            </Anchor>
          ) : (
            <span key={v}>{show(v)}</span>
          )
        })}
      </Stack>
    )
  return (
    <Paper withBorder p="md">
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="md" verticalSpacing="sm">
        {item(
          'phone',
          links(
            c.phone,
            (v) => `tel:${v.replace(/[^\d+]/g, '')}`,
            (v) => phone(v),
          ),
        )}
        {item(
          'email',
          links(
            c.email,
            (v) => `mailto:${v}`,
            (v) => v,
          ),
        )}
        {item(
          'web',
          links(
            c.web,
            (v) => (/^https?:\/\//.test(v) ? v : null),
            (v) => v,
          ),
        )}
        {item(
          'addr',
          links(
            c.addr,
            () => null,
            (v) => v,
          ),
        )}
        {SHOWN.map((k) => item(k, text(k, c[k], custom)))}
        {custom.map((f) => item(`custom_${f.code}`, text(`custom_${f.code}`, c[`custom_${f.code}`], custom)))}
      </SimpleGrid>
      {item('note', c.note ? <span style={{ whiteSpace: 'pre-wrap' }}>{c.note}</span> : t.noValue)}
    </Paper>
  )
}
