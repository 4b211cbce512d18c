import { Select } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useSession } from '../../app/session'
import { m } from '../../i18n'

/** Every customer, lead or student, archived or not. */
const EVERYONE = { is_study: 2, removed: 1 } as const

/** A customer picked by name: the list is the server's `name` search, 20 at a time. */
export function CustomerSelect(props: {
  label: string
  value: number | null
  onChange: (id: number | null) => void
  error?: string
  required?: boolean
  testid?: string
  w?: number | string
}) {
  const { api, branch } = useSession()
  const [search, setSearch] = useState('')
  const [name] = useDebouncedValue(search.trim(), 250)
  const chosen = useQuery({
    queryKey: [branch, 'customer', 'get', props.value, EVERYONE],
    queryFn: () => api.get('customer', props.value!, EVERYONE),
    enabled: !!props.value,
  })
  const found = useQuery({
    queryKey: [branch, 'customer', 'pick', name],
    queryFn: () => api.index('customer', { ...EVERYONE, name: name || undefined, count: 20 }),
    placeholderData: keepPreviousData,
  })
  const options = (found.data?.items ?? []).map((c) => ({ value: String(c.id), label: c.name }))
  const current = props.value ? chosen.data : null
  if (current && !options.some((o) => o.value === String(current.id)))
    options.unshift({ value: String(current.id), label: current.name })
  return (
    <Select
      label={props.label}
      placeholder={m.payments.customerSearch}
      data={options}
      value={props.value ? String(props.value) : null}
      onChange={(v) => props.onChange(v ? Number(v) : null)}
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      // The server already matched the name; no second filtering here.
      filter={({ options: all }) => all}
      nothingFoundMessage={m.app.empty}
      clearable
      error={props.error}
      required={props.required}
      data-testid={props.testid}
      w={props.w}
    />
  )
}
