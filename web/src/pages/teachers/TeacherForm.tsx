import {
  Button,
  Group,
  MultiSelect,
  Select,
  SimpleGrid,
  Stack,
  TagsInput,
  Textarea,
  TextInput,
} from '@mantine/core'
import { type FormEvent, useState } from 'react'
import type { Teacher, TeacherInput } from '../../api/models.gen'
import { MODELS } from '../../api/models.gen'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, isoDate } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { showSaveError } from '../groups/common'
import { DateField } from '../payments/DateField'

const t = m.teachers
const L = MODELS.teacher.labels as Record<string, string>

interface State {
  name: string
  dob: string
  gender: string
  phone: string[]
  email: string[]
  subject_ids: string[]
  branch_ids: string[]
  note: string
}

/** The teacher's create and edit form (§7.24); a 422's messages appear under their fields. */
export default function TeacherForm(props: {
  teacher: Teacher | null
  onSaved: (t: Teacher) => void
  onCancel: () => void
}) {
  const { api, branch, user } = useSession()
  const subjects = useDictionary('subject')
  const branches = useDictionary('branch')
  const c = props.teacher
  const [state, setState] = useState<State>(() => ({
    name: c?.name ?? '',
    dob: c?.dob ? isoDate(c.dob) : '',
    gender: String(c?.gender ?? 0),
    phone: c?.phone ?? [],
    email: c?.email ?? [],
    subject_ids: (c?.subject_ids ?? []).map(String),
    branch_ids: (c?.branch_ids ?? [branch]).map(String),
    note: c?.note ?? '',
  }))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof State>(k: K, v: State[K]) => setState((s) => ({ ...s, [k]: v }))
  const branchOptions = branches.options.filter(
    (o) => user.role === 'admin' || user.branch_ids.includes(Number(o.value)),
  )

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    const body: TeacherInput = {
      name: state.name,
      dob: state.dob ? date(state.dob) : null,
      gender: Number(state.gender) as 0 | 1 | 2,
      phone: state.phone,
      email: state.email,
      subject_ids: state.subject_ids.map(Number),
      branch_ids: state.branch_ids.map(Number),
      note: state.note,
    }
    try {
      props.onSaved(c ? await api.update('teacher', c.id, body) : await api.create('teacher', body))
    } catch (err) {
      showSaveError(err, setErrors)
    } finally {
      setBusy(false)
    }
  }
  // Several values per list field: typed and confirmed with Enter (or a comma).
  const listError = (key: string) =>
    errors[key] ?? Object.entries(errors).find(([k]) => k.startsWith(`${key}.`))?.[1]

  return (
    <form onSubmit={submit} data-testid="teacher-form">
      <Stack>
        <TextInput
          label={L.name}
          value={state.name}
          onChange={(e) => set('name', e.currentTarget.value)}
          error={errors.name}
          required
          data-testid="teacher-form-name"
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <DateField
            label={L.dob!}
            value={state.dob}
            onChange={(v) => set('dob', v)}
            error={errors.dob}
            clearable
          />
          <Select
            label={L.gender}
            data={[0, 1, 2].map((g) => ({ value: String(g), label: t.gender[g]! }))}
            value={state.gender}
            onChange={(v) => set('gender', v ?? '0')}
            allowDeselect={false}
            error={errors.gender}
          />
          <TagsInput
            label={L.phone}
            value={state.phone}
            onChange={(v) => set('phone', v)}
            error={listError('phone')}
            splitChars={[',', ';']}
            clearable
            data-testid="teacher-form-phone"
          />
          <TagsInput
            label={L.email}
            value={state.email}
            onChange={(v) => set('email', v)}
            error={listError('email')}
            splitChars={[',', ';', ' ']}
            clearable
          />
          <MultiSelect
            label={L.subject_ids}
            data={subjects.options}
            value={state.subject_ids}
            onChange={(v) => set('subject_ids', v)}
            error={errors.subject_ids}
            searchable
            data-testid="teacher-form-subjects"
          />
          <MultiSelect
            label={L.branch_ids}
            data={branchOptions}
            value={state.branch_ids}
            onChange={(v) => set('branch_ids', v)}
            error={errors.branch_ids}
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
          <Button type="submit" loading={busy} data-testid="teacher-form-save">
            {c ? m.app.save : m.app.create}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
