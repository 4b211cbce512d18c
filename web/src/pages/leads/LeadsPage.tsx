import { Badge, Group, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { notifications } from '@mantine/notifications'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { CustomerInput, LeadStatus } from '../../api/models.gen'
import { errorText } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { useDictionary } from '../../lib/queries'
import { type BoardFilter, type Lead, LeadColumn, leadsKey, type MoveTarget } from './LeadColumn'
import { moveOptimistically } from './optimistic'

/** The funnel: one column per lead stage, cards dragged (or moved from their menu) between stages. */
export default function LeadsPage() {
  const { canWrite, canRead } = useSession()
  const statuses = useDictionary('lead-status')
  const sources = useDictionary('lead-source')
  const rejects = useDictionary('lead-reject')
  const users = useDictionary('user', {}, canRead('user'))
  const [source, setSource] = useState<string | null>(null)
  const [search, setSearch] = useState('')
  const [name] = useDebouncedValue(search.trim(), 300)
  const filter: BoardFilter = { lead_source_id: source ? Number(source) : undefined, name: name || undefined }
  const move = useLeadUpdate()
  const writable = canWrite('customer')

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Title order={1} size="h2">
          {m.leads.title}
        </Title>
        <Group gap="sm" wrap="wrap" align="flex-end">
          <Select
            label={m.leads.source}
            placeholder={m.leads.anySource}
            data={sources.options}
            value={source}
            onChange={setSource}
            clearable
            w={200}
            data-testid="leads-source"
          />
          <TextInput
            label={m.leads.search}
            type="search"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            w={220}
            data-testid="leads-search"
          />
        </Group>
      </Group>
      <Summary sources={sources.items} rejects={rejects.items} />
      <Text size="sm" c="dimmed">
        {writable ? m.leads.dragHint : m.leads.readonly}
      </Text>
      <section
        aria-label={m.leads.board}
        data-testid="leads-board"
        style={{ display: 'flex', gap: 12, overflowX: 'auto', paddingBottom: 8, alignItems: 'flex-start' }}
      >
        {statuses.items.map((s: LeadStatus) => (
          <LeadColumn
            key={s.id}
            status={s}
            statuses={statuses.items}
            rejects={rejects.items}
            sourceName={(id) => (id ? (sources.byId.get(id)?.name ?? `#${id}`) : '')}
            userName={(id) => (id ? (users.byId.get(id)?.name ?? `#${id}`) : '')}
            filter={filter}
            writable={writable}
            onMove={(lead, target) => move.mutate({ lead, target })}
          />
        ))}
      </section>
    </Stack>
  )
}

/** Saves a card's move, conversion or rejection; the board shows it at once and takes it back on error. */
function useLeadUpdate() {
  const { api, branch } = useSession()
  const queries = useQueryClient()
  const statuses = useDictionary('lead-status')
  return useMutation({
    mutationFn: ({ lead, target }: { lead: Lead; target: MoveTarget }) => {
      const input: CustomerInput =
        target.kind === 'stage'
          ? { lead_status_id: target.statusId }
          : target.kind === 'convert'
            ? { is_study: 1 }
            : { lead_reject_id: target.rejectId }
      return api.update('customer', lead.id, input)
    },
    onMutate: async ({ lead, target }) => {
      await queries.cancelQueries({ queryKey: leadsKey(branch) })
      return moveOptimistically(queries, branch, lead, target)
    },
    onError: (err, _vars, rollback) => {
      rollback?.()
      notifications.show({ color: 'red', title: m.leads.moveFailed, message: errorText(err) })
    },
    onSuccess: (_saved, { lead, target }) => {
      const message =
        target.kind === 'stage'
          ? m.leads.moved(lead.name, statuses.byId.get(target.statusId)?.name ?? '')
          : target.kind === 'convert'
            ? m.leads.converted(lead.name)
            : m.leads.rejectSaved(lead.name)
      notifications.show({ color: 'green', message })
    },
    onSettled: () => queries.invalidateQueries({ queryKey: [branch, 'customer'] }),
  })
}

/** How many calls the summary may make for its counts. */
const COUNT_BUDGET = 10

/** Lead sources and reject reasons with the number of leads of each (the first ten have counts). */
function Summary(props: {
  sources: Array<{ id: number; name: string }>
  rejects: Array<{ id: number; name: string }>
}) {
  const { api, branch } = useSession()
  const counted = [
    ...props.sources.map((s) => ({ key: 'lead_source_id' as const, id: s.id })),
    ...props.rejects.map((r) => ({ key: 'lead_reject_id' as const, id: r.id })),
  ].slice(0, COUNT_BUDGET)
  const counts = useQuery({
    queryKey: [branch, 'customer', 'lead-summary', counted],
    queryFn: async () => {
      const totals = await Promise.all(
        counted.map((c) =>
          api.indexBatched('customer', { is_study: 0, [c.key]: c.id, count: 1 }).then((r) => r.total),
        ),
      )
      return new Map(counted.map((c, i) => [`${c.key}:${c.id}`, totals[i]!]))
    },
    enabled: counted.length > 0,
  })
  const count = (key: string, id: number) => counts.data?.get(`${key}:${id}`)
  const row = (title: string, key: string, items: Array<{ id: number; name: string }>, testid: string) => (
    <Group gap="xs" wrap="wrap" data-testid={testid}>
      <Text size="sm" fw={600}>
        {title}:
      </Text>
      {items.map((it) => (
        <Badge key={it.id} variant="light" color="gray" tt="none" data-id={it.id}>
          {it.name} · {count(key, it.id) ?? m.leads.noCount}
        </Badge>
      ))}
    </Group>
  )
  return (
    <Paper
      withBorder
      p="sm"
      radius="md"
      component="aside"
      aria-label={`${m.leads.sources}, ${m.leads.rejects}`}
    >
      <Stack gap={6}>
        {row(m.leads.sources, 'lead_source_id', props.sources, 'leads-sources')}
        {props.rejects.length > 0 && row(m.leads.rejects, 'lead_reject_id', props.rejects, 'leads-rejects')}
      </Stack>
    </Paper>
  )
}
