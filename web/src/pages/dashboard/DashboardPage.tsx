import {
  Alert,
  Anchor,
  Box,
  Button,
  Grid,
  Group,
  Loader,
  Paper,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core'
import { type UseQueryResult, useQuery } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { Link } from 'wouter'
import { ApiError, type FilterOf, type Names, type RecordOf } from '../../api/client'
import { errorText } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, money, today as todayIso } from '../../lib/format'
import { useList } from '../../lib/queries'
import { listFilter, readState, writeState } from '../customers/ListQuery'
import type { PayTotals } from '../payments/PaymentsPage'
import { ALL_STATUSES, addDays, addMonths, monthStart, weekStart } from '../schedule/ScheduleQuery'
import { lessonTime } from '../schedule/scheduleData'

const t = m.dashboard

/** How many of the oldest unconducted lessons, debtors, expiring pupils and tasks a card lists. */
const FEW = 3
const TASKS = 5
/** Today's lessons in one page: the API's page maximum; more are left to the schedule. */
const DAY_PAGE = 50

interface Grouped {
  total: number
  groups: Array<{ value: number | null; count: number }>
  names?: Names
}
type PayGroups = PayTotals & { groups?: Array<PayTotals & { value: number | null }>; names?: Names }

/** The periods the figures cover, in the browser's calendar (the app's "today" everywhere). */
export function periods(day = todayIso()) {
  const monthEnd = addDays(addMonths(monthStart(day), 1), -1)
  return {
    today: day,
    yesterday: addDays(day, -1),
    weekFrom: weekStart(day),
    weekTo: addDays(weekStart(day), 6),
    monthFrom: monthStart(day),
    monthTo: monthEnd,
    soon: addDays(day, 7),
  }
}

/** The customers list's address for a state patch, and the `customer/index` filter it shows. */
function customersLink(search: string) {
  const state = readState(search)
  const qs = writeState(state)
  return { href: `/customers${qs ? `?${qs}` : ''}`, filter: listFilter(state) }
}

/** The debtors as the customers list's own "debtors" filter selects them. */
export const DEBTORS = customersLink('debtors=1')

/**
 * `/` — the landing page: today's lessons, past lessons still planned, debtors, subscriptions ending
 * within a week, the week's new leads by source, the month's income by account and my open tasks, each
 * figure a link to the list behind it. Seven calls (names come with the data, `names` [ext]).
 */
export default function DashboardPage() {
  const p = periods()
  const weekday = t.weekdays[new Date(`${p.today}T12:00:00`).getDay()] ?? ''
  return (
    <Stack gap="md" data-testid="dashboard">
      <Group justify="space-between" align="baseline" wrap="wrap">
        <Title order={1} size="h2">
          {t.title}
        </Title>
        <Text c="dimmed">{t.todayIs(date(p.today), weekday)}</Text>
      </Group>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <TodayLessons day={p.today} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6, lg: 4 }}>
          <MyTasks day={p.today} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6, lg: 4 }}>
          <PastLessons before={p.yesterday} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6, lg: 4 }}>
          <Debtors />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6, lg: 4 }}>
          <Expiring from={p.today} to={p.soon} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <NewLeads from={p.weekFrom} to={p.weekTo} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Income from={p.monthFrom} to={p.monthTo} />
        </Grid.Col>
      </Grid>
    </Stack>
  )
}

/**
 * A card: its title, the figure (a link to the list behind it), a hint and the details. A refused call
 * (403: the role may not read it) hides the card; another failure shows its reason and a retry.
 */
function Card(props: {
  id: string
  title: string
  query: UseQueryResult<unknown>
  figure?: ReactNode
  hint?: ReactNode
  children?: ReactNode
  action?: ReactNode
}) {
  const { query: q } = props
  if (q.isError && q.error instanceof ApiError && q.error.status === 403) return null
  return (
    <Paper
      withBorder
      radius="md"
      p="md"
      h="100%"
      component="section"
      aria-labelledby={`${props.id}-title`}
      data-testid={props.id}
      data-loaded={q.isSuccess ? '1' : q.isError ? 'error' : '0'}
    >
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" wrap="nowrap" gap="xs">
          <Box>
            <Title order={2} size="h4" id={`${props.id}-title`}>
              {props.title}
            </Title>
            {props.hint && (
              <Text size="sm" c="dimmed">
                {props.hint}
              </Text>
            )}
          </Box>
          {q.isSuccess && props.figure}
        </Group>
        {q.isPending ? (
          <Loader size="sm" aria-label={m.app.loading} />
        ) : q.isError ? (
          <Alert color="red" p="xs" data-testid={`${props.id}-error`}>
            <Group gap="xs" justify="space-between">
              <Text size="sm">
                {t.loadError} {errorText(q.error)}
              </Text>
              <Button size="compact-xs" variant="light" color="red" onClick={() => void q.refetch()}>
                {m.app.retry}
              </Button>
            </Group>
          </Alert>
        ) : (
          props.children
        )}
        {q.isSuccess && props.action}
      </Stack>
    </Paper>
  )
}

/** The big number of a card, a link to the list it counts. */
function Figure(props: {
  value: number | string
  href: string
  label: string
  testid: string
  raw?: string
}) {
  return (
    <Anchor
      component={Link}
      href={props.href}
      fw={700}
      fz={28}
      lh={1.1}
      aria-label={`${props.label}: ${props.value}`}
      data-testid={props.testid}
      data-value={props.raw ?? String(props.value)}
      style={{ whiteSpace: 'nowrap' }}
    >
      {props.value}
    </Anchor>
  )
}

function MoreLink(props: { href: string; children: ReactNode; testid?: string }) {
  return (
    <Anchor component={Link} href={props.href} size="sm" data-testid={props.testid}>
      {props.children}
    </Anchor>
  )
}

const nameIn = (names: Names | undefined, field: string, id: number | null) =>
  id === null ? '' : (names?.[field]?.[String(id)] ?? `#${id}`)
const namesIn = (names: Names | undefined, field: string, ids: number[]) =>
  ids.map((id) => nameIn(names, field, id)).join(', ')

type Lesson = RecordOf<'lesson'>

/** Who a lesson is for: its groups, else its pupils. */
const lessonWho = (l: Lesson, names: Names | undefined) =>
  [namesIn(names, 'group_ids', l.group_ids), namesIn(names, 'customer_ids', l.customer_ids)]
    .filter((s) => s)
    .join(', ')

const STATUS_COLOR: Record<number, string> = { 1: 'blue.8', 2: 'dimmed', 3: 'green.8' }

function TodayLessons(props: { day: string }) {
  const q = useList('lesson', {
    date_from: props.day,
    date_to: props.day,
    status: ALL_STATUSES,
    sort: 'time_from',
    count: DAY_PAGE,
    names: 1,
  })
  const data = q.data
  const items = data?.items ?? []
  const dayView = '/schedule?view=day'
  return (
    <Card
      id="dash-today"
      title={t.today.title}
      query={q}
      figure={
        <Figure value={data?.total ?? 0} href={dayView} label={t.today.title} testid="dash-today-count" />
      }
      action={<MoreLink href={dayView}>{t.today.toSchedule}</MoreLink>}
    >
      {items.length === 0 ? (
        <Text c="dimmed" size="sm">
          {t.today.empty}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={620} maxHeight={420}>
          <Table striped highlightOnHover stickyHeader verticalSpacing={6} data-testid="dash-today-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t.today.time}</Table.Th>
                <Table.Th>{t.today.subject}</Table.Th>
                <Table.Th>{t.today.who}</Table.Th>
                <Table.Th>{t.today.teacher}</Table.Th>
                <Table.Th>{t.today.room}</Table.Th>
                <Table.Th>{t.today.status}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((l) => {
                const time = lessonTime(l)
                const subject = nameIn(data?.names, 'subject_id', l.subject_id)
                return (
                  <Table.Tr key={l.id} data-testid="dash-lesson-row" data-lesson-id={l.id}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <Anchor
                        component={Link}
                        href={`/lessons/${l.id}`}
                        size="sm"
                        aria-label={t.today.open(time, subject)}
                      >
                        {time}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{subject}</Table.Td>
                    <Table.Td>{lessonWho(l, data?.names)}</Table.Td>
                    <Table.Td>{namesIn(data?.names, 'teacher_ids', l.teacher_ids)}</Table.Td>
                    <Table.Td>{l.room_id ? nameIn(data?.names, 'room_id', l.room_id) : '—'}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <Text size="sm" fw={500} c={STATUS_COLOR[l.status] ?? 'dimmed'}>
                        {m.schedule.status[l.status] ?? l.status}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {data && data.total > items.length && (
        <MoreLink href={dayView}>{t.today.more(data.total - items.length)}</MoreLink>
      )}
    </Card>
  )
}

function PastLessons(props: { before: string }) {
  const q = useList('lesson', {
    status: 1,
    date_to: props.before,
    sort: 'date,time_from',
    count: FEW,
    names: 1,
  })
  const data = q.data
  const items = data?.items ?? []
  // The schedule has no status filter: its week of the oldest lesson still planned.
  const href = items[0] ? `/schedule?date=${items[0].date}` : '/schedule'
  return (
    <Card
      id="dash-past"
      title={t.past.title}
      hint={t.past.hint}
      query={q}
      figure={<Figure value={data?.total ?? 0} href={href} label={t.past.title} testid="dash-past-count" />}
      action={items.length > 0 && <MoreLink href={href}>{t.past.toSchedule}</MoreLink>}
    >
      {items.length === 0 ? (
        <Text c="dimmed" size="sm">
          {t.past.empty}
        </Text>
      ) : (
        <Stack gap={4}>
          <Text size="sm">{t.past.oldest}</Text>
          {items.map((l) => (
            <Box key={l.id} data-testid="dash-past-row">
              <Anchor component={Link} href={`/lessons/${l.id}`} size="sm">
                {date(l.date)} {l.time_from.slice(11, 16)} · {nameIn(data?.names, 'subject_id', l.subject_id)}
              </Anchor>
              <Text size="xs" c="dimmed" lineClamp={1}>
                {[lessonWho(l, data?.names), namesIn(data?.names, 'teacher_ids', l.teacher_ids)]
                  .filter((s) => s)
                  .join(' · ')}
              </Text>
            </Box>
          ))}
        </Stack>
      )}
    </Card>
  )
}

/** A customers-list card: the total of a filter, the first few of it, links to the list. */
function CustomerCard(props: {
  id: string
  title: string
  hint: string
  empty: string
  open: string
  link: { href: string; filter: FilterOf<'customer'> }
  extra?: FilterOf<'customer'>
  detail: (c: RecordOf<'customer'>) => ReactNode
}) {
  const q = useList('customer', { ...props.link.filter, ...props.extra, count: FEW })
  const data = q.data
  const items = data?.items ?? []
  return (
    <Card
      id={props.id}
      title={props.title}
      hint={props.hint}
      query={q}
      figure={
        <Figure
          value={data?.total ?? 0}
          href={props.link.href}
          label={props.title}
          testid={`${props.id}-count`}
        />
      }
      action={items.length > 0 && <MoreLink href={props.link.href}>{props.open}</MoreLink>}
    >
      {items.length === 0 ? (
        <Text c="dimmed" size="sm">
          {props.empty}
        </Text>
      ) : (
        <Stack gap={4}>
          {items.map((c) => (
            <Group key={c.id} justify="space-between" gap="xs" wrap="nowrap">
              <Anchor component={Link} href={`/customers/${c.id}`} size="sm" truncate>
                {c.name}
              </Anchor>
              <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                {props.detail(c)}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  )
}

function Debtors() {
  return (
    <CustomerCard
      id="dash-debtors"
      title={t.debtors.title}
      hint={t.debtors.hint}
      empty={t.debtors.empty}
      open={t.debtors.open}
      link={DEBTORS}
      // The largest debts first.
      extra={{ sort: 'balance' }}
      detail={(c) => (
        <Text span size="sm" c="red.8">
          {money(c.balance)}
        </Text>
      )}
    />
  )
}

function Expiring(props: { from: string; to: string }) {
  const link = customersLink(new URLSearchParams({ till_from: props.from, till_to: props.to }).toString())
  return (
    <CustomerCard
      id="dash-expiring"
      title={t.expiring.title}
      hint={t.expiring.hint(date(props.to))}
      empty={t.expiring.empty}
      open={t.expiring.open}
      link={link}
      detail={(c) => (c.paid_till ? t.expiring.till(date(c.paid_till)) : '')}
    />
  )
}

function NewLeads(props: { from: string; to: string }) {
  const { api, branch } = useSession()
  const base = `tab=leads&created_from=${props.from}&created_to=${props.to}`
  const all = customersLink(base)
  const body = { ...all.filter, group_by: 'lead_source_id', names: 1 }
  const q = useQuery({
    queryKey: [branch, 'customer', 'count', body],
    queryFn: () => api.call<Grouped>('customer', 'count', body),
  })
  const data = q.data
  return (
    <Card
      id="dash-leads"
      title={t.leads.title}
      hint={t.leads.hint(date(props.from), date(props.to))}
      query={q}
      figure={
        <Figure value={data?.total ?? 0} href={all.href} label={t.leads.title} testid="dash-leads-count" />
      }
      action={data && data.total > 0 && <MoreLink href={all.href}>{t.leads.open}</MoreLink>}
    >
      {!data || data.groups.length === 0 ? (
        <Text c="dimmed" size="sm">
          {t.leads.empty}
        </Text>
      ) : (
        <Stack gap={4}>
          {data.groups.map((g) => {
            // The list filters by a source; leads without one are only in the week's total.
            const label = g.value === null ? t.leads.noSource : nameIn(data.names, 'lead_source_id', g.value)
            return (
              <Group
                key={g.value ?? 'none'}
                justify="space-between"
                gap="xs"
                wrap="nowrap"
                data-testid="dash-lead-source"
              >
                {g.value === null ? (
                  <Text size="sm">{label}</Text>
                ) : (
                  <Anchor
                    component={Link}
                    href={customersLink(`${base}&source=${g.value}`).href}
                    size="sm"
                    truncate
                  >
                    {label}
                  </Anchor>
                )}
                <Text size="sm" fw={600} data-value={g.count}>
                  {g.count}
                </Text>
              </Group>
            )
          })}
        </Stack>
      )}
    </Card>
  )
}

function Income(props: { from: string; to: string }) {
  const { api, branch } = useSession()
  const filter = { date_from: props.from, date_to: props.to, pay_type_id: 1 }
  const body = { ...filter, group_by: 'pay_account_id', names: 1 }
  const q = useQuery({
    queryKey: [branch, 'pay', 'total', body],
    queryFn: () => api.call<PayGroups>('pay', 'total', body),
  })
  const href = (account?: number) =>
    `/payments?${new URLSearchParams({
      date_from: props.from,
      date_to: props.to,
      pay_type_id: '1',
      ...(account ? { pay_account_id: String(account) } : {}),
    })}`
  const data = q.data
  const groups = (data?.groups ?? []).filter((g) => g.income !== '0.00')
  const month = t.months[Number(props.from.slice(5, 7)) - 1] ?? ''
  return (
    <Card
      id="dash-income"
      title={t.income.title}
      hint={t.income.hint(`${month} ${props.from.slice(0, 4)}`)}
      query={q}
      figure={
        <Figure
          value={money(data?.income ?? '0')}
          raw={data?.income ?? ''}
          href={href()}
          label={t.income.title}
          testid="dash-income-total"
        />
      }
      action={<MoreLink href={href()}>{t.income.open}</MoreLink>}
    >
      {groups.length === 0 ? (
        <Text c="dimmed" size="sm">
          {t.income.empty}
        </Text>
      ) : (
        <Stack gap={4}>
          {groups.map((g) => (
            <Group
              key={g.value ?? 'none'}
              justify="space-between"
              gap="xs"
              wrap="nowrap"
              data-testid="dash-income-account"
            >
              {g.value === null ? (
                <Text size="sm">{t.income.noAccount}</Text>
              ) : (
                <Anchor component={Link} href={href(g.value)} size="sm" truncate>
                  {nameIn(data?.names, 'pay_account_id', g.value)}
                </Anchor>
              )}
              <Text size="sm" fw={600} data-value={g.income} style={{ whiteSpace: 'nowrap' }}>
                {money(g.income)}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  )
}

function MyTasks(props: { day: string }) {
  const { user } = useSession()
  const q = useList('task', {
    assigned_id: user.id,
    is_done: 0,
    is_archive: 0,
    sort: 'due_date,id',
    count: TASKS,
    names: 1,
  })
  const data = q.data
  const items = data?.items ?? []
  return (
    <Card
      id="dash-tasks"
      title={t.tasks.title}
      hint={t.tasks.hint}
      query={q}
      figure={
        <Text fw={700} fz={28} lh={1.1} data-testid="dash-tasks-count" data-value={data?.total ?? 0}>
          {data?.total ?? 0}
        </Text>
      }
      action={
        data && data.total > items.length && <Text size="sm">{t.tasks.more(data.total - items.length)}</Text>
      }
    >
      {items.length === 0 ? (
        <Text c="dimmed" size="sm">
          {t.tasks.empty}
        </Text>
      ) : (
        <Stack gap="xs">
          {items.map((task) => {
            const overdue = !!task.due_date && task.due_date < props.day
            return (
              <Box key={task.id} data-testid="dash-task" data-overdue={overdue ? '1' : '0'}>
                <Text size="sm" fw={500} lineClamp={2}>
                  {task.title}
                </Text>
                <Group gap="xs" wrap="wrap">
                  <Text size="xs" c={overdue ? 'red.8' : 'dimmed'} fw={overdue ? 600 : undefined}>
                    {task.due_date
                      ? overdue
                        ? t.tasks.overdue(date(task.due_date))
                        : t.tasks.due(date(task.due_date))
                      : t.tasks.noDue}
                  </Text>
                  {task.customer_ids.map((id) => (
                    <Anchor key={id} component={Link} href={`/customers/${id}`} size="xs">
                      {nameIn(data?.names, 'customer_ids', id)}
                    </Anchor>
                  ))}
                </Group>
              </Box>
            )
          })}
        </Stack>
      )}
    </Card>
  )
}
