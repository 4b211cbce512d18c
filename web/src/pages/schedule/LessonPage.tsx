import {
  Alert,
  Anchor,
  Badge,
  Button,
  Center,
  Checkbox,
  Group,
  Loader,
  Modal,
  NumberInput,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Fragment, type ReactNode, useEffect, useState } from 'react'
import { Link } from 'wouter'
import type { InputOf } from '../../api/client'
import { errorText, fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date as dmy, money } from '../../lib/format'
import { useDictionary, useRecord } from '../../lib/queries'
import { MoveLessonForm } from './LessonForms'
import { ALL_STATUSES } from './ScheduleQuery'
import { type Lesson, lessonTime, subjectColor, useScheduleNames } from './scheduleData'

const t = m.lesson

/** Every customer, whatever the kind or archive state: a lesson's pupils may be any. */
const EVERYONE = { is_study: 2, removed: 1 } as const

interface Mark {
  is_attend: 0 | 1
  grade: number | null
  note: string
  /** The override as typed; '' = leave the stored price alone. */
  commission: string
}

function marksOf(l: Lesson): Record<number, Mark> {
  return Object.fromEntries(
    l.details.map((d) => [
      d.customer_id,
      { is_attend: d.is_attend, grade: d.grade, note: d.note, commission: '' },
    ]),
  )
}

/** The pupils of a lesson with their current balances (read again after every save). */
function usePupils(ids: number[]) {
  const { api, branch } = useSession()
  return useQuery({
    queryKey: [branch, 'customer', 'lesson-pupils', ids],
    queryFn: () => api.all('customer', { id: ids, ...EVERYONE }),
    enabled: ids.length > 0,
  })
}

/**
 * A lesson: what, when, where and with whom; topic, homework and attendance. Conducting charges the
 * attending pupils (§6.4) and the page shows each one's charge and new balance; un-conducting or cancelling
 * gives the charges back. Teachers mark attendance only; readonly users look.
 */
export default function LessonPage(props: { id: number }) {
  const { api, branch, user, canWrite } = useSession()
  const queries = useQueryClient()
  const lesson = useRecord('lesson', props.id, { status: ALL_STATUSES })
  const names = useScheduleNames()
  const types = useDictionary('lesson-type')
  const l = lesson.data ?? null
  const pupils = usePupils(l ? l.details.map((d) => d.customer_id) : [])
  const byId = new Map((pupils.data ?? []).map((c) => [c.id, c]))

  const writable = canWrite('lesson')
  const teacher = user.role === 'teacher'
  const [topic, setTopic] = useState('')
  const [homework, setHomework] = useState('')
  const [note, setNote] = useState('')
  const [marks, setMarks] = useState<Record<number, Mark>>({})
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [confirm, setConfirm] = useState<1 | 2 | null>(null)
  const [moving, setMoving] = useState(false)

  // The form follows the stored lesson: after each save it shows what the server keeps.
  useEffect(() => {
    if (!l) return
    setTopic(l.topic)
    setHomework(l.homework)
    setNote(l.note)
    setMarks(marksOf(l))
  }, [l])

  const save = useMutation({
    mutationFn: (input: InputOf<'lesson'>) => api.update('lesson', props.id, input),
    onSuccess: (_saved, input) => {
      const done =
        input.status === 3
          ? t.conducted
          : input.status === 2
            ? t.cancelled
            : input.status === 1
              ? l?.status === 3
                ? t.unconducted
                : t.restored
              : t.saved
      notifications.show({ color: 'green', message: done })
      setFailure(null)
      setConfirm(null)
      // Charges move balances: the lesson and every customer read are refreshed.
      void queries.invalidateQueries({ queryKey: [branch, 'lesson'] })
      void queries.invalidateQueries({ queryKey: [branch, 'customer'] })
    },
    onError: (err) => {
      const f = fieldErrors(err)
      setErrors(f)
      setConfirm(null)
      const text = Object.values(f).join(' ') || errorText(err)
      setFailure(text)
      notifications.show({ color: 'red', message: text })
    },
  })

  if (lesson.isLoading)
    return (
      <Center h="40vh">
        <Loader aria-label={m.app.loading} />
      </Center>
    )
  if (lesson.isError || !l)
    return (
      <Stack align="flex-start">
        <Alert color="red" role="alert">
          {lesson.isError ? `${t.loadError} ${errorText(lesson.error)}` : t.notFound}
        </Alert>
        <Button component={Link} href="/schedule" variant="default">
          {t.toSchedule}
        </Button>
      </Stack>
    )

  const subject = names.subjects.byId.get(l.subject_id)?.name ?? `#${l.subject_id}`
  const details = (): NonNullable<InputOf<'lesson'>['details']> =>
    l.details.map((d) => {
      const mark = marks[d.customer_id] ?? {
        is_attend: d.is_attend,
        grade: d.grade,
        note: d.note,
        commission: '',
      }
      const price = mark.commission.replace(/\s/g, '').replace(',', '.')
      return {
        customer_id: d.customer_id,
        is_attend: mark.is_attend,
        grade: mark.grade,
        note: mark.note,
        ...(price && !teacher ? { commission: price } : {}),
      }
    })
  const texts = { topic, homework, note }
  const mark = (id: number, patch: Partial<Mark>) =>
    setMarks((all) => ({ ...all, [id]: { ...all[id]!, ...patch } }))

  const header: Array<[string, ReactNode]> = [
    [t.date, dmy(l.date)],
    [t.time, lessonTime(l)],
    [t.subject, subject],
    [t.type, types.byId.get(l.lesson_type_id)?.name ?? `#${l.lesson_type_id}`],
    [
      t.groups,
      l.group_ids.length
        ? l.group_ids.map((id, i) => (
            <Fragment key={id}>
              {i > 0 && ', '}
              <Anchor component={Link} href={`/groups/${id}`}>
                {names.groups.byId.get(id)?.name ?? `#${id}`}
              </Anchor>
            </Fragment>
          ))
        : t.none,
    ],
    [
      t.teachers,
      l.teacher_ids.length
        ? l.teacher_ids.map((id, i) => (
            <Fragment key={id}>
              {i > 0 && ', '}
              <Anchor component={Link} href={`/teachers/${id}`}>
                {names.teachers.byId.get(id)?.name ?? `#${id}`}
              </Anchor>
            </Fragment>
          ))
        : t.none,
    ],
    [t.room, l.room_id ? (names.rooms.byId.get(l.room_id)?.name ?? `#${l.room_id}`) : t.none],
    [
      t.status,
      <Badge
        key="s"
        color={l.status === 3 ? 'green' : l.status === 2 ? 'gray' : 'blue'}
        data-testid="lesson-status"
        data-status={l.status}
      >
        {t.statuses[l.status]}
      </Badge>,
    ],
  ]

  const busy = save.isPending
  return (
    <Stack gap="md" data-testid="lesson-page" data-status={l.status}>
      <Group justify="space-between" wrap="wrap">
        <Group gap="sm">
          <span
            aria-hidden="true"
            style={{
              width: 6,
              height: 32,
              borderRadius: 3,
              background: `var(--mantine-color-${subjectColor(l.subject_id)}-6)`,
            }}
          />
          <Title order={1} size="h2">
            {t.title(subject, dmy(l.date))}
          </Title>
        </Group>
        <Button component={Link} href={`/schedule?view=day&date=${l.date}`} variant="default">
          {t.toSchedule}
        </Button>
      </Group>
      {failure && (
        <Alert
          color="red"
          role="alert"
          data-testid="lesson-error"
          withCloseButton
          closeButtonLabel={m.app.close}
          onClose={() => setFailure(null)}
        >
          {failure}
        </Alert>
      )}
      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 2, md: 4 }} spacing="sm">
          {header.map(([label, value]) => (
            <div key={label}>
              <Text size="xs" c="dimmed">
                {label}
              </Text>
              <Text size="sm" component="div">
                {value}
              </Text>
            </div>
          ))}
        </SimpleGrid>
      </Paper>

      {writable ? (
        <Group gap="sm" wrap="wrap" aria-label={t.actions} role="group">
          <Button
            variant="default"
            loading={busy}
            onClick={() => save.mutate({ ...texts, details: details() })}
            data-testid="lesson-save"
          >
            {t.save}
          </Button>
          {l.status === 1 && (
            <Button
              color="green"
              loading={busy}
              onClick={() => save.mutate({ status: 3, ...texts, details: details() })}
              data-testid="lesson-conduct"
            >
              {t.conduct}
            </Button>
          )}
          {l.status === 3 && (
            <Button
              variant="light"
              color="orange"
              loading={busy}
              onClick={() => setConfirm(1)}
              data-testid="lesson-unconduct"
            >
              {t.unconduct}
            </Button>
          )}
          {l.status === 2 && (
            <Button
              variant="light"
              loading={busy}
              onClick={() => save.mutate({ status: 1 })}
              data-testid="lesson-restore"
            >
              {t.restore}
            </Button>
          )}
          {l.status !== 2 && (
            <Button
              variant="light"
              color="red"
              loading={busy}
              onClick={() => setConfirm(2)}
              data-testid="lesson-cancel"
            >
              {t.cancel}
            </Button>
          )}
          {!teacher && (
            <Button variant="light" onClick={() => setMoving(true)} data-testid="lesson-move">
              {t.move}
            </Button>
          )}
        </Group>
      ) : (
        <Text size="sm" c="dimmed">
          {t.readonly}
        </Text>
      )}
      {teacher && writable && (
        <Text size="sm" c="dimmed">
          {t.teacherNote}
        </Text>
      )}

      <SimpleGrid cols={{ base: 1, md: 3 }} spacing="sm">
        <Textarea
          label={t.topic}
          value={topic}
          onChange={(e) => setTopic(e.currentTarget.value)}
          readOnly={!writable}
          autosize
          minRows={1}
          error={errors.topic}
          data-testid="lesson-topic"
        />
        <Textarea
          label={t.homework}
          value={homework}
          onChange={(e) => setHomework(e.currentTarget.value)}
          readOnly={!writable}
          autosize
          minRows={1}
          error={errors.homework}
          data-testid="lesson-homework"
        />
        <Textarea
          label={t.note}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          readOnly={!writable}
          autosize
          minRows={1}
          error={errors.note}
        />
      </SimpleGrid>

      <Stack gap="xs">
        <Title order={2} size="h4">
          {t.participants}
        </Title>
        {errors.details && (
          <Alert color="red" role="alert">
            {errors.details}
          </Alert>
        )}
        {l.details.length === 0 ? (
          <Text c="dimmed">{t.noParticipants}</Text>
        ) : (
          <Table.ScrollContainer minWidth={writable && !teacher ? 900 : 720}>
            <Table striped verticalSpacing="xs" data-testid="lesson-details">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t.col.pupil}</Table.Th>
                  <Table.Th>{t.col.attended}</Table.Th>
                  <Table.Th>{t.col.grade}</Table.Th>
                  <Table.Th>{t.col.comment}</Table.Th>
                  <Table.Th>{l.status === 3 ? t.col.charge : t.col.forecast}</Table.Th>
                  {writable && !teacher && <Table.Th>{t.col.override}</Table.Th>}
                  <Table.Th>{t.col.balance}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {l.details.map((d) => {
                  const c = byId.get(d.customer_id)
                  const name = c?.name ?? `#${d.customer_id}`
                  const mk = marks[d.customer_id]
                  return (
                    <Table.Tr key={d.customer_id} data-testid="lesson-pupil" data-customer-id={d.customer_id}>
                      <Table.Td>
                        <Anchor component={Link} href={`/customers/${d.customer_id}`} size="sm">
                          {name}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Checkbox
                          aria-label={t.attendedOf(name)}
                          checked={(mk?.is_attend ?? d.is_attend) === 1}
                          onChange={(e) =>
                            mark(d.customer_id, { is_attend: e.currentTarget.checked ? 1 : 0 })
                          }
                          disabled={!writable}
                          data-testid="lesson-attend"
                        />
                      </Table.Td>
                      <Table.Td>
                        <NumberInput
                          aria-label={t.gradeOf(name)}
                          value={mk?.grade ?? ''}
                          onChange={(v) => mark(d.customer_id, { grade: v === '' ? null : Number(v) })}
                          min={0}
                          max={100}
                          hideControls
                          w={80}
                          size="xs"
                          readOnly={!writable}
                        />
                      </Table.Td>
                      <Table.Td>
                        <TextInput
                          aria-label={t.commentOf(name)}
                          value={mk?.note ?? ''}
                          onChange={(e) => mark(d.customer_id, { note: e.currentTarget.value })}
                          size="xs"
                          miw={140}
                          readOnly={!writable}
                        />
                      </Table.Td>
                      <Table.Td
                        data-testid="lesson-charge"
                        data-customer-id={d.customer_id}
                        data-value={d.commission ?? ''}
                      >
                        {l.status === 2 ? t.none : money(d.commission ?? '0')}
                      </Table.Td>
                      {writable && !teacher && (
                        <Table.Td>
                          <TextInput
                            aria-label={t.overrideOf(name)}
                            inputMode="decimal"
                            value={mk?.commission ?? ''}
                            onChange={(e) => mark(d.customer_id, { commission: e.currentTarget.value })}
                            size="xs"
                            w={100}
                          />
                        </Table.Td>
                      )}
                      <Table.Td
                        data-testid="lesson-balance"
                        data-customer-id={d.customer_id}
                        data-value={c && !pupils.isFetching ? c.balance : ''}
                        style={{ whiteSpace: 'nowrap' }}
                      >
                        {c ? money(c.balance) : ''}
                      </Table.Td>
                    </Table.Tr>
                  )
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {l.status === 3 && l.details.length > 0 && (
          <Text size="sm" c="dimmed">
            {t.chargedNote}
          </Text>
        )}
      </Stack>

      <Modal
        closeButtonProps={{ 'aria-label': m.app.close }}
        opened={confirm !== null}
        onClose={() => setConfirm(null)}
        title={confirm === 2 ? t.cancel : t.unconduct}
      >
        <Stack>
          <Text>{confirm === 2 ? t.cancelConfirm : t.unconductConfirm}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(null)}>
              {t.back}
            </Button>
            <Button
              color={confirm === 2 ? 'red' : 'orange'}
              loading={busy}
              onClick={() => confirm && save.mutate({ status: confirm })}
              data-testid="lesson-confirm"
            >
              {t.confirm}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal
        closeButtonProps={{ 'aria-label': m.app.close }}
        opened={moving}
        onClose={() => setMoving(false)}
        title={m.schedule.form.moveTitle}
        size="lg"
      >
        {moving && <MoveLessonForm lesson={l} onDone={() => setMoving(false)} />}
      </Modal>
    </Stack>
  )
}
