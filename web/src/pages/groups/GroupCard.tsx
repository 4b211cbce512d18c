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
  Table,
  Text,
  Title,
} from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { type ReactNode, useState } from 'react'
import { Link, useLocation } from 'wouter'
import type { Group as GroupRecord } from '../../api/models.gen'
import { MODELS } from '../../api/models.gen'
import { errorText } from '../../app/errors'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { date, today } from '../../lib/format'
import { useDictionary, useRecord } from '../../lib/queries'
import { hm, notifyError, useRefresh } from './common'
import GroupForm from './GroupForm'
import Members from './Members'
import RegularLessons from './RegularLessons'

const t = m.groups
const L = MODELS.group.labels as Record<string, string>
/** Archived groups too: a card shows its record whatever its state. */
const ANY = { removed: 1 } as const

const loading = (
  <Center py="xl" aria-busy="true">
    <Loader aria-label={m.app.loading} />
  </Center>
)

/** `/groups/:id` — the group's card; `/groups/new` (id null) — the create form. */
export default function GroupCard(props: { id: number | null }) {
  if (props.id === null) return <NewGroup />
  if (!Number.isInteger(props.id) || props.id <= 0) return <NotFound />
  return <Card id={props.id} />
}

function NotFound() {
  return (
    <Stack align="center" mt="xl" data-testid="group-not-found">
      <Text size="lg">{t.notFound}</Text>
      <Button component={Link} href="/groups">
        {t.toList}
      </Button>
    </Stack>
  )
}

function NewGroup() {
  const [, navigate] = useLocation()
  const refresh = useRefresh()
  return (
    <Stack maw={860}>
      <Title order={1} size="h2">
        {t.newTitle}
      </Title>
      <Paper withBorder p="md">
        <GroupForm
          group={null}
          onSaved={(g) => {
            refresh(['group'], t.createdDone)
            navigate(`/groups/${g.id}`)
          }}
          onCancel={() => navigate('/groups')}
        />
      </Paper>
    </Stack>
  )
}

function Card(props: { id: number }) {
  const q = useRecord('group', props.id, ANY)
  if (q.isLoading) return loading
  if (q.isError)
    return (
      <Stack align="center" mt="xl">
        <Text>{errorText(q.error)}</Text>
        <Button onClick={() => void q.refetch()}>{m.app.retry}</Button>
      </Stack>
    )
  const g = q.data
  if (!g) return <NotFound />
  return (
    <Stack gap="md" data-testid="group-card" data-id={g.id}>
      <Header group={g} />
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack gap="md">
            <Fields group={g} />
            <Members groupId={g.id} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Upcoming groupId={g.id} />
        </Grid.Col>
      </Grid>
      <RegularLessons relatedClass="Group" relatedId={g.id} />
    </Stack>
  )
}

function Header(props: { group: GroupRecord }) {
  const { api, canWrite } = useSession()
  const g = props.group
  const refresh = useRefresh()
  const [editing, setEditing] = useState(false)
  const archive = useMutation({
    mutationFn: () => api.remove('group', g.id),
    onSuccess: () => refresh(['group'], t.archivedDone),
    onError: notifyError,
  })
  const restore = useMutation({
    mutationFn: () => api.restore('group', g.id),
    onSuccess: () => refresh(['group'], t.restoredDone),
    onError: notifyError,
  })
  return (
    <Group justify="space-between" align="flex-start" gap="sm">
      <Stack gap={4} miw={0}>
        <Anchor component={Link} href="/groups" size="sm">
          ← {t.title}
        </Anchor>
        <Group gap="xs">
          <Title order={1} size="h2" data-testid="group-title" style={{ overflowWrap: 'anywhere' }}>
            {g.name}
          </Title>
          {g.removed === 1 && (
            <Badge color="gray" variant="filled" data-testid="group-archived">
              {t.archivedBadge}
            </Badge>
          )}
        </Group>
      </Stack>
      <Group gap="xs">
        <Button
          component={Link}
          href={`/schedule?group=${g.id}`}
          variant="light"
          data-testid="group-schedule"
        >
          {t.schedule}
        </Button>
        {canWrite('group') && (
          <>
            <Button variant="default" onClick={() => setEditing(true)} data-testid="group-edit">
              {t.edit}
            </Button>
            {g.removed === 1 ? (
              <Button
                variant="light"
                color="teal"
                loading={restore.isPending}
                onClick={() => restore.mutate()}
                data-testid="group-restore"
              >
                {t.restore}
              </Button>
            ) : (
              <Button
                variant="light"
                color="red"
                loading={archive.isPending}
                onClick={() => window.confirm(t.archiveConfirm) && archive.mutate()}
                data-testid="group-archive"
              >
                {t.archiveAction}
              </Button>
            )}
          </>
        )}
      </Group>
      <Modal opened={editing} onClose={() => setEditing(false)} title={t.editTitle} size="lg">
        {editing && (
          <GroupForm
            group={g}
            onSaved={() => {
              refresh(['group'], m.app.saved)
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

/** The record's fields and its teachers (each with a link to the teacher's week). */
function Fields(props: { group: GroupRecord }) {
  const g = props.group
  const teachers = useDictionary('teacher', { removed: 1 })
  return (
    <Paper withBorder p="md" data-testid="group-fields">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {t.fields}
        </Title>
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 2 }} spacing="md" verticalSpacing="xs">
          <Item label={L.b_date!}>{g.b_date ? date(g.b_date) : t.noValue}</Item>
          <Item label={L.e_date!}>{g.e_date ? date(g.e_date) : t.noValue}</Item>
          <Item label={L.level_id!}>{g.level_id ?? t.noValue}</Item>
          <Item label={L.limit!} testid="group-limit">
            {g.limit > 0 ? g.limit : t.limitNone}
          </Item>
        </SimpleGrid>
        <Item label={t.teachersTitle} testid="group-teachers">
          {g.teacher_ids.length === 0 ? (
            t.noTeachers
          ) : (
            <Stack gap={2}>
              {g.teacher_ids.map((id) => {
                const name = teachers.byId.get(id)?.name ?? `#${id}`
                return (
                  <Group key={id} gap="xs" wrap="wrap">
                    <Anchor component={Link} href={`/teachers/${id}`} fz="sm">
                      {name}
                    </Anchor>
                    <Anchor
                      component={Link}
                      href={`/schedule?teacher=${id}&view=week`}
                      fz="xs"
                      aria-label={t.teacherWeek(name)}
                    >
                      {m.teachers.week}
                    </Anchor>
                  </Group>
                )
              })}
            </Stack>
          )}
        </Item>
        {g.note && <Item label={L.note!}>{<span style={{ whiteSpace: 'pre-wrap' }}>{g.note}</span>}</Item>}
      </Stack>
    </Paper>
  )
}

/** The next ten planned lessons of the group, one call. */
function Upcoming(props: { groupId: number }) {
  const { api, branch } = useSession()
  const filter = {
    group_id: props.groupId,
    status: [1] as Array<1>,
    date_from: today(),
    sort: 'date,time_from',
    count: 10,
  }
  const q = useQuery({
    queryKey: [branch, 'lesson', 'index', filter],
    queryFn: () => api.index('lesson', filter),
  })
  const subjects = useDictionary('subject')
  const teachers = useDictionary('teacher', { removed: 1 })
  const rooms = useDictionary('room')
  const items = q.data?.items ?? []
  return (
    <Paper withBorder p="md" data-testid="group-upcoming">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={2} size="h4">
            {t.upcoming}
            {q.data && (
              <Text span c="dimmed" fz="sm" ml="xs" data-testid="upcoming-total" data-total={q.data.total}>
                {q.data.total}
              </Text>
            )}
          </Title>
          <Anchor component={Link} href={`/schedule?group=${props.groupId}`} fz="sm">
            {t.schedule}
          </Anchor>
        </Group>
        {q.isLoading ? (
          <Loader size="sm" aria-label={m.app.loading} />
        ) : items.length === 0 ? (
          <Text c="dimmed" size="sm" data-testid="upcoming-empty">
            {t.noUpcoming}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={520}>
            <Table verticalSpacing={4} fz="sm" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t.lessonDate}</Table.Th>
                  <Table.Th>{t.lessonTime}</Table.Th>
                  <Table.Th>{t.lessonSubject}</Table.Th>
                  <Table.Th>{t.lessonTeacher}</Table.Th>
                  <Table.Th>{t.lessonRoom}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((l) => (
                  <Table.Tr key={l.id} data-testid="upcoming-row" data-id={l.id}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <Anchor
                        component={Link}
                        href={`/lessons/${l.id}`}
                        fz="sm"
                        aria-label={t.openLesson(date(l.date), hm(l.time_from))}
                      >
                        {date(l.date)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      {hm(l.time_from)}–{hm(l.time_to)}
                    </Table.Td>
                    <Table.Td>{subjects.byId.get(l.subject_id)?.name ?? `#${l.subject_id}`}</Table.Td>
                    <Table.Td>
                      {l.teacher_ids.map((id) => teachers.byId.get(id)?.name ?? `#${id}`).join(', ')}
                    </Table.Td>
                    <Table.Td>{l.room_id ? (rooms.byId.get(l.room_id)?.name ?? '') : ''}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Paper>
  )
}
