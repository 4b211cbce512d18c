import { Box, Text } from '@mantine/core'
import { type DragEvent, useEffect, useRef } from 'react'
import { Link } from 'wouter'
import { m } from '../../i18n'
import { date as dmy } from '../../lib/format'
import { type Columns, hm, minutes, weekday } from './ScheduleQuery'
import { type Lesson, lessonTime, lessonWho, type ScheduleNames, subjectColor } from './scheduleData'

const t = m.schedule

/** Height of one 30-minute row, px. */
const ROW = 28
const STEP = 30

/** A column of the grid: a day and a room or teacher (id null: lessons without one). */
export interface Column {
  day: string
  resource: number | null
  name: string
}

/** Where a click or a drop landed: a day, a start time and the column's room or teacher. */
export interface SlotTarget {
  day: string
  time: string
  resource: number | null
}

/** A drag's payload: the lesson and the column's resource it left. */
export interface DragInfo {
  id: number
  from: number | null
}

/** The resources (rooms or teachers) a lesson sits in, as columns see them. */
export function lessonResources(l: Lesson, columns: Columns): Array<number | null> {
  if (columns === 'room') return [l.room_id]
  return l.teacher_ids.length > 0 ? l.teacher_ids : [null]
}

/** Side-by-side lanes for lessons overlapping in one column: each gets its lane and its cluster's count. */
function lanes(lessons: Lesson[]): Map<number, { lane: number; of: number }> {
  const sorted = [...lessons].sort((a, b) => minutes(a.time_from) - minutes(b.time_from) || a.id - b.id)
  const out = new Map<number, { lane: number; of: number }>()
  let cluster: Lesson[] = []
  let ends: number[] = []
  let clusterEnd = -1
  const close = () => {
    for (const l of cluster) out.get(l.id)!.of = ends.length
    cluster = []
    ends = []
  }
  for (const l of sorted) {
    const from = minutes(l.time_from)
    if (from >= clusterEnd) close()
    let lane = ends.findIndex((end) => end <= from)
    if (lane < 0) lane = ends.length
    ends[lane] = minutes(l.time_to)
    clusterEnd = Math.max(clusterEnd, minutes(l.time_to))
    cluster.push(l)
    out.set(l.id, { lane, of: 0 })
  }
  close()
  return out
}

/**
 * The week or day grid: time rows every 30 minutes, a column per day and room (or teacher), lessons as
 * blocks placed by time. An empty slot is clicked to create a lesson there; a block is dragged to another
 * slot to move it (the lesson page has the same as a form, for the keyboard).
 */
export function TimeGrid(props: {
  days: string[]
  resources: Array<{ id: number | null; name: string }>
  columns: Columns
  lessons: Lesson[]
  names: ScheduleNames
  customers: Map<number, string>
  loaded: boolean
  canWrite: boolean
  onSlot: (slot: SlotTarget) => void
  onDrop: (drag: DragInfo, slot: SlotTarget) => void
}) {
  const { days, resources, lessons } = props
  const cols: Column[] = days.flatMap((day) => resources.map((r) => ({ day, resource: r.id, name: r.name })))
  // 08:00–22:00, widened to any lesson outside it.
  let start = 8 * 60
  let end = 22 * 60
  for (const l of lessons) {
    start = Math.min(start, Math.floor(minutes(l.time_from) / 60) * 60)
    end = Math.max(end, Math.ceil(minutes(l.time_to) / 60) * 60)
  }
  const rows = Array.from({ length: (end - start) / STEP }, (_, i) => start + i * STEP)
  const minWidth = days.length === 1 ? 150 : 92
  const earliest = lessons.reduce((min, l) => Math.min(min, minutes(l.time_from)), 24 * 60)
  const scroller = useRef<HTMLDivElement>(null)
  const period = `${days[0]}|${days.length}`
  // Each period opens scrolled to its first lesson (the morning is often empty).
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per period and load, not on every refresh.
  useEffect(() => {
    if (!props.loaded || !scroller.current) return
    const first = earliest < 24 * 60 ? earliest : start
    scroller.current.scrollTop = Math.max(0, ((first - start) / STEP - 1) * ROW)
  }, [period, props.loaded])
  const headTop = days.length > 1 ? DAY_HEAD : 0
  const template = `56px repeat(${cols.length}, minmax(${minWidth}px, 1fr))`

  const byColumn = new Map<string, Lesson[]>()
  for (const l of lessons) {
    for (const r of lessonResources(l, props.columns)) {
      const key = `${l.date}|${r}`
      byColumn.set(key, [...(byColumn.get(key) ?? []), l])
    }
  }

  const dragOver = (e: DragEvent) => {
    if (!props.canWrite || !e.dataTransfer.types.includes('application/x-parta-lesson')) return
    e.preventDefault()
    e.dataTransfer.dropEffect = 'move'
  }
  const drop = (e: DragEvent, slot: SlotTarget) => {
    const raw = e.dataTransfer.getData('application/x-parta-lesson')
    if (!raw) return
    e.preventDefault()
    props.onDrop(JSON.parse(raw) as DragInfo, slot)
  }

  return (
    <Box
      ref={scroller}
      style={{
        overflow: 'auto',
        maxHeight: 'max(420px, calc(100vh - 190px))',
        border: '1px solid var(--mantine-color-gray-3)',
        borderRadius: 4,
      }}
      data-testid="schedule-grid"
      data-loaded={props.loaded ? '1' : '0'}
      data-columns={props.columns}
    >
      <Box style={{ display: 'grid', gridTemplateColumns: template, minWidth: 'min-content' }}>
        {/* Day headers, each over its columns (the day view names only its columns). */}
        {days.length > 1 && (
          <>
            <Box style={{ ...headCell, ...corner, top: 0, height: DAY_HEAD }} />
            {days.map((day) => (
              <Box
                key={day}
                style={{
                  ...headCell,
                  top: 0,
                  height: DAY_HEAD,
                  gridColumn: `span ${resources.length}`,
                  textAlign: 'center',
                }}
              >
                <Text size="sm" fw={600}>
                  {t.weekdays[weekday(day) - 1]} {dmy(day).slice(0, 5)}
                </Text>
              </Box>
            ))}
          </>
        )}
        <Box style={{ ...headCell, ...corner, top: headTop }}>
          <Text size="xs" c="dimmed">
            {t.time}
          </Text>
        </Box>
        {cols.map((c) => (
          <Box key={`${c.day}|${c.resource}`} style={{ ...headCell, top: headTop }} title={c.name}>
            <Text size="xs" fw={500} lineClamp={2} style={{ lineHeight: 1.2 }}>
              {c.name}
            </Text>
          </Box>
        ))}
        {/* The body: time labels, then each column's slots with its blocks above them. */}
        <Box
          style={{
            position: 'sticky',
            left: 0,
            zIndex: 2,
            background: 'var(--mantine-color-white)',
            borderRight: '1px solid var(--mantine-color-gray-3)',
          }}
        >
          {rows.map((r) => (
            <Box key={r} style={{ height: ROW, paddingInline: 4 }}>
              {r % 60 === 0 && (
                <Text size="xs" c="dimmed">
                  {hm(r)}
                </Text>
              )}
            </Box>
          ))}
        </Box>
        {cols.map((c) => {
          const key = `${c.day}|${c.resource}`
          const here = byColumn.get(key) ?? []
          const placed = lanes(here)
          return (
            <Box
              key={key}
              style={{ position: 'relative', borderRight: '1px solid var(--mantine-color-gray-2)' }}
            >
              {rows.map((r) => {
                const slot = { day: c.day, time: hm(r), resource: c.resource }
                return (
                  // biome-ignore lint/a11y/noStaticElementInteractions: a pointer shortcut; «Новый урок» in the toolbar is the keyboard way.
                  // biome-ignore lint/a11y/useKeyWithClickEvents: as above.
                  <div
                    key={r}
                    data-testid="slot"
                    data-date={c.day}
                    data-time={hm(r)}
                    data-resource={c.resource ?? ''}
                    title={props.canWrite ? t.slot(dmy(c.day), hm(r), c.name) : undefined}
                    style={{
                      height: ROW,
                      borderTop: `1px ${r % 60 === 0 ? 'solid' : 'dashed'} var(--mantine-color-gray-2)`,
                      cursor: props.canWrite ? 'pointer' : undefined,
                    }}
                    onClick={props.canWrite ? () => props.onSlot(slot) : undefined}
                    onDragOver={dragOver}
                    onDrop={(e) => drop(e, slot)}
                  />
                )
              })}
              {here.map((l) => (
                <Block
                  key={l.id}
                  lesson={l}
                  top={((minutes(l.time_from) - start) / STEP) * ROW}
                  height={((minutes(l.time_to) - minutes(l.time_from)) / STEP) * ROW}
                  lane={placed.get(l.id)!}
                  resource={c.resource}
                  {...props}
                />
              ))}
            </Box>
          )
        })}
      </Box>
    </Box>
  )
}

/** Height of the day header row, px (the columns' header sticks under it). */
const DAY_HEAD = 30

const headCell = {
  position: 'sticky',
  zIndex: 3,
  padding: '4px 6px',
  borderBottom: '1px solid var(--mantine-color-gray-3)',
  borderRight: '1px solid var(--mantine-color-gray-2)',
  background: 'var(--mantine-color-gray-0)',
  minWidth: 0,
} as const

const corner = { left: 0, zIndex: 4 } as const

function Block(props: {
  lesson: Lesson
  top: number
  height: number
  lane: { lane: number; of: number }
  resource: number | null
  columns: Columns
  names: ScheduleNames
  customers: Map<number, string>
  canWrite: boolean
}) {
  const l = props.lesson
  const color = subjectColor(l.subject_id)
  const subject = props.names.subjects.byId.get(l.subject_id)?.name ?? `#${l.subject_id}`
  const who = lessonWho(l, props.names, props.customers)
  // The other dimension than the columns: the teachers in a room column, the room in a teacher column.
  const other =
    props.columns === 'room'
      ? l.teacher_ids.map((id) => props.names.teachers.byId.get(id)?.name ?? `#${id}`).join(', ')
      : l.room_id
        ? (props.names.rooms.byId.get(l.room_id)?.name ?? `#${l.room_id}`)
        : ''
  const width = 100 / props.lane.of
  const status = t.status[l.status] ?? ''
  return (
    <Link
      href={`/lessons/${l.id}`}
      data-testid="lesson-block"
      data-id={l.id}
      data-status={l.status}
      aria-label={t.block(lessonTime(l), subject, who, status)}
      title={[lessonTime(l), subject, who, other, status].filter(Boolean).join('\n')}
      draggable={props.canWrite}
      onDragStart={(e: DragEvent) => {
        e.dataTransfer.setData(
          'application/x-parta-lesson',
          JSON.stringify({ id: l.id, from: props.resource }),
        )
        e.dataTransfer.effectAllowed = 'move'
      }}
      style={{
        position: 'absolute',
        top: props.top + 1,
        height: Math.max(props.height - 2, 18),
        left: `calc(${props.lane.lane * width}% + 2px)`,
        width: `calc(${width}% - 4px)`,
        overflow: 'hidden',
        padding: '1px 3px',
        borderRadius: 4,
        borderLeft: `3px solid var(--mantine-color-${color}-6)`,
        background: l.status === 2 ? 'var(--mantine-color-gray-1)' : `var(--mantine-color-${color}-1)`,
        color: 'var(--mantine-color-black)',
        opacity: l.status === 2 ? 0.7 : 1,
        textDecoration: l.status === 2 ? 'line-through' : 'none',
        fontSize: 11,
        lineHeight: 1.2,
        zIndex: 1,
      }}
    >
      {l.status === 3 && (
        <span
          aria-hidden="true"
          style={{
            position: 'absolute',
            bottom: 1,
            right: 2,
            padding: '0 3px',
            borderRadius: 8,
            background: 'var(--mantine-color-white)',
            fontWeight: 700,
            color: 'var(--mantine-color-green-8)',
            textDecoration: 'none',
          }}
        >
          ✓
        </span>
      )}
      <div style={{ fontWeight: 600, whiteSpace: 'nowrap', overflow: 'hidden' }}>{lessonTime(l)}</div>
      <div style={{ whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}>{subject}</div>
      {who && <div style={{ whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}>{who}</div>}
      {other && (
        <div
          style={{
            whiteSpace: 'nowrap',
            overflow: 'hidden',
            textOverflow: 'ellipsis',
            color: 'var(--mantine-color-gray-7)',
          }}
        >
          {other}
        </div>
      )}
    </Link>
  )
}
