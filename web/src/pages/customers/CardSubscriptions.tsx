import { Badge, Button, Checkbox, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { ListReply } from '../../api/client'
import { type CustomerTariff, type CustomerTariffInput, MODELS } from '../../api/models.gen'
import { fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, money, today } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { CardTable, DateField, Dates, notifyError, toDmy, useRefresh } from './CardCommon'

const t = m.card.subs
const LABELS = MODELS['customer-tariff'].labels

/**
 * The customer's subscriptions (`customer-tariff/index`, scoped by `customer_id`, §7.18); each one with a
 * separate balance shows its own account.
 */
export default function CardSubscriptions(props: { customerId: number }) {
  const { api, branch, canWrite } = useSession()
  const [adding, setAdding] = useState(false)
  const tariffs = useDictionary('tariff')
  const list = useQuery({
    queryKey: [branch, 'customer-tariff', 'index', { customer_id: props.customerId }],
    queryFn: () =>
      api.call<ListReply<CustomerTariff>>('customer-tariff', 'index', { customer_id: props.customerId }),
  })
  const items = list.data?.items ?? []
  return (
    <Stack gap="sm">
      {canWrite('customer-tariff') && (
        <Group>
          <Button onClick={() => setAdding(true)} data-testid="sub-add">
            {t.add}
          </Button>
        </Group>
      )}
      <CardTable
        testId="subs"
        loading={list.isLoading}
        minWidth={760}
        head={[t.tariff, t.period, t.state, t.balance, t.paidLessons, t.paidTill, t.note]}
        rows={items.map((s) => ({
          key: s.id,
          cells: [
            tariffs.byId.get(s.tariff_id)?.name ?? m.card.recordId(s.tariff_id),
            `${date(s.b_date)} – ${date(s.e_date)}`,
            <Badge key="state" variant="light" color={s.is_archive ? 'gray' : s.dead ? 'orange' : 'green'}>
              {s.is_archive ? t.archived : s.dead ? t.dead : t.active}
            </Badge>,
            s.is_separate_balance ? (
              <Text key="balance" size="sm" c={s.balance.startsWith('-') ? 'red' : undefined}>
                {money(s.balance)}
              </Text>
            ) : (
              <Text key="balance" size="sm" c="dimmed">
                {t.sharedAccount}
              </Text>
            ),
            s.is_separate_balance ? s.paid_lesson_count : m.card.noValue,
            s.paid_till ? date(s.paid_till) : m.card.noValue,
            s.note,
          ],
        }))}
      />
      <Modal opened={adding} onClose={() => setAdding(false)} title={t.add}>
        {adding && <SubscriptionForm customerId={props.customerId} onDone={() => setAdding(false)} />}
      </Modal>
    </Stack>
  )
}

/** A tariff and its dates; the API fills the end date from the tariff's period when it is left empty. */
function SubscriptionForm(props: { customerId: number; onDone: () => void }) {
  const { api } = useSession()
  const refresh = useRefresh()
  const tariffs = useDictionary('tariff', { is_archive: 0 })
  const [tariff, setTariff] = useState<string | null>(null)
  const [from, setFrom] = useState(today())
  const [to, setTo] = useState('')
  const [separate, setSeparate] = useState<boolean | null>(null)
  const [note, setNote] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const chosen = tariff ? tariffs.byId.get(Number(tariff)) : undefined
  const isSeparate = separate ?? chosen?.calculation_type === 2

  const save = useMutation({
    mutationFn: (input: CustomerTariffInput) =>
      api.create('customer-tariff', input, { customer_id: props.customerId }),
    onSuccess: () => {
      refresh(['customer-tariff', 'customer'], t.added)
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
    const input: CustomerTariffInput = {
      tariff_id: tariff === null ? undefined : Number(tariff),
      b_date: toDmy(from) ?? undefined,
      is_separate_balance: isSeparate ? 1 : 0,
      note,
    }
    if (to) input.e_date = toDmy(to) ?? undefined
    save.mutate(input)
  }

  return (
    <Dates>
      <form onSubmit={submit} data-testid="sub-form">
        <Stack>
          <Select
            label={t.tariff}
            data={tariffs.items.map((x) => ({ value: String(x.id), label: `${x.name} · ${money(x.price)}` }))}
            value={tariff}
            onChange={setTariff}
            error={errors.tariff_id}
            required
            searchable
            data-testid="sub-tariff"
          />
          <DateField
            label={LABELS.b_date}
            value={from}
            onChange={setFrom}
            error={errors.b_date}
            required
            data-testid="sub-from"
          />
          <DateField
            label={LABELS.e_date}
            value={to}
            onChange={setTo}
            error={errors.e_date}
            data-testid="sub-to"
          />
          <Checkbox
            label={t.separate}
            checked={isSeparate}
            onChange={(e) => setSeparate(e.currentTarget.checked)}
          />
          <TextInput
            label={t.note}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            error={errors.note}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onDone}>
              {m.app.cancel}
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="sub-save">
              {m.app.save}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dates>
  )
}
