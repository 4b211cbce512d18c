import { Badge, Button, Group, Modal, Select, Stack, Text, Textarea, TextInput } from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { PayInput } from '../../api/models.gen'
import { fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, money, today } from '../../lib/format'
import { useDictionary } from '../../lib/queries'
import { CardTable, DateField, Dates, notifyError, Pager, toDmy, useRefresh } from './CardCommon'

const t = m.card.pays

/** The customer's pays (`pay/index` by customer), income and refund taken here. */
export default function CardPayments(props: {
  customerId: number
  form: 1 | 2 | null
  onForm: (type: 1 | 2 | null) => void
}) {
  const { api, branch, canWrite } = useSession()
  const [page, setPage] = useState(0)
  const accounts = useDictionary('pay-account')
  const list = useQuery({
    queryKey: [branch, 'pay', 'index', { customer_id: props.customerId, page }],
    queryFn: () => api.index('pay', { customer_id: props.customerId, page }),
  })
  const items = list.data?.items ?? []
  return (
    <Stack gap="sm">
      {canWrite('pay') && (
        <Group>
          <Button onClick={() => props.onForm(1)} data-testid="pay-income">
            {t.income}
          </Button>
          <Button variant="default" onClick={() => props.onForm(2)} data-testid="pay-refund">
            {t.refund}
          </Button>
        </Group>
      )}
      <CardTable
        testId="pays"
        loading={list.isLoading}
        head={[t.date, t.type, t.amount, t.account, t.note, t.confirmed]}
        rows={items.map((p) => ({
          key: p.id,
          cells: [
            date(p.document_date),
            <Badge key="type" variant="light" color={p.pay_type_id === 1 ? 'green' : 'orange'}>
              {p.pay_type_name}
            </Badge>,
            <Text key="sum" size="sm" ta="right" style={{ whiteSpace: 'nowrap' }}>
              {p.pay_type_id === 2 ? '−' : ''}
              {money(p.income)}
            </Text>,
            accounts.byId.get(p.pay_account_id)?.name ?? p.pay_account_id,
            p.note,
            p.is_confirmed ? m.app.yes : m.app.no,
          ],
        }))}
      />
      <Pager page={page} total={list.data?.total ?? 0} onPage={setPage} />
      <Modal
        opened={props.form !== null}
        onClose={() => props.onForm(null)}
        title={props.form === 2 ? t.refundTitle : t.incomeTitle}
      >
        {props.form !== null && (
          <PayForm customerId={props.customerId} type={props.form} onDone={() => props.onForm(null)} />
        )}
      </Modal>
    </Stack>
  )
}

/** Income (type 1) or refund (type 2): amount, date, pay account, subscription account, comment. */
function PayForm(props: { customerId: number; type: 1 | 2; onDone: () => void }) {
  const { api, branch } = useSession()
  const refresh = useRefresh()
  const accounts = useDictionary('pay-account', { is_enabled: 1 })
  const subs = useQuery({
    queryKey: [branch, 'customer-tariff', 'index', { customer_id: props.customerId }],
    queryFn: () =>
      api.call<{ items: Array<{ id: number; tariff_id: number; is_separate_balance: 0 | 1 }> }>(
        'customer-tariff',
        'index',
        { customer_id: props.customerId },
      ),
  })
  const tariffs = useDictionary('tariff')
  const separate = (subs.data?.items ?? []).filter((s) => s.is_separate_balance === 1)
  const [income, setIncome] = useState('')
  const [day, setDay] = useState(today())
  const [account, setAccount] = useState<string | null>(null)
  const [ctt, setCtt] = useState<string | null>(null)
  const [note, setNote] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const chosenAccount = account ?? (accounts.options[0]?.value || null)

  const save = useMutation({
    mutationFn: (input: PayInput) => api.create('pay', input),
    onSuccess: () => {
      refresh(['pay', 'customer', 'customer-tariff'], t.saved)
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
      pay_type_id: props.type,
      customer_id: props.customerId,
      pay_account_id: chosenAccount === null ? undefined : Number(chosenAccount),
      ctt_id: ctt === null ? null : Number(ctt),
      income: income.replace(/\s/g, ''),
      document_date: toDmy(day) ?? '',
      note,
    })
  }

  return (
    <Dates>
      <form onSubmit={submit} data-testid="pay-form">
        <Stack>
          <TextInput
            label={t.amount}
            inputMode="decimal"
            value={income}
            onChange={(e) => setIncome(e.currentTarget.value)}
            error={errors.income}
            required
            data-autofocus
            data-testid="pay-amount"
          />
          <DateField
            label={t.date}
            value={day}
            onChange={setDay}
            error={errors.document_date}
            required
            data-testid="pay-date"
          />
          <Select
            label={t.account}
            data={accounts.options}
            value={chosenAccount}
            onChange={setAccount}
            error={errors.pay_account_id}
            allowDeselect={false}
            required
            data-testid="pay-account"
          />
          {separate.length > 0 && (
            <Select
              label={t.subscription}
              placeholder={t.baseAccount}
              data={separate.map((s) => ({
                value: String(s.id),
                label: tariffs.byId.get(s.tariff_id)?.name ?? m.card.recordId(s.id),
              }))}
              value={ctt}
              onChange={setCtt}
              error={errors.ctt_id}
              clearable
            />
          )}
          <Textarea
            label={t.note}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            error={errors.note}
            autosize
            minRows={2}
          />
          {errors.customer_id && (
            <Text c="red" size="sm">
              {errors.customer_id}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onDone}>
              {m.app.cancel}
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="pay-save">
              {m.app.save}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dates>
  )
}
