import { Anchor, Badge, Button, Group, NumberInput, Select, Stack, Table, Title } from '@mantine/core'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useMemo } from 'react'
import { Link } from 'wouter'
import type { FilterOf, RecordOf } from '../../api/client'
import { ListPaging, ListSearch, ListStates, ListSummary } from '../../app/ListFrame'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { PAGE_SIZE, pageOf, useDebouncedSearch, useUrlState } from './common'

const t = m.groups
const KEYS = ['q', 'subject', 'teacher', 'level', 'archive'] as const
const ARCHIVE: Record<string, 0 | 1 | 2> = { '': 0, all: 1, archived: 2 }

type GroupRec = RecordOf<'group'>

/** `/groups` — the groups of the branch: filters in the URL, exact total, pages of 50. */
export default function GroupsPage() {
  const { api, branch, canWrite } = useSession()
  const [state, update] = useUrlState(KEYS)
  const page = pageOf(state.page)
  const [text, setText] = useDebouncedSearch(state.q, (q, replace) => update({ q }, replace))
  const subjects = useDictionary('subject')
  const teachers = useDictionary('teacher', { removed: 1 })

  // A group has no subject of its own: its subjects are those of its weekly slots (§7.21).
  const bySubject = useQuery({
    queryKey: [branch, 'regular-lesson', 'all', { subject_id: state.subject, related_class: 'Group' }],
    queryFn: () =>
      api.all(
        'regular-lesson',
        { subject_id: Number(state.subject), related_class: 'Group' },
        { limit: 2000 },
      ),
    enabled: state.subject !== '',
  })
  const subjectGroups = state.subject
    ? bySubject.data && [...new Set(bySubject.data.map((r) => r.related_id))]
    : null

  const filter: FilterOf<'group'> = { removed: ARCHIVE[state.archive] ?? 0 }
  if (state.q.trim()) filter.name = state.q.trim()
  if (state.teacher) filter.teacher_id = Number(state.teacher)
  if (state.level) filter.level_id = Number(state.level)
  if (subjectGroups) filter.ids = subjectGroups
  const noneBySubject = subjectGroups !== null && subjectGroups !== undefined && subjectGroups.length === 0
  const list = useQuery({
    queryKey: [branch, 'group', 'index', { ...filter, page, count: PAGE_SIZE }],
    queryFn: () =>
      noneBySubject
        ? Promise.resolve({ total: 0, count: 0, page, items: [] as GroupRec[] })
        : api.index('group', { ...filter, page, count: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    enabled: subjectGroups !== undefined,
  })
  const items = list.data?.items ?? []
  const ids = items.map((g) => g.id)

  // The page's weekly slots, one call: the subjects column.
  const slots = useQuery({
    queryKey: [branch, 'regular-lesson', 'all', { related_class: 'Group', related_id: ids }],
    queryFn: () => api.all('regular-lesson', { related_class: 'Group', related_id: ids }, { limit: 2000 }),
    enabled: ids.length > 0,
  })
  // Current members of every group of the branch in one call (cgi/count by group).
  const counts = useQuery({
    queryKey: [branch, 'cgi', 'count', 'group_id'],
    queryFn: () =>
      api.call<{ groups: Array<{ value: number | null; count: number }> }>('cgi', 'count', {
        group_by: 'group_id',
      }),
    enabled: ids.length > 0,
  })
  const countOf = new Map((counts.data?.groups ?? []).map((g) => [g.value, g.count]))
  const countShown = (id: number) => (counts.data ? (countOf.get(id) ?? 0) : undefined)
  const subjectsOf = useMemo(() => {
    const out = new Map<number, Set<number>>()
    for (const r of slots.data ?? []) {
      if (!out.has(r.related_id)) out.set(r.related_id, new Set())
      out.get(r.related_id)!.add(r.subject_id)
    }
    return out
  }, [slots.data])

  const narrowed = !!(state.q.trim() || state.subject || state.teacher || state.level || state.archive)
  const total = list.data?.total
  const pages = total === undefined ? 0 : Math.ceil(total / PAGE_SIZE)
  const from = page * PAGE_SIZE + 1
  const to = page * PAGE_SIZE + items.length
  const names = (ids: Iterable<number>, dict: { byId: Map<number, { name: string }> }) =>
    [...ids].map((id) => dict.byId.get(id)?.name ?? `#${id}`).join(', ')

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Title order={1} size="h2">
          {t.title}
        </Title>
        {canWrite('group') && (
          <Button component={Link} href="/groups/new" data-testid="group-create">
            {t.create}
          </Button>
        )}
      </Group>

      <Group gap="sm" align="flex-end" wrap="wrap">
        <ListSearch
          testId="groups-search"
          label={t.search}
          placeholder={t.searchPlaceholder}
          value={text}
          onChange={setText}
        />
        <Select
          label={t.subject}
          placeholder={t.anySubject}
          data={subjects.options}
          value={state.subject || null}
          onChange={(v) => update({ subject: v ?? '' })}
          clearable
          searchable
          w={200}
          data-testid="groups-subject"
        />
        <Select
          label={t.teacher}
          placeholder={t.anyTeacher}
          data={teachers.options}
          value={state.teacher || null}
          onChange={(v) => update({ teacher: v ?? '' })}
          clearable
          searchable
          w={220}
          data-testid="groups-teacher"
        />
        <NumberInput
          label={t.level}
          placeholder={t.levelPlaceholder}
          value={state.level === '' ? '' : Number(state.level)}
          onChange={(v) => update({ level: v === '' ? '' : String(v) }, true)}
          min={0}
          allowDecimal={false}
          w={130}
          data-testid="groups-level"
        />
        <Select
          label={t.archive}
          data={[
            { value: 'active', label: t.archiveOptions.active },
            { value: 'all', label: t.archiveOptions.all },
            { value: 'archived', label: t.archiveOptions.archived },
          ]}
          value={state.archive || 'active'}
          onChange={(v) => update({ archive: !v || v === 'active' ? '' : v })}
          allowDeselect={false}
          w={170}
          data-testid="groups-archive"
        />
      </Group>

      <ListSummary
        testId="groups"
        total={total}
        found={t.found}
        fetching={list.isFetching}
        narrowed={narrowed}
        resetLabel={t.resetFilters}
        onReset={() => update({ q: '', subject: '', teacher: '', level: '', archive: '' })}
      />

      <ListStates
        testId="groups"
        // The list, or the subject filter's own read when that is what failed.
        query={bySubject.isError ? bySubject : list}
        loadError={t.loadError}
        empty={items.length === 0}
        emptyText={narrowed ? t.emptyFiltered : t.empty}
      >
        <Table.ScrollContainer minWidth={860}>
          <Table striped highlightOnHover verticalSpacing={6} fz="sm" data-testid="groups-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t.col.name}</Table.Th>
                <Table.Th>{t.col.subjects}</Table.Th>
                <Table.Th>{t.col.teachers}</Table.Th>
                <Table.Th style={{ textAlign: 'right' }}>{t.col.level}</Table.Th>
                <Table.Th style={{ textAlign: 'right', whiteSpace: 'nowrap' }}>{t.col.members}</Table.Th>
                <Table.Th>{t.col.dates}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((g) => (
                <Table.Tr key={g.id} data-testid="group-row" data-id={g.id}>
                  <Table.Td miw={200}>
                    <Anchor
                      component={Link}
                      href={`/groups/${g.id}`}
                      fw={500}
                      fz="sm"
                      data-testid="group-name"
                    >
                      {g.name}
                    </Anchor>
                    {g.removed === 1 && (
                      <Badge ml="xs" size="xs" color="gray">
                        {t.archivedBadge}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{names(subjectsOf.get(g.id) ?? [], subjects) || t.noValue}</Table.Td>
                  <Table.Td>{names(g.teacher_ids, teachers) || t.noValue}</Table.Td>
                  <Table.Td style={{ textAlign: 'right' }}>{g.level_id ?? t.noValue}</Table.Td>
                  <Table.Td
                    style={{ textAlign: 'right', whiteSpace: 'nowrap' }}
                    data-testid="group-members"
                    data-count={countShown(g.id)}
                  >
                    {countShown(g.id) === undefined ? '…' : t.members(countShown(g.id)!, g.limit)}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    {g.b_date || g.e_date ? t.period(date(g.b_date), date(g.e_date)) : t.noValue}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </ListStates>

      {list.data !== undefined && items.length > 0 && (
        <ListPaging
          testId="groups"
          from={from}
          to={to}
          total={list.data.total}
          page={page}
          pages={pages}
          label={t.pages}
          onPage={(p) => update({ page: String(p) })}
        />
      )}
    </Stack>
  )
}
