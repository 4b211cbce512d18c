import { Badge, Stack } from '@mantine/core'
import { useState } from 'react'
import { m } from '../../i18n'
import { date, money } from '../../lib/format'
import { useDictionary, useList } from '../../lib/queries'
import { CardTable, Pager } from './CardCommon'

const t = m.card.lessons

/**
 * Conducted lessons the customer took part in (`lesson/index`, status 3): attendance, grade and the
 * charge are this pupil's detail row.
 */
export default function CardLessons(props: { customerId: number }) {
  const [page, setPage] = useState(0)
  const list = useList('lesson', { customer_id: props.customerId, status: 3, page })
  const subjects = useDictionary('subject')
  const teachers = useDictionary('teacher', { removed: 1 })
  const items = list.data?.items ?? []
  return (
    <Stack gap="sm">
      <CardTable
        testId="lessons"
        nowrap
        loading={list.isLoading}
        minWidth={820}
        head={[t.date, t.time, t.subject, t.teacher, t.topic, t.attended, t.grade, t.charge]}
        rows={items.map((l) => {
          const d = l.details.find((x) => x.customer_id === props.customerId)
          return {
            key: l.id,
            cells: [
              date(l.date),
              `${l.time_from.slice(11, 16)}–${l.time_to.slice(11, 16)}`,
              subjects.byId.get(l.subject_id)?.name ?? m.card.recordId(l.subject_id),
              l.teacher_ids.map((id) => teachers.byId.get(id)?.name ?? m.card.recordId(id)).join(', ') ||
                m.card.noValue,
              l.topic,
              d ? (
                <Badge key="attend" variant="light" color={d.is_attend ? 'green' : 'gray'}>
                  {d.is_attend ? t.present : t.absent}
                </Badge>
              ) : (
                m.card.noValue
              ),
              d?.grade ?? m.card.noValue,
              d?.commission ? money(d.commission) : m.card.noValue,
            ],
          }
        })}
      />
      <Pager page={page} total={list.data?.total ?? 0} onPage={setPage} />
    </Stack>
  )
}
