import { Button, Group, Stack, Text, Textarea } from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { ListReply } from '../../api/client'
import type { Communication } from '../../api/models.gen'
import { fieldErrors } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { dateTime } from '../../lib/format'
import { CardTable, notifyError, Pager, useRefresh, useUserName } from './CardCommon'

const t = m.card.comments

/** Comments on the customer (`communication`, class Customer, related_id = the customer, §7.17). */
export default function CardComments(props: { customerId: number }) {
  const { api, branch, canWrite } = useSession()
  const refresh = useRefresh()
  const userName = useUserName()
  const [page, setPage] = useState(0)
  const [text, setText] = useState('')
  const [error, setError] = useState<string | undefined>()
  const scope = { class: 'Customer', related_id: props.customerId }
  const list = useQuery({
    queryKey: [branch, 'communication', 'index', { ...scope, page }],
    queryFn: () => api.call<ListReply<Communication>>('communication', 'index', { ...scope, page }),
  })
  const add = useMutation({
    mutationFn: (comment: string) => api.call('communication', 'create', { ...scope, comment }),
    onSuccess: () => {
      setText('')
      refresh(['communication'], t.added)
    },
    onError: (err) => {
      const f = fieldErrors(err)
      if (f.comment) setError(f.comment)
      else notifyError(err)
    },
  })
  function submit(e: FormEvent) {
    e.preventDefault()
    setError(undefined)
    add.mutate(text)
  }
  const items = list.data?.items ?? []
  return (
    <Stack gap="sm">
      {canWrite('communication') && (
        <form onSubmit={submit} data-testid="comment-form">
          <Stack gap="xs">
            <Textarea
              label={t.text}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              error={error}
              autosize
              minRows={2}
              data-testid="comment-text"
            />
            <Group>
              <Button type="submit" loading={add.isPending} data-testid="comment-add">
                {t.add}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
      <CardTable
        testId="comments"
        loading={list.isLoading}
        head={[t.when, t.author, t.text]}
        rows={items.map((c) => ({
          key: c.id,
          cells: [
            dateTime(c.added),
            userName(c.user_id),
            <Text key="text" size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {c.comment}
            </Text>,
          ],
        }))}
      />
      <Pager page={page} total={list.data?.total ?? 0} onPage={setPage} />
    </Stack>
  )
}
