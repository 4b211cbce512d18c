import '@mantine/dates/styles.css'
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Loader,
  Modal,
  MultiSelect,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core'
import { TimeInput } from '@mantine/dates'
import { useQuery } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { RegularLesson, RegularLessonInput } from '../../api/models.gen'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, isoDate, today } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { DateField } from '../payments/DateField'
import { addDays, dayBefore, hm, later, notifyError, showSaveError, useRefresh } from './common'

const t = m.groups.regular
const WEEK = [1, 2, 3, 4, 5, 6, 7] as const
type Day = (typeof WEEK)[number]

/** What a slot's lessons depend on; the refresh after a change covers the schedule too. */
const AFFECTED = ['regular-lesson', 'lesson', 'calendar', 'customer', 'group']

export function slotSummary(r: Pick<RegularLesson, 'days' | 'time_from_v' | 'time_to_v'>): string {
  return t.summary(r.days.map((d) => t.weekdays[d]).join(', '), hm(r.time_from_v), hm(r.time_to_v))
}

/**
 * The weekly slots of a group or a customer (§7.21): each one generates planned lessons over its period
 * (§6.7). Adding, changing "from a date on", ending and removing one; the schedule is refreshed after each.
 */
export default function RegularLessons(props: { relatedClass: 'Group' | 'Customer'; relatedId: number }) {
  const { api, branch, canWrite } = useSession()
  const filter = { related_class: props.relatedClass, related_id: props.relatedId }
  const q = useQuery({
    queryKey: [branch, 'regular-lesson', 'all', filter],
    queryFn: () => api.all('regular-lesson', filter, { limit: 500 }),
  })
  const subjects = useDictionary('subject')
  const teachers = useDictionary('teacher', { removed: 1 })
  const rooms = useDictionary('room')
  const [form, setForm] = useState<{ mode: 'add' } | { mode: 'change'; slot: RegularLesson } | null>(null)
  const [ending, setEnding] = useState<RegularLesson | null>(null)
  const refresh = useRefresh()
  const writable = canWrite('regular-lesson')
  const day = today()

  async function remove(r: RegularLesson) {
    if (!window.confirm(t.removeConfirm)) return
    try {
      await api.remove('regular-lesson', r.id)
      refresh(AFFECTED, t.removed)
    } catch (err) {
      notifyError(err)
    }
  }

  const items = q.data ?? []
  return (
    <Paper withBorder p="md" data-testid="regular-lessons">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <div>
            <Title order={2} size="h4">
              {t.title}
            </Title>
            <Text size="xs" c="dimmed">
              {t.hint}
            </Text>
          </div>
          {writable && (
            <Button size="xs" onClick={() => setForm({ mode: 'add' })} data-testid="regular-add">
              {t.add}
            </Button>
          )}
        </Group>
        {q.isLoading ? (
          <Loader size="sm" aria-label={m.app.loading} />
        ) : q.isError ? (
          <Alert color="red">{m.errors.server}</Alert>
        ) : items.length === 0 ? (
          <Text c="dimmed" size="sm" data-testid="regular-empty">
            {t.empty}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={720}>
            <Table verticalSpacing={6} fz="sm" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t.days}</Table.Th>
                  <Table.Th>{t.time}</Table.Th>
                  <Table.Th>{t.period}</Table.Th>
                  <Table.Th>{t.subject}</Table.Th>
                  <Table.Th>{t.teacher}</Table.Th>
                  <Table.Th>{t.room}</Table.Th>
                  {writable && <Table.Th>{t.actions}</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((r) => {
                  const ended = r.e_date < day
                  const what = `${slotSummary(r)} ${date(r.b_date)}–${date(r.e_date)}`
                  return (
                    <Table.Tr
                      key={r.id}
                      data-testid="regular-row"
                      data-id={r.id}
                      c={ended ? 'dimmed' : undefined}
                    >
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        {r.days.map((d) => t.weekdays[d]).join(', ')}
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        {hm(r.time_from_v)}–{hm(r.time_to_v)}
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        {date(r.b_date)} – {date(r.e_date)}
                        {ended && (
                          <Badge ml="xs" size="xs" color="gray">
                            {t.endedBadge}
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>{subjects.byId.get(r.subject_id)?.name ?? `#${r.subject_id}`}</Table.Td>
                      <Table.Td>
                        {r.teacher_ids.map((id) => teachers.byId.get(id)?.name ?? `#${id}`).join(', ')}
                      </Table.Td>
                      <Table.Td>
                        {r.room_id ? (rooms.byId.get(r.room_id)?.name ?? `#${r.room_id}`) : ''}
                      </Table.Td>
                      {writable && (
                        <Table.Td>
                          <Group gap={4} wrap="nowrap">
                            {!ended && (
                              <>
                                <Button
                                  size="compact-xs"
                                  variant="light"
                                  aria-label={t.changeOf(what)}
                                  onClick={() => setForm({ mode: 'change', slot: r })}
                                  data-testid="regular-change"
                                >
                                  {t.change}
                                </Button>
                                <Button
                                  size="compact-xs"
                                  variant="light"
                                  color="orange"
                                  aria-label={t.endOf(what)}
                                  onClick={() => setEnding(r)}
                                  data-testid="regular-end"
                                >
                                  {t.end}
                                </Button>
                              </>
                            )}
                            <ActionIcon
                              size="sm"
                              variant="subtle"
                              color="red"
                              aria-label={t.removeOf(what)}
                              onClick={() => void remove(r)}
                              data-testid="regular-remove"
                            >
                              <span aria-hidden="true">✕</span>
                            </ActionIcon>
                          </Group>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  )
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
      <Modal
        opened={form !== null}
        onClose={() => setForm(null)}
        title={form?.mode === 'change' ? t.changeTitle : t.addTitle}
        size="lg"
      >
        {form && (
          <SlotForm
            relatedClass={props.relatedClass}
            relatedId={props.relatedId}
            slot={form.mode === 'change' ? form.slot : null}
            onDone={(message) => {
              refresh(AFFECTED, message)
              setForm(null)
            }}
            onCancel={() => setForm(null)}
          />
        )}
      </Modal>
      <Modal opened={ending !== null} onClose={() => setEnding(null)} title={t.endTitle}>
        {ending && (
          <EndForm
            slot={ending}
            onDone={() => {
              refresh(AFFECTED, t.ended)
              setEnding(null)
            }}
            onCancel={() => setEnding(null)}
          />
        )}
      </Modal>
    </Paper>
  )
}

interface SlotState {
  days: string[]
  time_from: string
  time_to: string
  b_date: string
  e_date: string
  /** Change mode: the first day the change applies to. */
  from: string
  room_id: string | null
  teacher_ids: string[]
  subject_id: string | null
  lesson_type_id: string | null
}

/** Add a slot, or change one from a date on (§6.7: only lessons from today on are regenerated). */
function SlotForm(props: {
  relatedClass: 'Group' | 'Customer'
  relatedId: number
  slot: RegularLesson | null
  onDone: (message: string) => void
  onCancel: () => void
}) {
  const { api } = useSession()
  const subjects = useDictionary('subject')
  const teachers = useDictionary('teacher')
  const rooms = useDictionary('room')
  const types = useDictionary('lesson-type')
  const s = props.slot
  const day = today()
  const [state, setState] = useState<SlotState>(() => ({
    days: (s?.days ?? []).map(String),
    time_from: s ? hm(s.time_from_v) : '',
    time_to: s ? hm(s.time_to_v) : '',
    b_date: s ? isoDate(s.b_date) : day,
    // A term ahead by default: well inside the one-year limit.
    e_date: s ? isoDate(s.e_date) : addDays(day, 7 * 16),
    from: s && isoDate(s.b_date) > day ? isoDate(s.b_date) : day,
    room_id: s?.room_id ? String(s.room_id) : null,
    teacher_ids: (s?.teacher_ids ?? []).map(String),
    subject_id: s ? String(s.subject_id) : null,
    lesson_type_id: s ? String(s.lesson_type_id) : null,
  }))
  const lessonType = state.lesson_type_id ?? types.options[0]?.value ?? null
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof SlotState>(k: K, v: SlotState[K]) => setState((x) => ({ ...x, [k]: v }))
  const teacherOptions = [...teachers.options]
  for (const id of state.teacher_ids)
    if (!teacherOptions.some((o) => o.value === id)) teacherOptions.push({ value: id, label: `#${id}` })

  const body = (): RegularLessonInput => ({
    days: state.days.map(Number).sort() as Day[],
    time_from_v: state.time_from,
    time_to_v: state.time_to,
    e_date_v: state.e_date ? date(state.e_date) : undefined,
    room_id: state.room_id ? Number(state.room_id) : null,
    teacher_ids: state.teacher_ids.map(Number),
    subject_id: state.subject_id ? Number(state.subject_id) : undefined,
    lesson_type_id: lessonType ? Number(lessonType) : undefined,
  })

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    try {
      if (!s) {
        await api.create('regular-lesson', {
          ...body(),
          related_class: props.relatedClass,
          related_id: props.relatedId,
          b_date_v: state.b_date ? date(state.b_date) : undefined,
        })
        props.onDone(t.added)
      } else if (!state.from || state.from <= day || state.from <= isoDate(s.b_date)) {
        // From today (or before the slot begins): the slot itself changes; the server regenerates its
        // planned lessons from today on and keeps the past ones.
        await api.update('regular-lesson', s.id, body())
        props.onDone(t.changed)
      } else {
        // From a later date: the old slot ends the day before, a new one with the changes begins then.
        try {
          await api.update('regular-lesson', s.id, { e_date_v: date(dayBefore(state.from)) })
        } catch (err) {
          showSaveError(err, (f) => setErrors({ from: f.e_date_v ?? f.e_date ?? Object.values(f)[0] ?? '' }))
          return
        }
        try {
          await api.create('regular-lesson', {
            ...body(),
            related_class: props.relatedClass,
            related_id: props.relatedId,
            b_date_v: date(state.from),
          })
        } catch (err) {
          // Put the old slot back as it was: the change is all or nothing for the user.
          await api.update('regular-lesson', s.id, { e_date_v: date(s.e_date) }).catch(() => undefined)
          throw err
        }
        props.onDone(t.changed)
      }
    } catch (err) {
      showSaveError(err, (f) =>
        setErrors({ ...f, b_date: f.b_date_v ?? f.b_date ?? '', e_date: f.e_date_v ?? f.e_date ?? '' }),
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit} data-testid="regular-form">
      <Stack>
        <Checkbox.Group
          label={t.days}
          value={state.days}
          onChange={(v) => set('days', v)}
          error={errors.days}
          withAsterisk
        >
          <Group gap="sm" mt={6}>
            {WEEK.map((d) => (
              <Checkbox
                key={d}
                value={String(d)}
                label={t.weekdays[d]}
                aria-label={t.weekdaysLong[d]}
                data-testid={`regular-day-${d}`}
              />
            ))}
          </Group>
        </Checkbox.Group>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <TimeInput
            label={t.timeFrom}
            value={state.time_from}
            onChange={(e) => set('time_from', e.currentTarget.value)}
            error={errors.time_from_v}
            required
            data-testid="regular-time-from"
          />
          <TimeInput
            label={t.timeTo}
            value={state.time_to}
            onChange={(e) => set('time_to', e.currentTarget.value)}
            error={errors.time_to_v}
            required
            data-testid="regular-time-to"
          />
          {s ? (
            <DateField
              label={t.changeFrom}
              value={state.from}
              onChange={(v) => set('from', v)}
              error={errors.from}
              testid="regular-from"
            />
          ) : (
            <DateField
              label={t.dateFrom}
              value={state.b_date}
              onChange={(v) => set('b_date', v)}
              error={errors.b_date}
              required
              testid="regular-b-date"
            />
          )}
          <DateField
            label={t.dateTo}
            value={state.e_date}
            onChange={(v) => set('e_date', v)}
            error={errors.e_date}
            required
            testid="regular-e-date"
          />
          <Select
            label={t.subject}
            data={subjects.options}
            value={state.subject_id}
            onChange={(v) => set('subject_id', v)}
            error={errors.subject_id}
            searchable
            required
            data-testid="regular-subject"
          />
          <Select
            label={t.lessonType}
            data={types.options}
            value={lessonType}
            onChange={(v) => set('lesson_type_id', v)}
            error={errors.lesson_type_id}
            required
            data-testid="regular-lesson-type"
          />
          <MultiSelect
            label={t.teacher}
            data={teacherOptions}
            value={state.teacher_ids}
            onChange={(v) => set('teacher_ids', v)}
            error={errors.teacher_ids}
            searchable
            data-testid="regular-teachers"
          />
          <Select
            label={t.room}
            placeholder={t.noRoom}
            data={rooms.options}
            value={state.room_id}
            onChange={(v) => set('room_id', v)}
            error={errors.room_id}
            clearable
            data-testid="regular-room"
          />
        </SimpleGrid>
        {s && (
          <Text size="xs" c="dimmed">
            {t.changeHint}
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={busy} data-testid="regular-save">
            {m.app.save}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

/** End a slot on a date: its planned lessons after it go (§6.7). */
function EndForm(props: { slot: RegularLesson; onDone: () => void; onCancel: () => void }) {
  const { api } = useSession()
  const day = today()
  const [value, setValue] = useState(later(isoDate(props.slot.b_date), day))
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await api.update('regular-lesson', props.slot.id, { e_date_v: value ? date(value) : undefined })
      props.onDone()
    } catch (err) {
      showSaveError(err, (f) => setError(f.e_date_v ?? f.e_date ?? Object.values(f)[0]))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit} data-testid="regular-end-form">
      <Stack>
        <Text size="sm">{slotSummary(props.slot)}</Text>
        <DateField
          label={t.endDate}
          value={value}
          onChange={setValue}
          error={error}
          required
          testid="regular-end-date"
        />
        <Text size="xs" c="dimmed">
          {t.endHint}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" color="orange" loading={busy} data-testid="regular-end-save">
            {t.end}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
