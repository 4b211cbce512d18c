import { Anchor, Table, Text, UnstyledButton } from '@mantine/core'
import type { ReactNode } from 'react'
import { Link } from 'wouter'
import type { RecordOf } from '../../api/client'
import { m } from '../../i18n'
import { date, dateTime, kopecks, money, phone } from '../../lib/format'
import type { Names } from './CsvExport'
import type { ListState, SortKey } from './ListQuery'

type Customer = RecordOf<'customer'>
type Sort = ListState['sort']

const c = m.customers.col

/** A header cell that orders the list: click for ascending, again for descending; `aria-sort` says which. */
function SortTh(props: { label: string; k: SortKey; sort: Sort; onSort(s: Sort): void; right?: boolean }) {
  const on = props.sort?.key === props.k
  const dir = on ? (props.sort!.desc ? 'descending' : 'ascending') : 'none'
  const arrow = on ? (props.sort!.desc ? ' ↓' : ' ↑') : ''
  return (
    <Table.Th aria-sort={dir} style={{ whiteSpace: 'nowrap', textAlign: props.right ? 'right' : undefined }}>
      <UnstyledButton
        fw={700}
        fz="sm"
        data-testid={`sort-${props.k}`}
        aria-label={m.customers.sortBy(props.label)}
        onClick={() => props.onSort({ key: props.k, desc: on && !props.sort!.desc })}
      >
        {props.label}
        <span aria-hidden="true">{arrow}</span>
      </UnstyledButton>
    </Table.Th>
  )
}

const Th = (props: { children: ReactNode; right?: boolean; wrap?: boolean }) => (
  <Table.Th
    style={{ whiteSpace: props.wrap ? undefined : 'nowrap', textAlign: props.right ? 'right' : undefined }}
  >
    {props.children}
  </Table.Th>
)

/** One page of customers; the name opens the card. */
export function ListTable(props: { items: Customer[]; names: Names; sort: Sort; onSort(s: Sort): void }) {
  const { sort, onSort } = props
  return (
    <Table.ScrollContainer minWidth={1000}>
      <Table striped highlightOnHover verticalSpacing={6} fz="sm" data-testid="customers-table">
        <Table.Thead>
          <Table.Tr>
            <SortTh label={c.name} k="name" sort={sort} onSort={onSort} />
            <Th>{c.phones}</Th>
            <SortTh label={c.balance} k="balance" sort={sort} onSort={onSort} right />
            <Th right wrap>
              {c.paidLessons}
            </Th>
            <Th>{c.nextLesson}</Th>
            <Th>{c.status}</Th>
            <Th>{c.source}</Th>
            <SortTh label={c.created} k="b_date" sort={sort} onSort={onSort} />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.items.map((r) => (
            <Table.Tr key={r.id} data-testid="customer-row" data-id={r.id}>
              <Table.Td miw={180}>
                <Anchor
                  component={Link}
                  href={`/customers/${r.id}`}
                  fw={500}
                  fz="sm"
                  data-testid="customer-name"
                >
                  {r.name}
                </Anchor>
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }} data-testid="customer-phones">
                {r.phone.map((p) => (
                  <div key={p}>{phone(p)}</div>
                ))}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap', textAlign: 'right' }} data-testid="customer-balance">
                <Text span fz="sm" c={kopecks(r.balance) < 0 ? 'red.8' : undefined}>
                  {money(r.balance)}
                </Text>
              </Table.Td>
              <Table.Td style={{ textAlign: 'right' }}>{r.paid_lesson_count}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{dateTime(r.next_lesson_date)}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{props.names.status(r)}</Table.Td>
              <Table.Td>{props.names.source(r)}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{date(r.b_date)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  )
}
