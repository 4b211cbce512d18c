import {
  ActionIcon,
  Button,
  Checkbox,
  Group,
  Loader,
  Modal,
  MultiSelect,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { TeacherTeacherRate, TeacherTeacherRateInput } from '../../api/models.gen'
import { MODELS } from '../../api/models.gen'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, isoDate, money } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { notifyError, showSaveError, useRefresh } from '../groups/common'
import { DateField } from '../payments/DateField'

const t = m.teachers.rates
const MODEL = 'teacher/teacher-rate'
const L = MODELS[MODEL].labels as Record<string, string>

/** The teacher's rates (§7.24.2): stored and shown; the server computes no salaries. */
export default function Rates(props: { teacherId: number }) {
  const { api, branch, canWrite } = useSession()
  const filter = { teacher_id: props.teacherId }
  const q = useQuery({
    queryKey: [branch, MODEL, 'all', filter],
    queryFn: () => api.all(MODEL, filter, { limit: 500 }),
  })
  const subjects = useDictionary('subject')
  const types = useDictionary('lesson-type')
  const refresh = useRefresh()
  const writable = canWrite(MODEL)
  const [form, setForm] = useState<{ rate: TeacherTeacherRate | null } | null>(null)
  const names = (ids: number[], dict: { byId: Map<number, { name: string }> }) =>
    ids.length === 0 ? t.any : ids.map((id) => dict.byId.get(id)?.name ?? `#${id}`).join(', ')

  async function remove(r: TeacherTeacherRate) {
    if (!window.confirm(t.removeConfirm)) return
    try {
      await api.remove(MODEL, r.id)
      refresh([MODEL], t.removed)
    } catch (err) {
      notifyError(err)
    }
  }
  const items = q.data ?? []
  return (
    <Paper withBorder p="md" data-testid="rates">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={2} size="h4">
            {t.title}
          </Title>
          {writable && (
            <Button size="xs" onClick={() => setForm({ rate: null })} data-testid="rate-add">
              {t.add}
            </Button>
          )}
        </Group>
        {q.isLoading ? (
          <Loader size="sm" aria-label={m.app.loading} />
        ) : items.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t.empty}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table verticalSpacing={4} fz="sm" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{L.type}</Table.Th>
                  <Table.Th style={{ textAlign: 'right' }}>{L.rate}</Table.Th>
                  <Table.Th>{t.period}</Table.Th>
                  <Table.Th>{L.condition_attend}</Table.Th>
                  <Table.Th>{L.subject_ids}</Table.Th>
                  <Table.Th>{L.lesson_type_ids}</Table.Th>
                  <Table.Th>{t.students}</Table.Th>
                  {writable && <Table.Th>{t.actions}</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((r, i) => (
                  <Table.Tr key={r.id} data-testid="rate-row" data-id={r.id}>
                    <Table.Td>{t.types[r.type]}</Table.Td>
                    <Table.Td style={{ textAlign: 'right', whiteSpace: 'nowrap' }} data-testid="rate-value">
                      {r.type === 2 ? t.percent(r.rate) : money(r.rate)}
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      {r.b_date || r.e_date ? `${date(r.b_date) || '…'} – ${date(r.e_date) || '…'}` : t.any}
                    </Table.Td>
                    <Table.Td>{t.conditions[r.condition_attend]}</Table.Td>
                    <Table.Td>{names(r.subject_ids, subjects)}</Table.Td>
                    <Table.Td>{names(r.lesson_type_ids, types)}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      {t.studentsRange(r.count_from, r.count_to)}
                    </Table.Td>
                    {writable && (
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <Button
                            size="compact-xs"
                            variant="light"
                            aria-label={t.edit(i + 1)}
                            onClick={() => setForm({ rate: r })}
                          >
                            {m.app.edit}
                          </Button>
                          <ActionIcon
                            size="sm"
                            variant="subtle"
                            color="red"
                            aria-label={t.remove(i + 1)}
                            onClick={() => void remove(r)}
                            data-testid="rate-remove"
                          >
                            <span aria-hidden="true">✕</span>
                          </ActionIcon>
                        </Group>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
      <Modal
        opened={form !== null}
        onClose={() => setForm(null)}
        title={form?.rate ? t.editTitle : t.addTitle}
        size="lg"
      >
        {form && (
          <RateForm
            teacherId={props.teacherId}
            rate={form.rate}
            onDone={(message) => {
              refresh([MODEL], message)
              setForm(null)
            }}
            onCancel={() => setForm(null)}
          />
        )}
      </Modal>
    </Paper>
  )
}

function RateForm(props: {
  teacherId: number
  rate: TeacherTeacherRate | null
  onDone: (message: string) => void
  onCancel: () => void
}) {
  const { api } = useSession()
  const subjects = useDictionary('subject')
  const types = useDictionary('lesson-type')
  const r = props.rate
  const [s, setS] = useState(() => ({
    type: String(r?.type ?? 1),
    rate: r?.rate ?? '',
    b_date: r?.b_date ? isoDate(r.b_date) : '',
    e_date: r?.e_date ? isoDate(r.e_date) : '',
    condition_attend: String(r?.condition_attend ?? 3),
    subject_ids: (r?.subject_ids ?? []).map(String),
    lesson_type_ids: (r?.lesson_type_ids ?? []).map(String),
    count_from: r?.count_from ?? ('' as number | ''),
    count_to: r?.count_to ?? ('' as number | ''),
    duration: r?.duration ?? ('' as number | ''),
    is_multirate: r?.is_multirate === 1,
    is_proportional: r?.is_proportional === 1,
    is_gt_zero: r?.is_gt_zero === 1,
  }))
  type S = typeof s
  const set = <K extends keyof S>(k: K, v: S[K]) => setS((x) => ({ ...x, [k]: v }))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const num = (v: number | '') => (v === '' ? null : v)
  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    const body: TeacherTeacherRateInput = {
      type: Number(s.type) as 1 | 2,
      // Money goes as typed (a comma accepted): the API says what is wrong with it, next to the field.
      rate: s.rate.trim().replace(',', '.'),
      b_date: s.b_date ? date(s.b_date) : null,
      e_date: s.e_date ? date(s.e_date) : null,
      condition_attend: Number(s.condition_attend) as 1 | 2 | 3,
      subject_ids: s.subject_ids.map(Number),
      lesson_type_ids: s.lesson_type_ids.map(Number),
      count_from: num(s.count_from),
      count_to: num(s.count_to),
      duration: num(s.duration),
      is_multirate: s.is_multirate ? 1 : 0,
      is_proportional: s.is_proportional ? 1 : 0,
      is_gt_zero: s.is_gt_zero ? 1 : 0,
    }
    try {
      if (r) await api.update(MODEL, r.id, body)
      else await api.create(MODEL, body, { teacher_id: props.teacherId })
      props.onDone(r ? t.saved : t.added)
    } catch (err) {
      showSaveError(err, setErrors)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit} data-testid="rate-form">
      <Stack>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <Select
            label={L.type}
            data={[1, 2].map((v) => ({ value: String(v), label: t.types[v]! }))}
            value={s.type}
            onChange={(v) => v && set('type', v)}
            allowDeselect={false}
            error={errors.type}
            data-testid="rate-type"
          />
          <TextInput
            label={L.rate}
            value={s.rate}
            onChange={(e) => set('rate', e.currentTarget.value)}
            error={errors.rate}
            inputMode="decimal"
            required
            data-testid="rate-rate"
          />
          <DateField
            label={L.b_date!}
            value={s.b_date}
            onChange={(v) => set('b_date', v)}
            error={errors.b_date}
            clearable
          />
          <DateField
            label={L.e_date!}
            value={s.e_date}
            onChange={(v) => set('e_date', v)}
            error={errors.e_date}
            clearable
          />
          <Select
            label={L.condition_attend}
            data={[1, 2, 3].map((v) => ({ value: String(v), label: t.conditions[v]! }))}
            value={s.condition_attend}
            onChange={(v) => v && set('condition_attend', v)}
            allowDeselect={false}
            error={errors.condition_attend}
          />
          <NumberInput
            label={L.duration}
            value={s.duration}
            onChange={(v) => set('duration', v === '' ? '' : Number(v))}
            min={1}
            allowDecimal={false}
            error={errors.duration}
          />
          <MultiSelect
            label={L.subject_ids}
            data={subjects.options}
            value={s.subject_ids}
            onChange={(v) => set('subject_ids', v)}
            error={errors.subject_ids}
            placeholder={t.any}
          />
          <MultiSelect
            label={L.lesson_type_ids}
            data={types.options}
            value={s.lesson_type_ids}
            onChange={(v) => set('lesson_type_ids', v)}
            error={errors.lesson_type_ids}
            placeholder={t.any}
          />
          <NumberInput
            label={L.count_from}
            value={s.count_from}
            onChange={(v) => set('count_from', v === '' ? '' : Number(v))}
            min={0}
            allowDecimal={false}
            error={errors.count_from}
          />
          <NumberInput
            label={L.count_to}
            value={s.count_to}
            onChange={(v) => set('count_to', v === '' ? '' : Number(v))}
            min={0}
            allowDecimal={false}
            error={errors.count_to}
          />
        </SimpleGrid>
        <Group gap="lg">
          <Checkbox
            label={L.is_multirate}
            checked={s.is_multirate}
            onChange={(e) => set('is_multirate', e.currentTarget.checked)}
          />
          <Checkbox
            label={L.is_proportional}
            checked={s.is_proportional}
            onChange={(e) => set('is_proportional', e.currentTarget.checked)}
          />
          <Checkbox
            label={L.is_gt_zero}
            checked={s.is_gt_zero}
            onChange={(e) => set('is_gt_zero', e.currentTarget.checked)}
          />
        </Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={busy} data-testid="rate-save">
            {m.app.save}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
