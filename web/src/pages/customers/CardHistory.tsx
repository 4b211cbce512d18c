import { Badge, List, Stack, Text } from '@mantine/core'
import { useState } from 'react'
import { m } from '../../i18n'
import { dateTime } from '../../lib/format'
import { useList } from '../../lib/queries'
import { CardTable, fieldLabel, Pager, useCustomerFields, useFieldText, useUserName } from './CardCommon'

const t = m.card.history

type Attrs = Record<string, unknown> | unknown[]
const asMap = (v: Attrs): Record<string, unknown> => (Array.isArray(v) ? {} : v)
const isEmpty = (v: unknown) => v === null || v === '' || (Array.isArray(v) && v.length === 0)

/** The customer's change log (`log/index`, entity Customer): when, who, and each field's old → new. */
export default function CardHistory(props: { customerId: number }) {
  const [page, setPage] = useState(0)
  const list = useList('log', { entity: 'Customer', entity_id: props.customerId, page })
  const custom = useCustomerFields()
  const items = list.data?.items ?? []
  const text = useFieldText(items.flatMap((row) => [asMap(row.fields_old), asMap(row.fields_new)]))
  const userName = useUserName()
  return (
    <Stack gap="sm">
      <CardTable
        testId="history"
        loading={list.isLoading}
        minWidth={720}
        head={[t.when, t.who, t.event, t.changes]}
        rows={items.map((row) => {
          const before = asMap(row.fields_old)
          const after = asMap(row.fields_new)
          // A create lists every stored attribute: only the filled ones are worth reading.
          const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
            (k) => row.event !== 1 || !isEmpty(after[k]),
          )
          return {
            key: row.id,
            cells: [
              <Text key="when" size="sm" style={{ whiteSpace: 'nowrap' }}>
                {dateTime(row.date_time)}
              </Text>,
              userName(row.user_id),
              <Badge key="event" variant="light">
                {t.events[row.event] ?? row.event}
              </Badge>,
              <List key="changes" size="sm" spacing={2} listStyleType="none">
                {keys.map((k) => (
                  <List.Item key={k} data-testid={`history-change-${k}`}>
                    <Text span size="sm" fw={500}>
                      {fieldLabel(k, custom)}:
                    </Text>{' '}
                    {row.event === 1 ? (
                      text(k, after[k], custom)
                    ) : (
                      <>
                        <Text span size="sm" c="dimmed" td="line-through">
                          {isEmpty(before[k]) ? t.empty : text(k, before[k], custom)}
                        </Text>
                        {' → '}
                        {isEmpty(after[k]) ? t.empty : text(k, after[k], custom)}
                      </>
                    )}
                  </List.Item>
                ))}
              </List>,
            ],
          }
        })}
      />
      <Pager page={page} total={list.data?.total ?? 0} onPage={setPage} />
    </Stack>
  )
}
