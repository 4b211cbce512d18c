import { Alert, Box, Button, Center, CloseButton, Group, Loader, Stack, Text, TextInput } from '@mantine/core'
import type { ReactNode } from 'react'
import { m } from '../i18n'
import { errorText } from './errors'
import { Pager } from './Pager'

/**
 * The frame the paged lists (groups, teachers, users) share around their table: how many were found and
 * «reset filters» above it; the error with a retry, the loader, or the empty text in its place; the range
 * and the pager below. `testId` prefixes the parts' test ids (`groups-total`, `groups-error` …).
 */

/** The search box above a list, with a button that empties it. */
export function ListSearch(props: {
  testId: string
  label: string
  placeholder: string
  value: string
  onChange: (value: string) => void
}) {
  return (
    <TextInput
      label={props.label}
      placeholder={props.placeholder}
      value={props.value}
      onChange={(e) => props.onChange(e.currentTarget.value)}
      type="search"
      w={{ base: '100%', sm: 240 }}
      data-testid={props.testId}
      rightSection={
        props.value ? (
          <CloseButton aria-label={m.app.close} onClick={() => props.onChange('')} size="sm" />
        ) : null
      }
    />
  )
}

/** Above the table: the exact total, a spinner while a newer answer is on its way, and the reset button. */
export function ListSummary(props: {
  testId: string
  total: number | undefined
  found: (n: number) => string
  fetching: boolean
  narrowed: boolean
  resetLabel: string
  onReset: () => void
}) {
  return (
    <Group justify="space-between" wrap="wrap" mih={28}>
      <Group gap="md">
        {props.total !== undefined && (
          <Text fw={500} data-testid={`${props.testId}-total`} data-total={props.total}>
            {props.found(props.total)}
          </Text>
        )}
        {props.fetching && <Loader size="xs" aria-label={m.app.loading} />}
      </Group>
      {props.narrowed && (
        <Button variant="subtle" size="compact-sm" onClick={props.onReset}>
          {props.resetLabel}
        </Button>
      )}
    </Group>
  )
}

/** What the frame reads of a list's query (TanStack Query's result). */
export interface ListQueryState {
  isError: boolean
  error: unknown
  data: unknown
  /** The previous page is shown while the next one loads: dimmed and marked busy. */
  isPlaceholderData?: boolean
  refetch: () => unknown
}

/**
 * The table, or what stands in its place: the query's error with a retry, the loader until its first
 * answer, or the empty text.
 */
export function ListStates(props: {
  testId: string
  query: ListQueryState
  loadError: string
  empty: boolean
  emptyText: string
  children: ReactNode
}) {
  const { query } = props
  if (query.isError)
    return (
      <Alert color="red" title={props.loadError} data-testid={`${props.testId}-error`}>
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{errorText(query.error)}</Text>
          <Button size="xs" variant="light" color="red" onClick={() => void query.refetch()}>
            {m.app.retry}
          </Button>
        </Stack>
      </Alert>
    )
  if (query.data === undefined)
    return (
      <Center h={200} aria-busy="true">
        <Loader aria-label={m.app.loading} />
      </Center>
    )
  if (props.empty)
    return (
      <Center h={160} data-testid={`${props.testId}-empty`}>
        <Text c="dimmed">{props.emptyText}</Text>
      </Center>
    )
  return (
    <Box aria-busy={query.isPlaceholderData ?? false} style={{ opacity: query.isPlaceholderData ? 0.6 : 1 }}>
      {props.children}
    </Box>
  )
}

/** Below the table: «1–50 of 120» and the pager, when there is more than one page. */
export function ListPaging(props: {
  testId: string
  from: number
  to: number
  total: number
  page: number
  pages: number
  label: string
  onPage: (page: number) => void
}) {
  return (
    <Group justify="space-between" wrap="wrap">
      <Text size="sm" data-testid={`${props.testId}-range`}>
        {m.app.page(props.from, props.to, props.total)}
      </Text>
      {props.pages > 1 && (
        <Box component="nav" aria-label={props.label}>
          <Pager
            total={props.pages}
            value={props.page + 1}
            onChange={props.onPage}
            siblings={1}
            boundaries={1}
            size="sm"
          />
        </Box>
      )}
    </Group>
  )
}
