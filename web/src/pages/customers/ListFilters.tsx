import { Checkbox, Select, Stack } from '@mantine/core'
import { useState } from 'react'
import { MODELS } from '../../api/models.gen'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { useDictionary } from '../../lib/queries'
import type { ListState } from './ListQuery'

type Patch = Partial<Omit<ListState, 'page'>>

const labels = MODELS.customer.labels

/**
 * The list's filters: statuses of the tab, source, the responsible manager (any user for an admin, who
 * may read the users; "mine" for everyone else), debtors and those without an upcoming lesson.
 */
export function ListFilters(props: { state: ListState; onChange(patch: Patch): void }) {
  const { state: s, onChange } = props
  const { user, canRead } = useSession()
  const study = useDictionary('study-status')
  const lead = useDictionary('lead-status')
  const sources = useDictionary('lead-source')
  const admin = canRead('user')
  // The users are read when the manager filter is opened (or already set), not with every list.
  const [wantUsers, setWantUsers] = useState(s.assigned !== '')
  const users = useDictionary('user', {}, admin && wantUsers)
  const own = String(user.id)

  const select = (
    key: 'studyStatus' | 'leadStatus' | 'source' | 'assigned',
    label: string,
    data: Array<{ value: string; label: string }>,
    placeholder: string,
  ) => (
    <Select
      key={key}
      label={label}
      data={data}
      value={s[key] || null}
      onChange={(v) => onChange({ [key]: v ?? '' })}
      placeholder={placeholder}
      clearable
      searchable={data.length > 8}
      w={180}
      size="sm"
      data-testid={`filter-${key}`}
      comboboxProps={{ withinPortal: true }}
      onDropdownOpen={key === 'assigned' ? () => setWantUsers(true) : undefined}
    />
  )

  return (
    <>
      {s.tab !== 'leads' &&
        select('studyStatus', labels.study_status_id, study.options, m.customers.anyStatus)}
      {s.tab !== 'students' &&
        select('leadStatus', labels.lead_status_id, lead.options, m.customers.anyStatus)}
      {select('source', labels.lead_source_id, sources.options, m.customers.anySource)}
      {admin ? (
        select('assigned', labels.assigned_id, users.options, m.customers.anyone)
      ) : (
        <Checkbox
          label={`${labels.assigned_id}: ${m.customers.mine}`}
          checked={s.assigned === own}
          onChange={(e) => onChange({ assigned: e.currentTarget.checked ? own : '' })}
          data-testid="filter-mine"
          mb={8}
        />
      )}
      <Stack gap={6} mb={2}>
        <Checkbox
          label={m.customers.debtors}
          checked={s.debtors}
          onChange={(e) => onChange({ debtors: e.currentTarget.checked })}
          data-testid="filter-debtors"
        />
        <Checkbox
          label={m.customers.noNextLesson}
          checked={s.noNextLesson}
          onChange={(e) => onChange({ noNextLesson: e.currentTarget.checked })}
          data-testid="filter-no-next-lesson"
        />
      </Stack>
    </>
  )
}
