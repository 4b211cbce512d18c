import '@mantine/dates/styles.css'
import 'dayjs/locale/ru'
import { DateInput } from '@mantine/dates'
import { m } from '../../i18n'
import { date } from '../../lib/format'

const DMY = /^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$/
const ISO = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/

/** `dd.mm.yyyy` (or `yyyy-mm-dd`) as typed → `yyyy-mm-dd`; null until the date is complete and real. */
export function parseDay(text: string): string | null {
  const dmy = DMY.exec(text)
  const iso = ISO.exec(text)
  const [y, mo, d] = dmy ? [dmy[3], dmy[2], dmy[1]] : iso ? [iso[1], iso[2], iso[3]] : []
  if (!y || !mo || !d) return null
  const value = `${y}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`
  const check = new Date(`${value}T00:00:00Z`)
  return Number.isNaN(check.getTime()) || check.toISOString().slice(0, 10) !== value ? null : value
}

/** A date typed as `dd.mm.yyyy` or picked in the calendar; the value is `yyyy-mm-dd` ('' when empty). */
export function DateField(props: {
  label: string
  value: string
  onChange: (value: string) => void
  error?: string
  required?: boolean
  clearable?: boolean
  w?: number
  testid?: string
}) {
  return (
    <DateInput
      label={props.label}
      value={props.value || null}
      onChange={(v) => props.onChange(v ?? '')}
      valueFormat={(v) => date(String(v))}
      dateParser={parseDay}
      locale="ru"
      placeholder={m.payments.datePlaceholder}
      clearable={props.clearable}
      error={props.error}
      required={props.required}
      w={props.w}
      data-testid={props.testid}
      popoverProps={{ withinPortal: true }}
    />
  )
}
