import { Button, Group, Modal, Progress, Stack, Text } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { useRef, useState } from 'react'
import { errorText } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { today } from '../../lib/format'
import { Canceled, CONFIRM_ROWS, customersCsv, download, type Names, readAll } from './CsvExport'
import type { CustomerQuery } from './ListQuery'

type Step = { kind: 'idle' } | { kind: 'confirm' } | { kind: 'running'; done: number; total: number }

const t = m.customers.csv

/** Downloads the current filter, in the current order, as a CSV file; cancelable while it reads. */
export function CsvButton(props: { filter: CustomerQuery; total: number | undefined; names: Names }) {
  const { api } = useSession()
  const [step, setStep] = useState<Step>({ kind: 'idle' })
  const abort = useRef<AbortController | null>(null)

  async function run() {
    const controller = new AbortController()
    abort.current = controller
    setStep({ kind: 'running', done: 0, total: props.total ?? 0 })
    try {
      const rows = await readAll(api, props.filter, {
        signal: controller.signal,
        onProgress: (done, total) => setStep({ kind: 'running', done, total }),
      })
      download(customersCsv(rows, props.names), t.fileName(today()))
      notifications.show({ color: 'green', message: t.done(rows.length) })
    } catch (err) {
      if (!(err instanceof Canceled))
        notifications.show({ color: 'red', title: t.failed, message: errorText(err) })
    } finally {
      abort.current = null
      setStep({ kind: 'idle' })
    }
  }

  const start = () => {
    if ((props.total ?? 0) > CONFIRM_ROWS) setStep({ kind: 'confirm' })
    else void run()
  }

  return (
    <>
      <Button
        variant="default"
        onClick={start}
        loading={step.kind === 'running'}
        disabled={props.total === 0}
        data-testid="csv-export"
      >
        {t.button}
      </Button>
      <Modal
        opened={step.kind !== 'idle'}
        onClose={() => (step.kind === 'confirm' ? setStep({ kind: 'idle' }) : abort.current?.abort())}
        title={t.title}
        closeOnClickOutside={step.kind === 'confirm'}
      >
        {step.kind === 'confirm' && (
          <Stack>
            <Text>{t.confirm(props.total ?? 0)}</Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setStep({ kind: 'idle' })}>
                {m.app.cancel}
              </Button>
              <Button onClick={() => void run()} data-testid="csv-confirm">
                {t.start}
              </Button>
            </Group>
          </Stack>
        )}
        {step.kind === 'running' && (
          <Stack data-testid="csv-progress">
            <Text>{t.progress(step.done, step.total)}</Text>
            <Progress
              value={step.total ? (100 * step.done) / step.total : 0}
              aria-label={t.progress(step.done, step.total)}
              animated
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => abort.current?.abort()} data-testid="csv-cancel">
                {t.cancel}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  )
}
