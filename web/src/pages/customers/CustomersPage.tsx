import { Badge, Button, CloseButton, Group, Loader, Stack, Tabs, Text, TextInput, Title } from '@mantine/core'
import { useEffect, useMemo, useRef, useState } from 'react'
import { Link, useLocation, useSearch } from 'wouter'
import type { RecordOf } from '../../api/client'
import { ListPaging, ListStates } from '../../app/ListFrame'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date } from '../../lib/format'
import { useDictionary, useList } from '../../lib/queries'
import { CsvButton } from './CsvButton'
import type { Names } from './CsvExport'
import { ListFilters } from './ListFilters'
import {
  isNarrowed,
  type ListState,
  listFilter,
  listRead,
  PAGE_SIZE,
  readState,
  TABS,
  type Tab,
  tabFilter,
  writeState,
} from './ListQuery'
import { ListTable } from './ListTable'

const t = m.customers
/** The period filters the dashboard's links set (no control of their own: shown as removable chips). */
const NO_PERIODS = { tillFrom: '', tillTo: '', createdFrom: '', createdTo: '' }

function PeriodChips(props: { state: ListState; onChange(patch: Partial<ListState>): void }) {
  const { state: s, onChange } = props
  const chip = (label: string, testid: string, patch: Partial<ListState>) => (
    <Badge
      key={testid}
      variant="light"
      size="lg"
      tt="none"
      data-testid={testid}
      rightSection={
        <CloseButton size="xs" aria-label={m.dashboard.chips.remove(label)} onClick={() => onChange(patch)} />
      }
    >
      {label}
    </Badge>
  )
  const chips = [
    (s.tillFrom || s.tillTo) &&
      chip(m.dashboard.chips.till(date(s.tillFrom), date(s.tillTo)), 'filter-chip-till', {
        tillFrom: '',
        tillTo: '',
      }),
    (s.createdFrom || s.createdTo) &&
      chip(m.dashboard.chips.created(date(s.createdFrom), date(s.createdTo)), 'filter-chip-created', {
        createdFrom: '',
        createdTo: '',
      }),
  ].filter(Boolean)
  return chips.length > 0 ? <Group gap="xs">{chips}</Group> : null
}
/** How long the search waits after the last keystroke before it asks. */
const SEARCH_DELAY_MS = 250

/** The list state from the URL, and a way to change it (a new history entry unless `replace`). */
function useListState(): [ListState, (patch: Partial<ListState>, replace?: boolean) => void] {
  const search = useSearch()
  const [location, navigate] = useLocation()
  const state = useMemo(() => readState(search), [search])
  const update = (patch: Partial<ListState>, replace = false) => {
    // Anything but a page change starts again from the first page.
    const next = { ...state, page: 0, ...patch }
    const qs = writeState(next)
    navigate(`${location}${qs ? `?${qs}` : ''}`, { replace })
  }
  return [state, update]
}

/** The total of a tab as the index tells it (a one-record page: only the count matters). */
function TabTotal(props: { tab: Tab; ready: boolean }) {
  // Asked once the list itself has come: the list is what the user waits for.
  const q = useList('customer', { ...tabFilter(props.tab), count: 1 }, props.ready)
  if (q.data === undefined) return null
  return (
    <Badge variant="light" color="gray" ml={6} data-testid={`tab-total-${props.tab}`}>
      {q.data.total}
    </Badge>
  )
}

/** The search box: the URL follows it a moment after the last keystroke, and it follows the URL (Back). */
function SearchBox(props: { value: string; onSearch(q: string, replace: boolean): void }) {
  const [text, setText] = useState(props.value)
  const written = useRef(props.value)
  const { value, onSearch } = props
  useEffect(() => {
    if (value !== written.current) {
      written.current = value
      setText(value)
    }
  }, [value])
  useEffect(() => {
    if (text === written.current) return
    const timer = setTimeout(() => {
      // The first letters of a search make a history entry; the following ones refine it.
      const replace = written.current.trim() !== ''
      written.current = text
      onSearch(text, replace)
    }, SEARCH_DELAY_MS)
    return () => clearTimeout(timer)
  }, [text, onSearch])
  return (
    <TextInput
      label={t.search}
      placeholder={t.searchPlaceholder}
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      type="search"
      w={{ base: '100%', sm: 280 }}
      data-testid="customers-search"
      rightSection={
        text ? <CloseButton aria-label={t.clearSearch} onClick={() => setText('')} size="sm" /> : null
      }
    />
  )
}

export default function CustomersPage() {
  const { canWrite } = useSession()
  const [state, update] = useListState()
  const filter = useMemo(() => listFilter(state), [state])
  const read = useMemo(() => listRead(state), [state])
  const list = useList('customer', read)
  const study = useDictionary('study-status')
  const lead = useDictionary('lead-status')
  const sources = useDictionary('lead-source')
  const names: Names = {
    status: (c: RecordOf<'customer'>) =>
      (c.is_study === 1
        ? study.byId.get(c.study_status_id ?? 0)?.name
        : lead.byId.get(c.lead_status_id ?? 0)?.name) ?? '',
    source: (c: RecordOf<'customer'>) => sources.byId.get(c.lead_source_id ?? 0)?.name ?? '',
  }
  // A stable callback for the search box's timer.
  const updateRef = useRef(update)
  updateRef.current = update
  const onSearch = useMemo(() => (q: string, replace: boolean) => updateRef.current({ q }, replace), [])

  const data = list.data
  const total = data?.total
  const pages = total === undefined ? 0 : Math.ceil(total / PAGE_SIZE)
  const from = state.page * PAGE_SIZE + 1
  const to = state.page * PAGE_SIZE + (data?.items.length ?? 0)

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Title order={1} size="h2">
          {t.title}
        </Title>
        <Group gap="sm">
          <CsvButton filter={filter} total={total} names={names} />
          {canWrite('customer') && (
            <Button
              component={Link}
              href={state.tab === 'leads' ? '/customers/new?is_study=0' : '/customers/new'}
              data-testid="customer-create"
            >
              {t.create}
            </Button>
          )}
        </Group>
      </Group>

      <Tabs
        value={state.tab}
        onChange={(v) =>
          v &&
          v !== state.tab &&
          update({
            tab: v as Tab,
            // A status of the other kind does not apply to the new tab.
            studyStatus: v === 'leads' ? '' : state.studyStatus,
            leadStatus: v === 'students' ? '' : state.leadStatus,
          })
        }
      >
        <Tabs.List>
          {TABS.map((tab) => (
            <Tabs.Tab key={tab} value={tab} data-testid={`tab-${tab}`}>
              {t.tabs[tab]}
              <TabTotal tab={tab} ready={list.data !== undefined} />
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>

      <Group gap="sm" align="flex-end" wrap="wrap">
        <SearchBox value={state.q} onSearch={onSearch} />
        <ListFilters state={state} onChange={(patch) => update(patch)} />
      </Group>
      <PeriodChips state={state} onChange={(patch) => update(patch)} />

      <Group justify="space-between" wrap="wrap" mih={28}>
        <Group gap="md">
          {total !== undefined && (
            <Text
              fw={500}
              data-testid="customers-total"
              data-total={total}
              // The search this result answers (absent while an earlier one is still shown): bench/web.
              data-query={list.isPlaceholderData ? undefined : state.q.trim()}
            >
              {t.found(total)}
            </Text>
          )}
          {list.isFetching && <Loader size="xs" aria-label={m.app.loading} />}
        </Group>
        {isNarrowed(state) && (
          <Button
            variant="subtle"
            size="compact-sm"
            onClick={() =>
              update({
                q: '',
                studyStatus: '',
                leadStatus: '',
                source: '',
                assigned: '',
                debtors: false,
                noNextLesson: false,
                ...NO_PERIODS,
              })
            }
          >
            {t.resetFilters}
          </Button>
        )}
      </Group>

      <ListStates
        testId="customers"
        query={list}
        loadError={t.loadError}
        empty={data?.items.length === 0}
        emptyText={isNarrowed(state) ? t.emptyFiltered : t.empty}
      >
        <ListTable
          items={data?.items ?? []}
          names={names}
          sort={state.sort}
          onSort={(sort) => update({ sort })}
        />
      </ListStates>

      {data !== undefined && data.items.length > 0 && (
        <ListPaging
          testId="customers"
          from={from}
          to={to}
          total={data.total}
          page={state.page}
          pages={pages}
          label={t.pages}
          onPage={(p) => update({ page: p - 1 })}
        />
      )}
    </Stack>
  )
}
