import {
  Alert,
  Button,
  CloseButton,
  Group,
  List,
  MultiSelect,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { InputOf } from '../../api/client'
import { errorText, fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { useDictionary } from '../../lib/queries'
import { CustomerSelect } from '../payments/CustomerSelect'
import { DateField } from '../payments/DateField'
import { findConflicts, type Slot } from './conflicts'
import { hm, minutes, normTime } from './ScheduleQuery'
import { type Lesson, lessonTime, useCustomerNames, useScheduleNames } from './scheduleData'

const t = m.schedule.form

/** The lessons that clash with a slot, in words. */
export function ConflictList(props: { conflicts: Lesson[] }) {
  const names = useScheduleNames()
  return (
    <Alert color="orange" role="alert" data-testid="conflict-warning" title={t.conflicts}>
      <List size="sm">
        {props.conflicts.map((l) => (
          <List.Item key={l.id} data-testid="conflict-lesson" data-id={l.id}>
            {t.conflictLine(
              lessonTime(l),
              names.subjects.byId.get(l.subject_id)?.name ?? `#${l.subject_id}`,
              l.room_id ? (names.rooms.byId.get(l.room_id)?.name ?? `#${l.room_id}`) : '—',
              l.teacher_ids.map((id) => names.teachers.byId.get(id)?.name ?? `#${id}`).join(', '),
            )}
          </List.Item>
        ))}
      </List>
    </Alert>
  )
}

/**
 * Saving a lesson after a look for clashes: the first submit checks (one `lesson/index` for the day); with
 * clashes it shows them and waits for a second, deliberate submit.
 */
function useCheckedSave(save: () => void) {
  const { api } = useSession()
  const [conflicts, setConflicts] = useState<Lesson[] | null>(null)
  const [checking, setChecking] = useState(false)
  async function submit(slot: Slot) {
    if (conflicts && conflicts.length > 0) return save()
    setChecking(true)
    try {
      const found = await findConflicts(api, slot)
      setConflicts(found)
      if (found.length === 0) save()
    } catch (err) {
      notifications.show({ color: 'red', message: errorText(err) })
    } finally {
      setChecking(false)
    }
  }
  return { conflicts, checking, submit, reset: () => setConflicts(null) }
}

function endOf(from: string, duration: number): string {
  return hm(Math.min(minutes(from) + duration, 24 * 60 - 1))
}

/** A new lesson, prefilled from the slot clicked: date, time and the room or teacher of its column. */
export function CreateLessonForm(props: {
  date: string
  time: string
  roomId: number | null
  teacherId: number | null
  onDone: (lesson: Lesson | null) => void
}) {
  const { api, branch } = useSession()
  const queries = useQueryClient()
  const names = useScheduleNames()
  const types = useDictionary('lesson-type')
  const [day, setDay] = useState(props.date)
  const [time, setTime] = useState(props.time)
  const [duration, setDuration] = useState<number>(60)
  const [subject, setSubject] = useState<string | null>(null)
  const [type, setType] = useState<string | null>(null)
  const [who, setWho] = useState<'group' | 'customers'>('group')
  const [group, setGroup] = useState<string | null>(null)
  const [customers, setCustomers] = useState<number[]>([])
  const [teachers, setTeachers] = useState<string[]>(props.teacherId ? [String(props.teacherId)] : [])
  const [room, setRoom] = useState<string | null>(props.roomId ? String(props.roomId) : null)
  const [topic, setTopic] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const customerNames = useCustomerNames(customers)
  const typeValue = type ?? (who === 'group' ? '2' : '1')

  const input = (): InputOf<'lesson'> => ({
    date: day,
    time_from: normTime(time),
    time_to: endOf(time, duration),
    subject_id: subject ? Number(subject) : undefined,
    lesson_type_id: Number(typeValue),
    group_ids: who === 'group' && group ? [Number(group)] : [],
    customer_ids: who === 'customers' ? customers : [],
    teacher_ids: teachers.map(Number),
    room_id: room ? Number(room) : null,
    topic,
  })
  const save = useMutation({
    mutationFn: () => api.create('lesson', input()),
    onSuccess: (lesson) => {
      notifications.show({ color: 'green', message: t.created })
      void queries.invalidateQueries({ queryKey: [branch, 'lesson'] })
      void queries.invalidateQueries({ queryKey: [branch, 'customer'] })
      props.onDone(lesson)
    },
    onError: (err) => {
      const f = fieldErrors(err)
      setErrors(f)
      check.reset()
      if (Object.keys(f).length === 0) notifications.show({ color: 'red', message: errorText(err) })
    },
  })
  const check = useCheckedSave(() => save.mutate())
  const changed =
    <T,>(setter: (v: T) => void) =>
    (v: T) => {
      setter(v)
      check.reset()
    }

  function submit(e: FormEvent) {
    e.preventDefault()
    setErrors({})
    void check.submit({
      id: null,
      date: day,
      from: normTime(time),
      to: endOf(time, duration),
      room_id: room ? Number(room) : null,
      teacher_ids: teachers.map(Number),
    })
  }

  const shown = new Set([
    'date',
    'time_from',
    'time_to',
    'duration',
    'subject_id',
    'lesson_type_id',
    'group_ids',
    'customer_ids',
    'teacher_ids',
    'room_id',
    'topic',
  ])
  const other = Object.entries(errors).filter(([k]) => !shown.has(k))
  const clash = check.conflicts && check.conflicts.length > 0
  return (
    <form onSubmit={submit} data-testid="lesson-form" noValidate>
      <Stack gap="sm">
        {other.length > 0 && (
          <Alert color="red" role="alert">
            {other.map(([, v]) => v).join(' ')}
          </Alert>
        )}
        <Group grow align="flex-start">
          <DateField
            label={t.date}
            value={day}
            onChange={changed(setDay)}
            error={errors.date}
            required
            testid="lesson-form-date"
          />
          <TextInput
            label={t.time}
            placeholder={t.timePlaceholder}
            inputMode="numeric"
            maxLength={5}
            value={time}
            onChange={(e) => changed(setTime)(e.currentTarget.value)}
            error={errors.time_from}
            required
            data-testid="lesson-form-time"
          />
          <NumberInput
            label={t.duration}
            value={duration}
            min={5}
            max={600}
            step={15}
            onChange={(v) => changed(setDuration)(Number(v) || 60)}
            error={errors.duration ?? errors.time_to}
            data-testid="lesson-form-duration"
          />
        </Group>
        <Group grow align="flex-start">
          <Select
            label={t.subject}
            data={names.subjects.options}
            value={subject}
            onChange={setSubject}
            searchable
            required
            error={errors.subject_id}
            data-testid="lesson-form-subject"
          />
          <Select
            label={t.type}
            data={types.options}
            value={typeValue}
            onChange={setType}
            allowDeselect={false}
            error={errors.lesson_type_id}
            data-testid="lesson-form-type"
          />
        </Group>
        <Stack gap={4}>
          <Text size="sm" fw={500} id="lesson-form-who">
            {t.who}
          </Text>
          <SegmentedControl
            aria-labelledby="lesson-form-who"
            data={[
              { value: 'group', label: t.whoGroup },
              { value: 'customers', label: t.whoCustomers },
            ]}
            value={who}
            onChange={(v) => setWho(v as 'group' | 'customers')}
          />
        </Stack>
        {who === 'group' ? (
          <Select
            label={t.group}
            data={names.groups.options}
            value={group}
            onChange={setGroup}
            searchable
            clearable
            error={errors.group_ids}
            data-testid="lesson-form-group"
          />
        ) : (
          <Stack gap={4}>
            {customers.map((id) => {
              const name = customerNames.get(id) ?? `#${id}`
              return (
                <Group key={id} gap="xs">
                  <Text size="sm">{name}</Text>
                  <CloseButton
                    size="sm"
                    aria-label={t.removeCustomer(name)}
                    onClick={() => setCustomers((list) => list.filter((c) => c !== id))}
                  />
                </Group>
              )
            })}
            <CustomerSelect
              label={t.addCustomer}
              value={null}
              onChange={(id) => id && setCustomers((list) => (list.includes(id) ? list : [...list, id]))}
              error={errors.customer_ids}
              testid="lesson-form-customer"
            />
          </Stack>
        )}
        <Group grow align="flex-start">
          <MultiSelect
            label={t.teachers}
            data={names.teachers.options}
            value={teachers}
            onChange={changed(setTeachers)}
            searchable
            error={errors.teacher_ids}
            data-testid="lesson-form-teachers"
          />
          <Select
            label={t.room}
            data={names.rooms.options}
            value={room}
            onChange={changed(setRoom)}
            clearable
            error={errors.room_id}
            data-testid="lesson-form-room"
          />
        </Group>
        <TextInput
          label={t.topic}
          value={topic}
          onChange={(e) => setTopic(e.currentTarget.value)}
          error={errors.topic}
        />
        {clash && <ConflictList conflicts={check.conflicts!} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => props.onDone(null)}>
            {m.app.cancel}
          </Button>
          <Button
            type="submit"
            color={clash ? 'orange' : undefined}
            loading={check.checking || save.isPending}
            data-testid="lesson-form-save"
          >
            {clash ? t.saveAnyway : t.save}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

/** Where a lesson moves to: a new date, start, room and teacher (its duration kept). */
export interface MoveTarget {
  date: string
  time: string
  roomId: number | null
  teacherIds: number[]
}

/** The update that moves a lesson, keeping its length. */
export function moveInput(lesson: Lesson, to: MoveTarget): InputOf<'lesson'> {
  return {
    date: to.date,
    time_from: to.time,
    time_to: endOf(to.time, lesson.duration),
    room_id: to.roomId,
    teacher_ids: to.teacherIds,
  }
}

export function moveSlot(lesson: Lesson, to: MoveTarget): Slot {
  return {
    id: lesson.id,
    date: to.date,
    from: to.time,
    to: endOf(to.time, lesson.duration),
    room_id: to.roomId,
    teacher_ids: to.teacherIds,
  }
}

/**
 * «Перенести»: the lesson's new date, time, room and teachers, checked for clashes before it is saved.
 * The drag-and-drop of the schedule opens it when the dropped slot clashes (`conflicts` given).
 */
export function MoveLessonForm(props: {
  lesson: Lesson
  target?: MoveTarget
  conflicts?: Lesson[]
  onDone: (moved: boolean) => void
}) {
  const { api, branch } = useSession()
  const queries = useQueryClient()
  const names = useScheduleNames()
  const l = props.lesson
  const start = props.target ?? {
    date: l.date,
    time: l.time_from.slice(11, 16),
    roomId: l.room_id,
    teacherIds: l.teacher_ids,
  }
  const [day, setDay] = useState(start.date)
  const [time, setTime] = useState(start.time)
  const [room, setRoom] = useState<string | null>(start.roomId ? String(start.roomId) : null)
  const [teachers, setTeachers] = useState<string[]>(start.teacherIds.map(String))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const target = (): MoveTarget => ({
    date: day,
    time: normTime(time),
    roomId: room ? Number(room) : null,
    teacherIds: teachers.map(Number),
  })
  const save = useMutation({
    mutationFn: () => api.update('lesson', l.id, moveInput(l, target())),
    onSuccess: () => {
      notifications.show({ color: 'green', message: t.moved })
      void queries.invalidateQueries({ queryKey: [branch, 'lesson'] })
      props.onDone(true)
    },
    onError: (err) => {
      const f = fieldErrors(err)
      setErrors(f)
      check.reset()
      if (Object.keys(f).length === 0) notifications.show({ color: 'red', message: errorText(err) })
    },
  })
  const check = useCheckedSave(() => save.mutate())
  const [initial, setInitial] = useState(props.conflicts ?? null)
  const changed =
    <T,>(setter: (v: T) => void) =>
    (v: T) => {
      setter(v)
      check.reset()
      setInitial(null)
    }
  const conflicts = initial ?? check.conflicts
  const clash = !!conflicts && conflicts.length > 0

  function submit(e: FormEvent) {
    e.preventDefault()
    setErrors({})
    if (initial && initial.length > 0) return save.mutate()
    void check.submit(moveSlot(l, target()))
  }
  const other = Object.entries(errors).filter(
    ([k]) => !['date', 'time_from', 'time_to', 'room_id', 'teacher_ids'].includes(k),
  )
  return (
    <form onSubmit={submit} data-testid="move-form" noValidate>
      <Stack gap="sm">
        {other.length > 0 && (
          <Alert color="red" role="alert">
            {other.map(([, v]) => v).join(' ')}
          </Alert>
        )}
        <Group grow align="flex-start">
          <DateField
            label={t.date}
            value={day}
            onChange={changed(setDay)}
            error={errors.date}
            required
            testid="move-form-date"
          />
          <TextInput
            label={t.time}
            placeholder={t.timePlaceholder}
            inputMode="numeric"
            maxLength={5}
            value={time}
            onChange={(e) => changed(setTime)(e.currentTarget.value)}
            error={errors.time_from ?? errors.time_to}
            required
            data-testid="move-form-time"
          />
        </Group>
        <Group grow align="flex-start">
          <Select
            label={t.room}
            data={names.rooms.options}
            value={room}
            onChange={changed(setRoom)}
            clearable
            error={errors.room_id}
            data-testid="move-form-room"
          />
          <MultiSelect
            label={t.teachers}
            data={names.teachers.options}
            value={teachers}
            onChange={changed(setTeachers)}
            searchable
            error={errors.teacher_ids}
          />
        </Group>
        {clash && <ConflictList conflicts={conflicts!} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => props.onDone(false)}>
            {m.app.cancel}
          </Button>
          <Button
            type="submit"
            color={clash ? 'orange' : undefined}
            loading={check.checking || save.isPending}
            data-testid="move-form-save"
          >
            {clash ? t.moveAnyway : t.move}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
