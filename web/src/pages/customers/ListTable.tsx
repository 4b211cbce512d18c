import { Table, UnstyledButton } from '@mantine/core'
import type { ReactNode } from 'react'
import { Link } from 'wouter'
import type { RecordOf } from '../../api/client'
import { m } from '../../i18n'
import { date, dateTime, kopecks, money, phone } from '../../lib/format'
import type { Names } from './CsvExport'
import type { ListState, SortKey } from './ListQuery'
import css from './ListTable.module.css'

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

/** One row: plain elements with the table's own classes (a Mantine component per cell costs ten times more). */
function Row(props: { r: Customer; names: Names }) {
  const { r, names } = props
  const td = Table.classes.td
  return (
    <tr
      className={Table.classes.tr}
      data-with-row-border
      data-striped="odd"
      data-hover
      data-testid="customer-row"
      data-id={r.id}
    >
      <td className={`${td} ${css.nameCell}`}>
        <Link
          href={`/customers/${r.id}`}
          className={`mantine-focus-auto ${css.name}`}
          data-testid="customer-name"
        >
          {r.name}
        </Link>
      </td>
      <td className={`${td} ${css.nowrap}`} data-testid="customer-phones">
        {r.phone.map((p) => (
          <div key={p}>{phone(p)}</div>
        ))}
      </td>
      <td className={`${td} ${css.nowrap} ${css.right}`} data-testid="customer-balance">
        <span className={kopecks(r.balance) < 0 ? css.debt : undefined}>{money(r.balance)}</span>
      </td>
      <td className={`${td} ${css.right}`}>{r.paid_lesson_count}</td>
      <td className={`${td} ${css.nowrap}`}>{dateTime(r.next_lesson_date)}</td>
      <td className={`${td} ${css.nowrap}`}>{names.status(r)}</td>
      <td className={td}>{names.source(r)}</td>
      <td className={`${td} ${css.nowrap}`}>{date(r.b_date)}</td>
    </tr>
  )
}

/** One page of customers; the name opens the card. */
export function ListTable(props: { items: Customer[]; names: Names; sort: Sort; onSort(s: Sort): void }) {
  const { sort, onSort } = props
  return (
    <div className={css.scroll}>
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
            <Row key={r.id} r={r} names={props.names} />
          ))}
        </Table.Tbody>
      </Table>
    </div>
  )
}
