import { ActionIcon, Anchor, Badge, Button, Group, Loader, Menu, Paper, Stack, Text } from '@mantine/core'
import { type InfiniteData, useInfiniteQuery } from '@tanstack/react-query'
import { type DragEvent, useState } from 'react'
import { Link } from 'wouter'
import type { ListReply } from '../../api/client'
import type { Customer, CustomerFilter, LeadReject, LeadStatus } from '../../api/models.gen'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, phone } from '../../lib/format'

export type Lead = Customer
export type LeadPages = InfiniteData<ListReply<Lead>, number>
export type BoardFilter = Pick<CustomerFilter, 'lead_source_id' | 'name'>
export type MoveTarget =
  | { kind: 'stage'; statusId: number }
  | { kind: 'convert' }
  | { kind: 'reject'; rejectId: number }

/** Cards a column loads at a time. */
export const COLUMN_PAGE = 50

/** The query key of every board column (a prefix of one column's key). */
export const leadsKey = (branch: number) => [branch, 'customer', 'lead-board'] as const

const DRAG_TYPE = 'application/x-parta-lead'

/** One funnel stage: its exact count, its first 50 leads and "show more". Cards are dropped here. */
export function LeadColumn(props: {
  status: LeadStatus
  statuses: LeadStatus[]
  rejects: LeadReject[]
  sourceName: (id: number | null) => string
  userName: (id: number | null) => string
  filter: BoardFilter
  writable: boolean
  onMove: (lead: Lead, target: MoveTarget) => void
}) {
  const { api, branch } = useSession()
  const { status, filter } = props
  const [over, setOver] = useState(false)
  const q = useInfiniteQuery({
    queryKey: [...leadsKey(branch), status.id, filter],
    // The columns load together: their first pages go as one batch with the board's other reads.
    queryFn: ({ pageParam }) =>
      api.indexBatched('customer', {
        is_study: 0,
        lead_status_id: status.id,
        ...filter,
        page: pageParam,
        count: COLUMN_PAGE,
      }),
    initialPageParam: 0,
    getNextPageParam: (last, pages) =>
      pages.reduce((n, p) => n + p.items.length, 0) < last.total && last.items.length > 0
        ? pages.length
        : undefined,
  })
  const leads = q.data?.pages.flatMap((p) => p.items) ?? []
  const total = q.data?.pages[0]?.total
  const rest = total === undefined ? 0 : total - leads.length

  const drop = (e: DragEvent) => {
    e.preventDefault()
    setOver(false)
    const raw = e.dataTransfer.getData(DRAG_TYPE)
    if (!raw) return
    const lead = JSON.parse(raw) as Lead
    if (lead.lead_status_id !== status.id) props.onMove(lead, { kind: 'stage', statusId: status.id })
  }
  const dropProps = props.writable
    ? {
        onDragOver: (e: DragEvent) => {
          if (!e.dataTransfer.types.includes(DRAG_TYPE)) return
          e.preventDefault()
          e.dataTransfer.dropEffect = 'move'
          setOver(true)
        },
        onDragLeave: () => setOver(false),
        onDrop: drop,
      }
    : {}

  return (
    <Paper
      component="section"
      aria-label={m.leads.column(status.name, total ?? 0)}
      withBorder
      radius="md"
      p="xs"
      bg={over ? 'blue.0' : 'gray.0'}
      style={{
        flex: '0 0 272px',
        minHeight: 160,
        borderColor: over ? 'var(--mantine-color-blue-5)' : undefined,
      }}
      data-testid={`lead-column-${status.id}`}
      data-status-id={status.id}
      {...dropProps}
    >
      <Group justify="space-between" wrap="nowrap" mb="xs" px={4}>
        <Text fw={600} size="sm" truncate>
          {status.name}
        </Text>
        <Badge variant="filled" color={status.color || 'blue'} data-testid="lead-column-count">
          {total ?? '…'}
        </Badge>
      </Group>
      <Stack gap={8}>
        {q.isLoading && <Loader size="sm" mx="auto" aria-label={m.app.loading} />}
        {!q.isLoading && leads.length === 0 && (
          <Text size="sm" c="dimmed" ta="center" py="sm">
            {m.leads.emptyColumn}
          </Text>
        )}
        {leads.map((lead) => (
          <LeadCard key={lead.id} lead={lead} {...props} />
        ))}
        {rest > 0 && (
          <Button
            variant="subtle"
            size="xs"
            onClick={() => void q.fetchNextPage()}
            loading={q.isFetchingNextPage}
            data-testid="lead-column-more"
          >
            {m.leads.showMore(rest)}
          </Button>
        )}
      </Stack>
    </Paper>
  )
}

function LeadCard(props: {
  lead: Lead
  statuses: LeadStatus[]
  rejects: LeadReject[]
  sourceName: (id: number | null) => string
  userName: (id: number | null) => string
  writable: boolean
  onMove: (lead: Lead, target: MoveTarget) => void
}) {
  const { lead, writable } = props
  const reject = lead.lead_reject_id ? props.rejects.find((r) => r.id === lead.lead_reject_id) : undefined
  const source = props.sourceName(lead.lead_source_id)
  const assigned = props.userName(lead.assigned_id)
  return (
    <Paper
      withBorder
      radius="sm"
      p="xs"
      shadow="xs"
      draggable={writable}
      onDragStart={(e: DragEvent) => {
        e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(lead))
        e.dataTransfer.effectAllowed = 'move'
      }}
      style={{ cursor: writable ? 'grab' : undefined }}
      data-testid={`lead-card-${lead.id}`}
      data-lead-id={lead.id}
    >
      <Group justify="space-between" wrap="nowrap" gap={4} align="flex-start">
        <Anchor component={Link} href={`/customers/${lead.id}`} fw={500} size="sm" draggable={false}>
          {lead.name}
        </Anchor>
        {writable && <CardMenu {...props} />}
      </Group>
      {lead.phone[0] && (
        <Text size="xs" aria-label={m.leads.phone}>
          {phone(lead.phone[0])}
        </Text>
      )}
      <Group gap={6} mt={4} wrap="wrap">
        {source && (
          <Badge size="xs" variant="light" tt="none" title={m.leads.source}>
            {source}
          </Badge>
        )}
        {reject && (
          <Badge size="xs" variant="light" color="red" tt="none">
            {m.leads.rejected(reject.name)}
          </Badge>
        )}
      </Group>
      <Text size="xs" c="dimmed" mt={4}>
        {m.leads.created} {date(lead.b_date)}
        {assigned && ` · ${m.leads.assigned}: ${assigned}`}
      </Text>
    </Paper>
  )
}

/** The keyboard way to do what dragging does, and the conversion and rejection. */
function CardMenu(props: {
  lead: Lead
  statuses: LeadStatus[]
  rejects: LeadReject[]
  onMove: (lead: Lead, target: MoveTarget) => void
}) {
  const { lead } = props
  return (
    <Menu position="bottom-end" width={240} withinPortal>
      <Menu.Target>
        <ActionIcon
          variant="subtle"
          color="gray"
          size="sm"
          aria-label={m.leads.actions(lead.name)}
          data-testid="lead-menu"
        >
          <span aria-hidden="true">⋯</span>
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{m.leads.moveTo}</Menu.Label>
        {props.statuses
          .filter((s) => s.id !== lead.lead_status_id)
          .map((s) => (
            <Menu.Item key={s.id} onClick={() => props.onMove(lead, { kind: 'stage', statusId: s.id })}>
              {s.name}
            </Menu.Item>
          ))}
        <Menu.Divider />
        <Menu.Item
          color="green"
          onClick={() => props.onMove(lead, { kind: 'convert' })}
          data-testid="lead-convert"
        >
          {m.leads.convert}
        </Menu.Item>
        {props.rejects.length > 0 && (
          <>
            <Menu.Divider />
            <Menu.Label>{m.leads.reject}</Menu.Label>
            {props.rejects.map((r) => (
              <Menu.Item
                key={r.id}
                color="red"
                disabled={r.id === lead.lead_reject_id}
                onClick={() => props.onMove(lead, { kind: 'reject', rejectId: r.id })}
              >
                {r.name}
              </Menu.Item>
            ))}
          </>
        )}
      </Menu.Dropdown>
    </Menu>
  )
}
