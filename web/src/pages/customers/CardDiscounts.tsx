import { Button, Group, Modal, Select, Stack, TextInput } from '@mantine/core'
import { useMutation } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { type DiscountInput, MODELS } from '../../api/models.gen'
import { fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, money, today } from '../../lib/format'
import { useList } from '../../lib/queries'
import { CardTable, DateField, Dates, notifyError, toDmy, useRefresh } from './CardCommon'

const t = m.card.discounts
const LABELS = MODELS.discount.labels

/** The customer's discounts (`discount/index` by customer): added and removed here. */
export default function CardDiscounts(props: { customerId: number }) {
  const { api, canWrite } = useSession()
  const refresh = useRefresh()
  const [adding, setAdding] = useState(false)
  const list = useList('discount', { customer_id: props.customerId })
  const remove = useMutation({
    mutationFn: (id: number) => api.remove('discount', id),
    onSuccess: () => refresh(['discount', 'customer', 'lesson'], t.removed),
    onError: notifyError,
  })
  const writable = canWrite('discount')
  const items = list.data?.items ?? []
  return (
    <Stack gap="sm">
      {writable && (
        <Group>
          <Button onClick={() => setAdding(true)} data-testid="discount-add">
            {t.add}
          </Button>
        </Group>
      )}
      <CardTable
        testId="discounts"
        loading={list.isLoading}
        head={[t.type, t.amount, t.begin, t.end, t.note, ...(writable ? [m.card.actions] : [])]}
        rows={items.map((d) => ({
          key: d.id,
          cells: [
            t.types[d.discount_type] ?? d.discount_type,
            d.discount_type === 1 ? t.percent(d.amount) : money(d.amount),
            date(d.begin),
            d.end ? date(d.end) : t.openEnd,
            d.note,
            ...(writable
              ? [
                  <Button
                    key="remove"
                    size="xs"
                    variant="subtle"
                    color="red"
                    loading={remove.isPending && remove.variables === d.id}
                    onClick={() => window.confirm(t.removeConfirm) && remove.mutate(d.id)}
                  >
                    {t.remove}
                  </Button>,
                ]
              : []),
          ],
        }))}
      />
      <Modal opened={adding} onClose={() => setAdding(false)} title={t.add}>
        {adding && <DiscountForm customerId={props.customerId} onDone={() => setAdding(false)} />}
      </Modal>
    </Stack>
  )
}

function DiscountForm(props: { customerId: number; onDone: () => void }) {
  const { api } = useSession()
  const refresh = useRefresh()
  const [type, setType] = useState('1')
  const [amount, setAmount] = useState('')
  const [begin, setBegin] = useState(today())
  const [end, setEnd] = useState('')
  const [note, setNote] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const save = useMutation({
    mutationFn: (input: DiscountInput) => api.create('discount', input),
    onSuccess: () => {
      refresh(['discount', 'customer', 'lesson'], t.added)
      props.onDone()
    },
    onError: (err) => {
      const f = fieldErrors(err)
      if (Object.keys(f).length > 0) setErrors(f)
      else notifyError(err)
    },
  })
  function submit(e: FormEvent) {
    e.preventDefault()
    setErrors({})
    save.mutate({
      customer_id: props.customerId,
      discount_type: Number(type) as 1 | 2,
      // Sent as typed: a wrong number is the API's message under the field.
      amount: amount.replace(',', '.') as unknown as number,
      begin: toDmy(begin) ?? undefined,
      end: toDmy(end),
      note,
    })
  }
  return (
    <Dates>
      <form onSubmit={submit} data-testid="discount-form">
        <Stack>
          <Select
            label={LABELS.discount_type}
            data={[1, 2].map((v) => ({ value: String(v), label: t.types[v]! }))}
            value={type}
            onChange={(v) => v && setType(v)}
            allowDeselect={false}
            error={errors.discount_type}
          />
          <TextInput
            label={LABELS.amount}
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.currentTarget.value)}
            error={errors.amount}
            required
            data-testid="discount-amount"
          />
          <DateField label={LABELS.begin} value={begin} onChange={setBegin} error={errors.begin} />
          <DateField label={LABELS.end} value={end} onChange={setEnd} error={errors.end} />
          <TextInput
            label={LABELS.note}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            error={errors.note}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onDone}>
              {m.app.cancel}
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="discount-save">
              {m.app.save}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dates>
  )
}
