import {
  ActionIcon,
  Anchor,
  Button,
  Group,
  Loader,
  Modal,
  Paper,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { Link } from 'wouter'
import type { Cgi } from '../../api/models.gen'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, isoDate, today } from '../../lib/format'
import { CustomerSelect } from '../payments/CustomerSelect'
import { DateField } from '../payments/DateField'
import { later, notifyError, showSaveError, useRefresh } from './common'

const t = m.groups
/** Memberships of every period: a range from long ago drops the default "not yet ended" filter (§7.6). */
const EVER = '2000-01-01'
const AFFECTED = ['cgi', 'lesson', 'customer', 'calendar']

/** The group's members with their periods: current, future, ended; add, end and remove memberships. */
export default function Members(props: { groupId: number }) {
  const { api, branch, canWrite } = useSession()
  const q = useQuery({
    queryKey: [branch, 'cgi', 'all', { group_id: props.groupId, date_from: EVER }],
    queryFn: () => api.all('cgi', { group_id: props.groupId, date_from: EVER }, { limit: 2000 }),
  })
  const ids = [...new Set((q.data ?? []).map((c) => c.customer_id))]
  const people = useQuery({
    queryKey: [branch, 'customer', 'all', { ids, is_study: 2, removed: 1 }],
    queryFn: () => api.all('customer', { ids, is_study: 2, removed: 1 }, { limit: 2000 }),
    enabled: ids.length > 0,
  })
  const nameOf = new Map((people.data ?? []).map((c) => [c.id, c.name]))
  const name = (id: number) => nameOf.get(id) ?? t.customerId(id)
  const [adding, setAdding] = useState(false)
  const [ending, setEnding] = useState<Cgi | null>(null)
  const refresh = useRefresh()
  const writable = canWrite('cgi')
  const day = today()

  const all = q.data ?? []
  const ended = all.filter((c) => c.e_date && isoDate(c.e_date) < day)
  const future = all.filter((c) => isoDate(c.b_date) > day)
  const current = all.filter((c) => !ended.includes(c) && !future.includes(c))

  async function remove(c: Cgi) {
    if (!window.confirm(t.removeMemberConfirm)) return
    try {
      await api.remove('cgi', c.id)
      refresh(AFFECTED, t.memberRemoved)
    } catch (err) {
      notifyError(err)
    }
  }

  const table = (rows: Cgi[], testid: string, active: boolean) => (
    <Table.ScrollContainer minWidth={420}>
      <Table verticalSpacing={4} fz="sm" striped data-testid={testid}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t.pupil}</Table.Th>
            <Table.Th>{t.from}</Table.Th>
            <Table.Th>{t.till}</Table.Th>
            {writable && <Table.Th>{t.actions}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((c) => (
            <Table.Tr key={c.id} data-testid="member-row" data-id={c.id} data-customer={c.customer_id}>
              <Table.Td>
                <Anchor component={Link} href={`/customers/${c.customer_id}`} fz="sm">
                  {name(c.customer_id)}
                </Anchor>
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{date(c.b_date)}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }} data-testid="member-till">
                {c.e_date ? date(c.e_date) : t.openEnd}
              </Table.Td>
              {writable && (
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    {active && (
                      <Button
                        size="compact-xs"
                        variant="light"
                        color="orange"
                        aria-label={t.endMemberOf(name(c.customer_id))}
                        onClick={() => setEnding(c)}
                        data-testid="member-end"
                      >
                        {t.endShort}
                      </Button>
                    )}
                    <ActionIcon
                      size="sm"
                      variant="subtle"
                      color="red"
                      aria-label={t.removeMemberOf(name(c.customer_id))}
                      onClick={() => void remove(c)}
                      data-testid="member-remove"
                    >
                      <span aria-hidden="true">✕</span>
                    </ActionIcon>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  )

  return (
    <Paper withBorder p="md" data-testid="members">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={2} size="h4">
            {t.membersTitle}
            {q.data && (
              <Text span c="dimmed" fz="sm" ml="xs" data-testid="members-count">
                {current.length}
              </Text>
            )}
          </Title>
          {writable && (
            <Button size="xs" onClick={() => setAdding(true)} data-testid="member-add">
              {t.addMember}
            </Button>
          )}
        </Group>
        {q.isLoading ? (
          <Loader size="sm" aria-label={m.app.loading} />
        ) : current.length === 0 ? (
          <Text c="dimmed" size="sm">
            {t.noMembers}
          </Text>
        ) : (
          table(current, 'members-current', true)
        )}
        {future.length > 0 && (
          <>
            <Title order={3} size="h5">
              {t.futureTitle}
            </Title>
            {table(future, 'members-future', true)}
          </>
        )}
        <Title order={3} size="h5">
          {t.endedTitle}
        </Title>
        {ended.length === 0 ? (
          <Text c="dimmed" size="sm">
            {t.noEnded}
          </Text>
        ) : (
          table(ended, 'members-ended', false)
        )}
      </Stack>
      <Modal opened={adding} onClose={() => setAdding(false)} title={t.addMemberTitle}>
        {adding && (
          <AddMember
            groupId={props.groupId}
            onDone={() => {
              refresh(AFFECTED, t.memberAdded)
              setAdding(false)
            }}
            onCancel={() => setAdding(false)}
          />
        )}
      </Modal>
      <Modal
        opened={ending !== null}
        onClose={() => setEnding(null)}
        title={ending ? t.endMemberTitle(name(ending.customer_id)) : ''}
      >
        {ending && (
          <EndMember
            membership={ending}
            onDone={() => {
              refresh(AFFECTED, t.memberEnded)
              setEnding(null)
            }}
            onCancel={() => setEnding(null)}
          />
        )}
      </Modal>
    </Paper>
  )
}

function AddMember(props: { groupId: number; onDone: () => void; onCancel: () => void }) {
  const { api } = useSession()
  const [customer, setCustomer] = useState<number | null>(null)
  const [from, setFrom] = useState(today())
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault()
    if (!customer) {
      setErrors({ customer_id: m.errors.checkFields })
      return
    }
    setBusy(true)
    setErrors({})
    try {
      await api.create(
        'cgi',
        { b_date: from ? date(from) : undefined },
        { customer_id: customer, group_id: props.groupId },
      )
      props.onDone()
    } catch (err) {
      showSaveError(err, setErrors)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit} data-testid="member-form">
      <Stack>
        <CustomerSelect
          label={t.pupil}
          value={customer}
          onChange={setCustomer}
          error={errors.customer_id}
          required
          testid="member-customer"
        />
        <DateField
          label={t.memberFrom}
          value={from}
          onChange={setFrom}
          error={errors.b_date}
          required
          testid="member-from"
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={busy} data-testid="member-save">
            {t.addMember}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

function EndMember(props: { membership: Cgi; onDone: () => void; onCancel: () => void }) {
  const { api } = useSession()
  const b = isoDate(props.membership.b_date)
  const [till, setTill] = useState(later(b, today()))
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    try {
      await api.update('cgi', props.membership.id, { e_date: till ? date(till) : null })
      props.onDone()
    } catch (err) {
      showSaveError(err, (f) => setError(f.e_date ?? Object.values(f)[0]))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit} data-testid="member-end-form">
      <Stack>
        <DateField
          label={t.endDate}
          value={till}
          onChange={setTill}
          error={error}
          required
          testid="member-end-date"
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" color="orange" loading={busy} data-testid="member-end-save">
            {t.endMember}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
