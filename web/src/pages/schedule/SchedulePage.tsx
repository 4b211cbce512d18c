import {
  ActionIcon,
  Alert,
  Button,
  Group,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Title,
} from '@mantine/core'
import { DateInput } from '@mantine/dates'
import { notifications } from '@mantine/notifications'
import { useQueryClient } from '@tanstack/react-query'
import { useMemo, useState } from 'react'
import { useLocation, useSearch } from 'wouter'
import { errorText } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date as dmy, today } from '../../lib/format'
import { parseDay } from '../payments/DateField'
import { findConflicts } from './conflicts'
import { CreateLessonForm, MoveLessonForm, type MoveTarget, moveInput, moveSlot } from './LessonForms'
import { MonthGrid } from './MonthGrid'
import {
  type Columns,
  lessonFilter,
  periodDays,
  readState,
  type ScheduleState,
  step,
  type View,
  writeState,
} from './ScheduleQuery'
import { type Lesson, useCustomerNames, useLessons, useScheduleNames } from './scheduleData'
import { type DragInfo, type SlotTarget, TimeGrid } from './TimeGrid'

const t = m.schedule

/** The schedule state from the URL, and a way to change it. */
function useScheduleState(teacherDefault: string): [ScheduleState, (patch: Partial<ScheduleState>) => void] {
  const search = useSearch()
  const [location, navigate] = useLocation()
  const state = useMemo(() => readState(search, teacherDefault), [search, teacherDefault])
  const update = (patch: Partial<ScheduleState>) => {
    const qs = writeState({ ...state, ...patch }, teacherDefault)
    navigate(`${location}${qs ? `?${qs}` : ''}`)
  }
  return [state, update]
}

/** The period in words: `30.11–06.12.2026`, `07.12.2026`, `декабрь 2026`. */
function periodTitle(s: ScheduleState): string {
  if (s.view === 'day')
    return `${t.weekdays[(new Date(`${s.date}T00:00:00Z`).getUTCDay() + 6) % 7]}, ${dmy(s.date)}`
  if (s.view === 'month')
    return t.monthTitle(t.months[Number(s.date.slice(5, 7)) - 1] ?? '', s.date.slice(0, 4))
  const days = periodDays('week', s.date)
  return `${dmy(days[0]).slice(0, 5)}–${dmy(days[6])}`
}

/**
 * The schedule: a week (or a day) of lessons in columns by room or by teacher, or a month's counts; filters,
 * the period and the view live in the address. Lessons are created by clicking a free slot and moved by
 * dragging (each checked for clashes first).
 */
export default function SchedulePage() {
  const { user, canWrite, api, branch } = useSession()
  const queries = useQueryClient()
  const own = user.teacher_id
  const [s, update] = useScheduleState(own ? String(own) : '')
  const names = useScheduleNames()
  const lessons = useLessons(lessonFilter(s))
  const items = lessons.data ?? []
  const customers = useCustomerNames(s.view === 'month' ? [] : items.flatMap((l) => l.customer_ids))
  const writable = canWrite('lesson') && user.role !== 'teacher'
  const [creating, setCreating] = useState<SlotTarget | null>(null)
  const [moving, setMoving] = useState<{ lesson: Lesson; target: MoveTarget; conflicts: Lesson[] } | null>(
    null,
  )

  const resources = useMemo(() => {
    const list =
      s.columns === 'room'
        ? names.rooms.items
            .filter((r) => r.is_enabled !== 0 && (!s.room || String(r.id) === s.room))
            .map((r) => ({ id: r.id as number | null, name: r.name }))
        : names.teachers.items
            .filter((x) => !s.teacher || String(x.id) === s.teacher)
            .map((x) => ({ id: x.id as number | null, name: x.name }))
    // Lessons without a room (or teacher), or with one not listed, get columns of their own.
    const known = new Set(list.map((r) => r.id))
    for (const l of items) {
      const ids: Array<number | null> =
        s.columns === 'room' ? [l.room_id] : l.teacher_ids.length ? l.teacher_ids : [null]
      for (const id of ids) {
        if (known.has(id)) continue
        known.add(id)
        const dict = s.columns === 'room' ? names.rooms.byId : names.teachers.byId
        list.push({
          id,
          name:
            id === null ? (s.columns === 'room' ? t.noRoom : t.noTeacher) : (dict.get(id)?.name ?? `#${id}`),
        })
      }
    }
    return list
  }, [
    s.columns,
    s.room,
    s.teacher,
    names.rooms.items,
    names.teachers.items,
    names.rooms.byId,
    names.teachers.byId,
    items,
  ])

  const dictsReady = !names.rooms.isLoading && !names.teachers.isLoading && !names.subjects.isLoading
  const loaded = lessons.isSuccess && !lessons.isPlaceholderData && dictsReady && !lessons.isFetching

  function slotResource(slot: SlotTarget) {
    return {
      roomId: s.columns === 'room' ? slot.resource : s.room ? Number(s.room) : null,
      teacherId: s.columns === 'teacher' ? slot.resource : s.teacher ? Number(s.teacher) : null,
    }
  }

  async function onDrop(drag: DragInfo, slot: SlotTarget) {
    const lesson = items.find((l) => l.id === drag.id)
    if (!lesson) return
    const target: MoveTarget = {
      date: slot.day,
      time: slot.time,
      roomId: s.columns === 'room' ? slot.resource : lesson.room_id,
      teacherIds:
        s.columns === 'teacher'
          ? [
              ...new Set(
                lesson.teacher_ids
                  .map((id) => (id === drag.from ? slot.resource : id))
                  .concat(drag.from === null ? [slot.resource] : [])
                  .filter((id): id is number => id !== null),
              ),
            ]
          : lesson.teacher_ids,
    }
    try {
      const conflicts = await findConflicts(api, moveSlot(lesson, target))
      if (conflicts.length > 0) {
        setMoving({ lesson, target, conflicts })
        return
      }
      await api.update('lesson', lesson.id, moveInput(lesson, target))
      notifications.show({ color: 'green', message: t.form.moved })
      await queries.invalidateQueries({ queryKey: [branch, 'lesson'] })
    } catch (err) {
      notifications.show({ color: 'red', title: t.form.moveFailed, message: errorText(err) })
    }
  }

  const filter = (
    key: 'teacher' | 'room' | 'group' | 'subject',
    label: string,
    placeholder: string,
    data: Array<{ value: string; label: string }>,
    w: number,
  ) => (
    <Select
      aria-label={label}
      placeholder={placeholder}
      data={data}
      value={s[key] || null}
      onChange={(v) => update({ [key]: v ?? '' })}
      clearable
      searchable
      w={w}
      data-testid={`filter-${key}`}
    />
  )

  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Title order={1} size="h2">
          {t.title}
        </Title>
        <Group gap="xs" wrap="wrap">
          <SegmentedControl
            aria-label={t.viewLabel}
            data={(['week', 'day', 'month'] as View[]).map((v) => ({ value: v, label: t.views[v]! }))}
            value={s.view}
            onChange={(v) => update({ view: v as View })}
            data-testid="schedule-view"
          />
          {s.view !== 'month' && (
            <SegmentedControl
              aria-label={t.columnsLabel}
              data={(['room', 'teacher'] as Columns[]).map((c) => ({ value: c, label: t.columns[c]! }))}
              value={s.columns}
              onChange={(v) => update({ columns: v as Columns })}
              data-testid="schedule-columns"
            />
          )}
          {writable && s.view !== 'month' && (
            <Button
              onClick={() => setCreating({ day: s.date, time: '10:00', resource: null })}
              data-testid="schedule-create"
            >
              {t.form.createTitle}
            </Button>
          )}
        </Group>
      </Group>
      <Group gap="xs" wrap="wrap">
        <ActionIcon
          variant="default"
          size="lg"
          aria-label={t.previous[s.view]}
          onClick={() => update({ date: step(s.view, s.date, -1) })}
          data-testid="schedule-prev"
        >
          ‹
        </ActionIcon>
        <Button variant="default" onClick={() => update({ date: today() })} data-testid="schedule-today">
          {t.today}
        </Button>
        <ActionIcon
          variant="default"
          size="lg"
          aria-label={t.next[s.view]}
          onClick={() => update({ date: step(s.view, s.date, 1) })}
          data-testid="schedule-next"
        >
          ›
        </ActionIcon>
        <DateInput
          aria-label={t.date}
          value={s.date}
          onChange={(v) => v && update({ date: String(v) })}
          valueFormat={(v) => dmy(String(v))}
          dateParser={parseDay}
          locale="ru"
          w={130}
          data-testid="schedule-date"
          popoverProps={{ withinPortal: true }}
        />
        <Text fw={600} size="lg" data-testid="schedule-period" miw={150}>
          {periodTitle(s)}
        </Text>
        {filter('teacher', t.teacher, t.anyTeacher, names.teachers.options, 190)}
        {filter('room', t.room, t.anyRoom, names.rooms.options, 150)}
        {filter('group', t.group, t.anyGroup, names.groups.options, 210)}
        {filter('subject', t.subject, t.anySubject, names.subjects.options, 180)}
        {(s.teacher || s.room || s.group || s.subject) && (
          <Button variant="subtle" onClick={() => update({ teacher: '', room: '', group: '', subject: '' })}>
            {t.reset}
          </Button>
        )}
      </Group>
      {lessons.isError && (
        <Alert color="red" role="alert">
          {t.loadError} {errorText(lessons.error)}
        </Alert>
      )}
      {s.view === 'month' ? (
        <MonthGrid
          date={s.date}
          lessons={items}
          loaded={loaded}
          onDay={(day) => update({ view: 'day', date: day })}
        />
      ) : (
        <>
          <TimeGrid
            days={periodDays(s.view, s.date)}
            resources={resources}
            columns={s.columns}
            lessons={items}
            names={names}
            customers={customers}
            loaded={loaded}
            canWrite={writable}
            onSlot={setCreating}
            onDrop={(drag, slot) => void onDrop(drag, slot)}
          />
          {loaded && items.length === 0 && <Text c="dimmed">{t.empty}</Text>}
          {writable && (
            <Text size="sm" c="dimmed">
              {t.hint}
            </Text>
          )}
        </>
      )}
      <Modal
        closeButtonProps={{ 'aria-label': m.app.close }}
        opened={!!creating}
        onClose={() => setCreating(null)}
        title={t.form.createTitle}
        size="lg"
      >
        {creating && (
          <CreateLessonForm
            date={creating.day}
            time={creating.time}
            {...slotResource(creating)}
            onDone={() => setCreating(null)}
          />
        )}
      </Modal>
      <Modal
        closeButtonProps={{ 'aria-label': m.app.close }}
        opened={!!moving}
        onClose={() => setMoving(null)}
        title={t.form.moveTitle}
        size="lg"
      >
        {moving && (
          <MoveLessonForm
            lesson={moving.lesson}
            target={moving.target}
            conflicts={moving.conflicts}
            onDone={() => setMoving(null)}
          />
        )}
      </Modal>
    </Stack>
  )
}
