import {
  Anchor,
  Badge,
  Box,
  Button,
  Center,
  Grid,
  Group,
  Loader,
  Modal,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core'
import { useMutation } from '@tanstack/react-query'
import { type ReactNode, useState } from 'react'
import { Link, useLocation } from 'wouter'
import type { Teacher } from '../../api/models.gen'
import { MODELS } from '../../api/models.gen'
import { errorText } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, phone } from '../../lib/format'
import { useDictionary, useRecord } from '../../lib/queries'
import { notifyError, useRefresh } from '../groups/common'
import Rates from './Rates'
import TeacherForm from './TeacherForm'
import WorkingHours from './WorkingHours'

const t = m.teachers
const L = MODELS.teacher.labels as Record<string, string>
const ANY = { removed: 1 } as const

const loading = (
  <Center py="xl" aria-busy="true">
    <Loader aria-label={m.app.loading} />
  </Center>
)

/** `/teachers/:id` — the teacher's card; `/teachers/new` (id null) — the create form. */
export default function TeacherCard(props: { id: number | null }) {
  if (props.id === null) return <NewTeacher />
  if (!Number.isInteger(props.id) || props.id <= 0) return <NotFound />
  return <Card id={props.id} />
}

function NotFound() {
  return (
    <Stack align="center" mt="xl" data-testid="teacher-not-found">
      <Text size="lg">{t.notFound}</Text>
      <Button component={Link} href="/teachers">
        {t.toList}
      </Button>
    </Stack>
  )
}

function NewTeacher() {
  const [, navigate] = useLocation()
  const refresh = useRefresh()
  return (
    <Stack maw={860}>
      <Title order={1} size="h2">
        {t.newTitle}
      </Title>
      <Paper withBorder p="md">
        <TeacherForm
          teacher={null}
          onSaved={(x) => {
            refresh(['teacher'], t.createdDone)
            navigate(`/teachers/${x.id}`)
          }}
          onCancel={() => navigate('/teachers')}
        />
      </Paper>
    </Stack>
  )
}

function Card(props: { id: number }) {
  const q = useRecord('teacher', props.id, ANY)
  if (q.isLoading) return loading
  if (q.isError)
    return (
      <Stack align="center" mt="xl">
        <Text>{errorText(q.error)}</Text>
        <Button onClick={() => void q.refetch()}>{m.app.retry}</Button>
      </Stack>
    )
  const x = q.data
  if (!x) return <NotFound />
  return (
    <Stack gap="md" data-testid="teacher-card" data-id={x.id}>
      <Header teacher={x} />
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Fields teacher={x} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <WorkingHours teacherId={x.id} />
        </Grid.Col>
      </Grid>
      <Rates teacherId={x.id} />
    </Stack>
  )
}

function Header(props: { teacher: Teacher }) {
  const { api, canWrite } = useSession()
  const x = props.teacher
  const refresh = useRefresh()
  const [editing, setEditing] = useState(false)
  const archive = useMutation({
    mutationFn: () => api.remove('teacher', x.id),
    onSuccess: () => refresh(['teacher'], t.archivedDone),
    onError: notifyError,
  })
  const restore = useMutation({
    mutationFn: () => api.restore('teacher', x.id),
    onSuccess: () => refresh(['teacher'], t.restoredDone),
    onError: notifyError,
  })
  return (
    <Group justify="space-between" align="flex-start" gap="sm">
      <Stack gap={4} miw={0}>
        <Anchor component={Link} href="/teachers" size="sm">
          ← {t.title}
        </Anchor>
        <Group gap="xs">
          <Title order={1} size="h2" data-testid="teacher-title" style={{ overflowWrap: 'anywhere' }}>
            {x.name}
          </Title>
          {x.removed === 1 && (
            <Badge color="gray" variant="filled" data-testid="teacher-archived">
              {t.archivedBadge}
            </Badge>
          )}
        </Group>
      </Stack>
      <Group gap="xs">
        <Button
          component={Link}
          href={`/schedule?teacher=${x.id}&view=week`}
          variant="light"
          data-testid="teacher-week"
        >
          {t.week}
        </Button>
        {canWrite('teacher') && (
          <>
            <Button variant="default" onClick={() => setEditing(true)} data-testid="teacher-edit">
              {t.edit}
            </Button>
            {x.removed === 1 ? (
              <Button
                variant="light"
                color="teal"
                loading={restore.isPending}
                onClick={() => restore.mutate()}
                data-testid="teacher-restore"
              >
                {t.restore}
              </Button>
            ) : (
              <Button
                variant="light"
                color="red"
                loading={archive.isPending}
                onClick={() => window.confirm(t.archiveConfirm) && archive.mutate()}
                data-testid="teacher-archive"
              >
                {t.archiveAction}
              </Button>
            )}
          </>
        )}
      </Group>
      <Modal opened={editing} onClose={() => setEditing(false)} title={t.editTitle} size="lg">
        {editing && (
          <TeacherForm
            teacher={x}
            onSaved={() => {
              refresh(['teacher'], m.app.saved)
              setEditing(false)
            }}
            onCancel={() => setEditing(false)}
          />
        )}
      </Modal>
    </Group>
  )
}

function Item(props: { label: string; children: ReactNode; testid?: string }) {
  return (
    <Box data-testid={props.testid}>
      <Text size="xs" c="dimmed">
        {props.label}
      </Text>
      <Text size="sm" component="div" style={{ overflowWrap: 'anywhere' }}>
        {props.children}
      </Text>
    </Box>
  )
}

function Fields(props: { teacher: Teacher }) {
  const x = props.teacher
  const subjects = useDictionary('subject')
  const branches = useDictionary('branch')
  const names = (ids: number[], dict: { byId: Map<number, { name: string }> }) =>
    ids.length === 0 ? t.noValue : ids.map((id) => dict.byId.get(id)?.name ?? `#${id}`).join(', ')
  return (
    <Paper withBorder p="md" data-testid="teacher-fields">
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md" verticalSpacing="sm">
        <Item label={L.phone!}>
          {x.phone.length === 0
            ? t.noValue
            : x.phone.map((p) => (
                <div key={p}>
                  <Anchor href={`tel:${p.replace(/[^\d+]/g, '')}`} fz="sm">
                    {phone(p)}
                  </Anchor>
                </div>
              ))}
        </Item>
        <Item label={L.email!}>
          {x.email.length === 0
            ? t.noValue
            : x.email.map((e) => (
                <div key={e}>
                  <Anchor href={`mailto:${e}`} fz="sm">
                    {e}
                  </Anchor>
                </div>
              ))}
        </Item>
        <Item label={L.subject_ids!} testid="teacher-subjects">
          {names(x.subject_ids, subjects)}
        </Item>
        <Item label={L.branch_ids!}>{names(x.branch_ids, branches)}</Item>
        <Item label={L.dob!}>{x.dob ? date(x.dob) : t.noValue}</Item>
        <Item label={L.gender!}>{t.gender[x.gender]}</Item>
      </SimpleGrid>
      {x.note && (
        <Box mt="sm">
          <Item label={L.note!}>
            <span style={{ whiteSpace: 'pre-wrap' }}>{x.note}</span>
          </Item>
        </Box>
      )}
    </Paper>
  )
}
