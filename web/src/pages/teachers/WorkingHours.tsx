import '@mantine/dates/styles.css'
import {
  ActionIcon,
  Button,
  Group,
  Loader,
  Modal,
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
import type { TeacherWorkingHour } from '../../api/models.gen'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { useDictionary } from '../../lib/queries'
import { hm, notifyError, showSaveError, useRefresh } from '../groups/common'

const t = m.teachers.hours
const days = m.groups.regular.weekdaysLong
const WEEK = [1, 2, 3, 4, 5, 6, 7] as const
type Day = (typeof WEEK)[number]
const MODEL = 'teacher/working-hour'

/** The teacher's week (§7.24.1): intervals per weekday, each added, changed or removed on its own. */
export default function WorkingHours(props: { teacherId: number }) {
  const { api, branch, canWrite } = useSession()
  const filter = { teacher_id: props.teacherId }
  const q = useQuery({
    queryKey: [branch, MODEL, 'all', filter],
    queryFn: () => api.all(MODEL, filter, { limit: 500 }),
  })
  const locations = useDictionary('location')
  const refresh = useRefresh()
  const writable = canWrite(MODEL)
  const [form, setForm] = useState<{ day: Day; hour: TeacherWorkingHour | null } | null>(null)

  async function remove(h: TeacherWorkingHour) {
    try {
      await api.remove(MODEL, h.id)
      refresh([MODEL], t.removed)
    } catch (err) {
      notifyError(err)
    }
  }
  const byDay = (d: Day) =>
    (q.data ?? []).filter((h) => h.weekday === d).sort((a, b) => a.time_from.localeCompare(b.time_from))

  return (
    <Paper withBorder p="md" data-testid="working-hours">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {t.title}
        </Title>
        {q.isLoading ? (
          <Loader size="sm" aria-label={m.app.loading} />
        ) : (
          <Table.ScrollContainer minWidth={420}>
            <Table verticalSpacing={6} fz="sm" withRowBorders>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={140}>{t.weekday}</Table.Th>
                  <Table.Th>{t.intervals}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {WEEK.map((d) => {
                  const hours = byDay(d)
                  return (
                    <Table.Tr key={d} data-testid={`hours-day-${d}`}>
                      <Table.Td fw={500}>{days[d]}</Table.Td>
                      <Table.Td>
                        <Group gap="xs" wrap="wrap">
                          {hours.length === 0 && (
                            <Text size="sm" c="dimmed">
                              {t.none}
                            </Text>
                          )}
                          {hours.map((h) => {
                            const time = `${hm(h.time_from)}–${hm(h.time_to)}`
                            const place = h.location_id ? locations.byId.get(h.location_id)?.name : undefined
                            return (
                              <Group
                                key={h.id}
                                gap={2}
                                wrap="nowrap"
                                data-testid="hours-interval"
                                data-id={h.id}
                                px={6}
                                style={{ border: '1px solid var(--mantine-color-gray-4)', borderRadius: 4 }}
                              >
                                {writable ? (
                                  <Button
                                    size="compact-sm"
                                    variant="subtle"
                                    aria-label={t.edit(days[d]!, time)}
                                    onClick={() => setForm({ day: d, hour: h })}
                                  >
                                    {time}
                                    {place ? ` · ${place}` : ''}
                                  </Button>
                                ) : (
                                  <Text size="sm" px={4}>
                                    {time}
                                    {place ? ` · ${place}` : ''}
                                  </Text>
                                )}
                                {writable && (
                                  <ActionIcon
                                    size="sm"
                                    variant="subtle"
                                    color="red"
                                    aria-label={t.remove(days[d]!, time)}
                                    onClick={() => void remove(h)}
                                    data-testid="hours-remove"
                                  >
                                    <span aria-hidden="true">✕</span>
                                  </ActionIcon>
                                )}
                              </Group>
                            )
                          })}
                          {writable && (
                            <Button
                              size="compact-xs"
                              variant="light"
                              aria-label={t.addFor(days[d]!)}
                              onClick={() => setForm({ day: d, hour: null })}
                              data-testid={`hours-add-${d}`}
                            >
                              +
                            </Button>
                          )}
                        </Group>
                      </Table.Td>
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
        title={form ? (form.hour ? t.editTitle : t.addTitle(days[form.day]!)) : ''}
      >
        {form && (
          <HourForm
            teacherId={props.teacherId}
            day={form.day}
            hour={form.hour}
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

function HourForm(props: {
  teacherId: number
  day: Day
  hour: TeacherWorkingHour | null
  onDone: (message: string) => void
  onCancel: () => void
}) {
  const { api } = useSession()
  const locations = useDictionary('location')
  const h = props.hour
  const [weekday, setWeekday] = useState(String(h?.weekday ?? props.day))
  const [from, setFrom] = useState(h ? hm(h.time_from) : '')
  const [to, setTo] = useState(h ? hm(h.time_to) : '')
  const [location, setLocation] = useState<string | null>(h?.location_id ? String(h.location_id) : null)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    const body = {
      weekday: Number(weekday) as Day,
      time_from: from,
      time_to: to,
      location_id: location ? Number(location) : null,
    }
    try {
      if (h) await api.update(MODEL, h.id, body)
      else await api.create(MODEL, body, { teacher_id: props.teacherId })
      props.onDone(h ? t.saved : t.added)
    } catch (err) {
      showSaveError(err, setErrors)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit} data-testid="hours-form">
      <Stack>
        <Select
          label={t.weekday}
          data={WEEK.map((d) => ({ value: String(d), label: days[d]! }))}
          value={weekday}
          onChange={(v) => v && setWeekday(v)}
          allowDeselect={false}
          error={errors.weekday}
        />
        <SimpleGrid cols={2}>
          <TimeInput
            label={t.from}
            value={from}
            onChange={(e) => setFrom(e.currentTarget.value)}
            error={errors.time_from}
            required
            data-testid="hours-from"
          />
          <TimeInput
            label={t.to}
            value={to}
            onChange={(e) => setTo(e.currentTarget.value)}
            error={errors.time_to}
            required
            data-testid="hours-to"
          />
        </SimpleGrid>
        <Select
          label={t.location}
          placeholder={t.anyLocation}
          data={locations.options}
          value={location}
          onChange={setLocation}
          clearable
          error={errors.location_id}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={busy} data-testid="hours-save">
            {m.app.save}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
