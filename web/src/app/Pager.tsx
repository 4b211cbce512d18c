import { Pagination, type PaginationProps } from '@mantine/core'
import { m } from '../i18n'

/** Paging controls with spoken names for every button (the arrows have no text of their own). */
export function Pager(props: PaginationProps) {
  return (
    <Pagination
      getControlProps={(control) => ({
        'aria-label': m.app.pageControl[control] ?? control,
        'data-testid': `page-${control}`,
      })}
      getItemProps={(p) => ({ 'aria-label': m.app.pageNumber(p) })}
      {...props}
    />
  )
}
