import { Anchor, Badge, Button, Group, Select, Stack, Table, Title } from '@mantine/core'
import { Link } from 'wouter'
import type { FilterOf } from '../../api/client'
import { ListPaging, ListSearch, ListStates, ListSummary } from '../../app/ListFrame'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { phone } from '../../lib/format'
import { useDictionary, useList } from '../../lib/queries'
import { PAGE_SIZE, pageOf, useDebouncedSearch, useUrlState } from '../groups/common'

const t = m.teachers
const KEYS = ['q', 'subject', 'archive'] as const
const ARCHIVE: Record<string, 0 | 1 | 2> = { '': 0, all: 1, archived: 2 }

/** `/teachers` — the branch's teachers: filters in the URL, exact total, pages of 50. */
export default function TeachersPage() {
  const { canWrite } = useSession()
  const [state, update] = useUrlState(KEYS)
  const page = pageOf(state.page)
  const [text, setText] = useDebouncedSearch(state.q, (q, replace) => update({ q }, replace))
  const subjects = useDictionary('subject')
  const branches = useDictionary('branch')
  const filter: FilterOf<'teacher'> = { removed: ARCHIVE[state.archive] ?? 0 }
  if (state.q.trim()) filter.name = state.q.trim()
  if (state.subject) filter.subject_id = Number(state.subject)
  const list = useList('teacher', { ...filter, page, count: PAGE_SIZE })
  const items = list.data?.items ?? []
  const total = list.data?.total
  const pages = total === undefined ? 0 : Math.ceil(total / PAGE_SIZE)
  const narrowed = !!(state.q.trim() || state.subject || state.archive)
  const names = (ids: number[], dict: { byId: Map<number, { name: string }> }) =>
    ids.map((id) => dict.byId.get(id)?.name ?? `#${id}`).join(', ')

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Title order={1} size="h2">
          {t.title}
        </Title>
        {canWrite('teacher') && (
          <Button component={Link} href="/teachers/new" data-testid="teacher-create">
            {t.create}
          </Button>
        )}
      </Group>
      <Group gap="sm" align="flex-end" wrap="wrap">
        <ListSearch
          testId="teachers-search"
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
          data-testid="teachers-subject"
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
          data-testid="teachers-archive"
        />
      </Group>
      <ListSummary
        testId="teachers"
        total={total}
        found={t.found}
        fetching={list.isFetching}
        narrowed={narrowed}
        resetLabel={t.resetFilters}
        onReset={() => update({ q: '', subject: '', archive: '' })}
      />
      <ListStates
        testId="teachers"
        query={list}
        loadError={t.loadError}
        empty={items.length === 0}
        emptyText={narrowed ? t.emptyFiltered : t.empty}
      >
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover verticalSpacing={6} fz="sm" data-testid="teachers-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t.col.name}</Table.Th>
                <Table.Th>{t.col.phones}</Table.Th>
                <Table.Th>{t.col.subjects}</Table.Th>
                <Table.Th>{t.col.branches}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr key={r.id} data-testid="teacher-row" data-id={r.id}>
                  <Table.Td miw={200}>
                    <Anchor
                      component={Link}
                      href={`/teachers/${r.id}`}
                      fw={500}
                      fz="sm"
                      data-testid="teacher-name"
                    >
                      {r.name}
                    </Anchor>
                    {r.removed === 1 && (
                      <Badge ml="xs" size="xs" color="gray">
                        {t.archivedBadge}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    {r.phone.length === 0 ? t.noValue : r.phone.map((p) => <div key={p}>{phone(p)}</div>)}
                  </Table.Td>
                  <Table.Td>{names(r.subject_ids, subjects) || t.noValue}</Table.Td>
                  <Table.Td>{names(r.branch_ids, branches) || t.noValue}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </ListStates>
      {list.data !== undefined && items.length > 0 && (
        <ListPaging
          testId="teachers"
          from={page * PAGE_SIZE + 1}
          to={page * PAGE_SIZE + items.length}
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
