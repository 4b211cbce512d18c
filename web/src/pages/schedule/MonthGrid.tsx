import { Box, Text, UnstyledButton } from '@mantine/core'
import { m } from '../../i18n'
import { date as dmy, today } from '../../lib/format'
import { periodDays } from './ScheduleQuery'
import type { Lesson } from './scheduleData'

const t = m.schedule

/** The month at a glance: the number of lessons a day (cancelled ones apart); a day opens its day view. */
export function MonthGrid(props: {
  date: string
  lessons: Lesson[]
  loaded: boolean
  onDay: (day: string) => void
}) {
  const month = props.date.slice(0, 7)
  const days = periodDays('month', props.date)
  const count = new Map<string, { all: number; cancelled: number }>()
  for (const l of props.lessons) {
    const c = count.get(l.date) ?? { all: 0, cancelled: 0 }
    c.all++
    if (l.status === 2) c.cancelled++
    count.set(l.date, c)
  }
  const now = today()
  return (
    <Box data-testid="schedule-grid" data-loaded={props.loaded ? '1' : '0'} data-view="month">
      <Box style={{ display: 'grid', gridTemplateColumns: 'repeat(7, minmax(0, 1fr))', gap: 4 }}>
        {t.weekdays.map((d) => (
          <Text key={d} size="sm" fw={600} ta="center" c="dimmed">
            {d}
          </Text>
        ))}
        {days.map((day) => {
          const c = count.get(day) ?? { all: 0, cancelled: 0 }
          const inMonth = day.startsWith(month)
          return (
            <UnstyledButton
              key={day}
              onClick={() => props.onDay(day)}
              data-testid="month-day"
              data-date={day}
              data-count={inMonth ? c.all : undefined}
              aria-label={`${t.openDay(dmy(day))}. ${t.lessons(c.all)}`}
              style={{
                minHeight: 72,
                padding: 6,
                borderRadius: 4,
                border: `1px solid var(--mantine-color-${day === now ? 'blue-5' : 'gray-3'})`,
                background: inMonth ? 'var(--mantine-color-white)' : 'var(--mantine-color-gray-0)',
                opacity: inMonth ? 1 : 0.6,
              }}
            >
              <Text size="sm" fw={day === now ? 700 : 500}>
                {Number(day.slice(8))}
              </Text>
              {c.all > 0 && (
                <Text size="sm" c="blue.8" fw={600}>
                  {t.lessons(c.all)}
                </Text>
              )}
              {c.cancelled > 0 && (
                <Text size="xs" c="dimmed">
                  {t.status[2]}: {c.cancelled}
                </Text>
              )}
            </UnstyledButton>
          )
        })}
      </Box>
    </Box>
  )
}
