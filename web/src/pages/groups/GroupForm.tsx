import {
  Button,
  Group,
  MultiSelect,
  NumberInput,
  SimpleGrid,
  Stack,
  Textarea,
  TextInput,
} from '@mantine/core'
import { type FormEvent, useState } from 'react'
import type { GroupInput, Group as GroupRecord } from '../../api/models.gen'
import { MODELS } from '../../api/models.gen'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, isoDate } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { DateField } from '../payments/DateField'
import { showSaveError } from './common'

const L = MODELS.group.labels as Record<string, string>

interface State {
  name: string
  teacher_ids: string[]
  branch_ids: string[]
  level_id: number | ''
  limit: number | ''
  b_date: string
  e_date: string
  note: string
}

function initial(g: GroupRecord | null, branch: number): State {
  return {
    name: g?.name ?? '',
    teacher_ids: (g?.teacher_ids ?? []).map(String),
    branch_ids: (g?.branch_ids ?? [branch]).map(String),
    level_id: g?.level_id ?? '',
    limit: g?.limit ?? 0,
    b_date: g?.b_date ? isoDate(g.b_date) : '',
    e_date: g?.e_date ? isoDate(g.e_date) : '',
    note: g?.note ?? '',
  }
}

function payload(s: State): GroupInput {
  return {
    name: s.name,
    teacher_ids: s.teacher_ids.map(Number),
    branch_ids: s.branch_ids.map(Number),
    level_id: s.level_id === '' ? null : s.level_id,
    limit: s.limit === '' ? 0 : s.limit,
    b_date: s.b_date ? date(s.b_date) : null,
    e_date: s.e_date ? date(s.e_date) : null,
    note: s.note,
  }
}

/** The group's create and edit form (§7.4); a 422's messages appear under their fields. */
export default function GroupForm(props: {
  group: GroupRecord | null
  onSaved: (g: GroupRecord) => void
  onCancel: () => void
}) {
  const { api, branch, user } = useSession()
  const teachers = useDictionary('teacher')
  const branches = useDictionary('branch')
  const [state, setState] = useState(() => initial(props.group, branch))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof State>(k: K, v: State[K]) => setState((s) => ({ ...s, [k]: v }))
  const branchOptions = branches.options.filter(
    (o) => user.role === 'admin' || user.branch_ids.includes(Number(o.value)),
  )
  // A teacher already in the group stays selectable even when archived.
  const teacherOptions = [...teachers.options]
  for (const id of state.teacher_ids)
    if (!teacherOptions.some((o) => o.value === id)) teacherOptions.push({ value: id, label: `#${id}` })

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    try {
      const body = payload(state)
      const saved = props.group
        ? await api.update('group', props.group.id, body)
        : await api.create('group', body)
      props.onSaved(saved)
    } catch (err) {
      showSaveError(err, setErrors)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit} data-testid="group-form">
      <Stack>
        <TextInput
          label={L.name}
          value={state.name}
          onChange={(e) => set('name', e.currentTarget.value)}
          error={errors.name}
          required
          data-testid="group-form-name"
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <MultiSelect
            label={L.teacher_ids}
            data={teacherOptions}
            value={state.teacher_ids}
            onChange={(v) => set('teacher_ids', v)}
            error={errors.teacher_ids}
            searchable
            clearable
            data-testid="group-form-teachers"
          />
          <MultiSelect
            label={L.branch_ids}
            data={branchOptions}
            value={state.branch_ids}
            onChange={(v) => set('branch_ids', v)}
            error={errors.branch_ids}
          />
          <NumberInput
            label={L.level_id}
            value={state.level_id}
            onChange={(v) => set('level_id', v === '' ? '' : Number(v))}
            error={errors.level_id}
            min={0}
            allowDecimal={false}
          />
          <NumberInput
            label={L.limit}
            value={state.limit}
            onChange={(v) => set('limit', v === '' ? '' : Number(v))}
            error={errors.limit}
            min={0}
            allowDecimal={false}
            data-testid="group-form-limit"
          />
          <DateField
            label={L.b_date!}
            value={state.b_date}
            onChange={(v) => set('b_date', v)}
            error={errors.b_date}
            clearable
            testid="group-form-b-date"
          />
          <DateField
            label={L.e_date!}
            value={state.e_date}
            onChange={(v) => set('e_date', v)}
            error={errors.e_date}
            clearable
            testid="group-form-e-date"
          />
        </SimpleGrid>
        <Textarea
          label={L.note}
          value={state.note}
          onChange={(e) => set('note', e.currentTarget.value)}
          error={errors.note}
          autosize
          minRows={2}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={busy} data-testid="group-form-save">
            {props.group ? m.app.save : m.app.create}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
