import { Alert, Button, Checkbox, Group, Select, Stack, Textarea, TextInput } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { Pay, PayInput } from '../../api/models.gen'
import { errorText, fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { isoDate, today } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { CustomerSelect } from './CustomerSelect'
import { DateField } from './DateField'

type PayType = 1 | 2 | 3 | 4

/** Types a new pay may have here; a salary (it names a teacher) is only edited. */
const NEW_TYPES: PayType[] = [1, 2, 3]

/** Creates or edits one pay; the API's 422 messages appear next to their fields. */
export function PayForm(props: { pay: Pay | null; onDone: () => void }) {
  const { api, branch } = useSession()
  const queries = useQueryClient()
  const accounts = useDictionary('pay-account')
  const { pay } = props
  const [type, setType] = useState<PayType>(pay?.pay_type_id ?? 1)
  const [day, setDay] = useState(pay ? isoDate(pay.document_date) : today())
  const [amount, setAmount] = useState(pay?.income ?? '')
  const [customer, setCustomer] = useState<number | null>(pay?.customer_id ?? null)
  const [teacher, setTeacher] = useState<string | null>(pay?.teacher_id ? String(pay.teacher_id) : null)
  const [account, setAccount] = useState<string | null>(pay ? String(pay.pay_account_id) : null)
  const [note, setNote] = useState(pay?.note ?? '')
  const [confirmed, setConfirmed] = useState(pay ? pay.is_confirmed === 1 : true)
  const [errors, setErrors] = useState<Record<string, string>>({})
  /** A field's setter that also clears the field's message. */
  const edited =
    <T,>(field: string, setter: (v: T) => void) =>
    (v: T) => {
      setter(v)
      setErrors((e) => (field in e ? Object.fromEntries(Object.entries(e).filter(([k]) => k !== field)) : e))
    }
  const teachers = useDictionary('teacher', {}, type === 4)
  const accountValue = account ?? accounts.options[0]?.value ?? null
  const forCustomer = type === 1 || type === 2

  const save = useMutation({
    mutationFn: (input: PayInput) => (pay ? api.update('pay', pay.id, input) : api.create('pay', input)),
    onSuccess: () => {
      notifications.show({ color: 'green', message: pay ? m.payments.updated : m.payments.created })
      // Balances move with pays: every customer read is refreshed with the journal.
      void queries.invalidateQueries({ queryKey: [branch, 'pay'] })
      void queries.invalidateQueries({ queryKey: [branch, 'customer'] })
      props.onDone()
    },
    onError: (err) => {
      const f = fieldErrors(err)
      setErrors(f)
      if (Object.keys(f).length === 0) notifications.show({ color: 'red', message: errorText(err) })
    },
  })

  function submit(e: FormEvent) {
    e.preventDefault()
    setErrors({})
    save.mutate({
      pay_type_id: type,
      document_date: day,
      income: amount.replace(/\s/g, '').replace(',', '.'),
      customer_id: forCustomer ? customer : null,
      teacher_id: type === 4 ? (teacher ? Number(teacher) : null) : null,
      pay_account_id: accountValue ? Number(accountValue) : undefined,
      note,
      is_confirmed: confirmed ? 1 : 0,
    })
  }

  const types = pay?.pay_type_id === 4 ? [...NEW_TYPES, 4 as const] : NEW_TYPES
  const shown = new Set([
    'pay_type_id',
    'document_date',
    'income',
    'customer_id',
    'teacher_id',
    'pay_account_id',
  ])
  const other = Object.entries(errors).filter(([k]) => !shown.has(k) && k !== 'note' && k !== 'is_confirmed')
  return (
    <form onSubmit={submit} data-testid="pay-form" noValidate>
      <Stack gap="sm">
        {other.length > 0 && (
          <Alert color="red" role="alert">
            {other.map(([, v]) => v).join(' ')}
          </Alert>
        )}
        <Select
          label={m.payments.type}
          data={types.map((t) => ({ value: String(t), label: m.payments.types[t] ?? String(t) }))}
          value={String(type)}
          onChange={(v) => v && edited('pay_type_id', setType)(Number(v) as PayType)}
          allowDeselect={false}
          error={errors.pay_type_id}
          data-testid="pay-form-type"
        />
        <Group grow align="flex-start">
          <DateField
            label={m.payments.date}
            value={day}
            onChange={edited('document_date', setDay)}
            error={errors.document_date}
            required
            testid="pay-form-date"
          />
          <TextInput
            label={m.payments.amount}
            inputMode="decimal"
            value={amount}
            onChange={(e) => edited('income', setAmount)(e.currentTarget.value)}
            error={errors.income}
            required
            rightSection="₽"
            data-testid="pay-form-amount"
          />
        </Group>
        {forCustomer && (
          <CustomerSelect
            label={m.payments.customer}
            value={customer}
            onChange={edited('customer_id', setCustomer)}
            error={errors.customer_id}
            required
            testid="pay-form-customer"
          />
        )}
        {type === 4 && (
          <Select
            label={m.payments.teacher}
            data={teachers.options}
            value={teacher}
            onChange={edited('teacher_id', setTeacher)}
            searchable
            error={errors.teacher_id}
            required
          />
        )}
        <Select
          label={m.payments.account}
          data={accounts.options}
          value={accountValue}
          onChange={edited('pay_account_id', setAccount)}
          allowDeselect={false}
          error={errors.pay_account_id}
          required
          data-testid="pay-form-account"
        />
        <Textarea
          label={m.payments.comment}
          value={note}
          onChange={(e) => edited('note', setNote)(e.currentTarget.value)}
          error={errors.note}
          autosize
          minRows={2}
        />
        <Checkbox
          label={m.payments.confirmed}
          checked={confirmed}
          onChange={(e) => setConfirmed(e.currentTarget.checked)}
          error={errors.is_confirmed}
          data-testid="pay-form-confirmed"
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onDone}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="pay-form-save">
            {m.app.save}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
