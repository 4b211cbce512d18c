import { Badge, Button, Group, Modal, Select, Stack, Textarea, TextInput } from '@mantine/core'
import { useMutation } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { MODELS, type TaskInput } from '../../api/models.gen'
import { fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date } from '../../lib/format'
import { useDictionary, useList } from '../../lib/queries'
import { CardTable, DateField, Dates, notifyError, Pager, toDmy, useRefresh, useUserName } from './CardCommon'

const t = m.card.tasks
const LABELS = MODELS.task.labels

/** Tasks about the customer (`task/index` by customer): added and marked done here. */
export default function CardTasks(props: { customerId: number }) {
  const { api, canWrite } = useSession()
  const refresh = useRefresh()
  const userName = useUserName()
  const [page, setPage] = useState(0)
  const [adding, setAdding] = useState(false)
  const list = useList('task', { customer_id: props.customerId, page })
  const done = useMutation({
    mutationFn: (id: number) => api.update('task', id, { is_done: 1 }),
    onSuccess: () => refresh(['task'], t.doneSaved),
    onError: notifyError,
  })
  const writable = canWrite('task')
  const items = list.data?.items ?? []
  return (
    <Stack gap="sm">
      {writable && (
        <Group>
          <Button onClick={() => setAdding(true)} data-testid="task-add">
            {t.add}
          </Button>
        </Group>
      )}
      <CardTable
        testId="tasks"
        loading={list.isLoading}
        minWidth={760}
        head={[
          t.title,
          t.text,
          t.due,
          t.assignee,
          t.priority,
          t.state,
          ...(writable ? [m.card.actions] : []),
        ]}
        rows={items.map((task) => ({
          key: task.id,
          cells: [
            task.title,
            task.text,
            task.due_date ? date(task.due_date) : m.card.noValue,
            task.assigned_ids.map((id) => userName(id)).join(', '),
            t.priorities[task.priority] ?? task.priority,
            <Badge key="state" variant="light" color={task.is_done ? 'green' : 'blue'}>
              {task.is_done ? t.done : t.open}
            </Badge>,
            ...(writable
              ? [
                  task.is_done ? (
                    ''
                  ) : (
                    <Button
                      key="done"
                      size="xs"
                      variant="light"
                      aria-label={t.markDoneOf(task.title)}
                      loading={done.isPending && done.variables === task.id}
                      onClick={() => done.mutate(task.id)}
                    >
                      {t.markDone}
                    </Button>
                  ),
                ]
              : []),
          ],
        }))}
      />
      <Pager page={page} total={list.data?.total ?? 0} onPage={setPage} />
      <Modal opened={adding} onClose={() => setAdding(false)} title={t.add}>
        {adding && <TaskForm customerId={props.customerId} onDone={() => setAdding(false)} />}
      </Modal>
    </Stack>
  )
}

function TaskForm(props: { customerId: number; onDone: () => void }) {
  const { api, user, canRead } = useSession()
  const refresh = useRefresh()
  const users = useDictionary('user', { is_active: 1 }, canRead('user'))
  const assignees = canRead('user') ? users.options : [{ value: String(user.id), label: user.name }]
  const [title, setTitle] = useState('')
  const [text, setText] = useState('')
  const [due, setDue] = useState('')
  const [assignee, setAssignee] = useState<string | null>(String(user.id))
  const [priority, setPriority] = useState('2')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const save = useMutation({
    mutationFn: (input: TaskInput) => api.create('task', input),
    onSuccess: () => {
      refresh(['task'], t.added)
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
      title,
      text,
      customer_ids: [props.customerId],
      assigned_ids: assignee ? [Number(assignee)] : [],
      due_date: toDmy(due),
      priority: Number(priority) as 1 | 2 | 3,
    })
  }
  return (
    <Dates>
      <form onSubmit={submit} data-testid="task-form">
        <Stack>
          <TextInput
            label={LABELS.title}
            value={title}
            onChange={(e) => setTitle(e.currentTarget.value)}
            error={errors.title}
            required
            data-testid="task-title"
          />
          <Textarea
            label={LABELS.text}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            error={errors.text}
            required
            autosize
            minRows={2}
            data-testid="task-text"
          />
          <DateField label={LABELS.due_date} value={due} onChange={setDue} error={errors.due_date} />
          <Select
            label={LABELS.assigned_ids}
            data={assignees}
            value={assignee}
            onChange={setAssignee}
            error={errors.assigned_ids}
            required
            searchable
          />
          <Select
            label={LABELS.priority}
            data={[1, 2, 3].map((v) => ({ value: String(v), label: t.priorities[v]! }))}
            value={priority}
            onChange={(v) => v && setPriority(v)}
            allowDeselect={false}
            error={errors.priority}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onDone}>
              {m.app.cancel}
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="task-save">
              {m.app.save}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dates>
  )
}
