import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  CopyButton,
  Group,
  Menu,
  Modal,
  MultiSelect,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { useMutation, useQuery } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { FilterOf } from '../../api/client'
import type { Teacher, User, UserInput } from '../../api/models.gen'
import { MODELS } from '../../api/models.gen'
import { errorText, fieldErrors } from '../../app/errors'
import { ListPaging, ListSearch, ListStates, ListSummary } from '../../app/ListFrame'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { useDictionary, useList } from '../../lib/queries'
import { notifyError, PAGE_SIZE, pageOf, useDebouncedSearch, useRefresh, useUrlState } from '../groups/common'

const t = m.settings.users
const L = MODELS.user.labels as Record<string, string>
const ROLES = ['admin', 'manager', 'teacher', 'readonly'] as const
type Role = (typeof ROLES)[number]
const ROLE_OPTIONS = ROLES.map((r) => ({ value: r, label: m.auth.role[r] }))
const KEYS = ['email', 'role', 'active'] as const
const ACTIVE: Record<string, 0 | 1 | undefined> = { '': undefined, active: 1, inactive: 0 }
/** The fields the form shows; any other field's message goes above the buttons. */
const FORM_FIELDS = ['name', 'email', 'role', 'is_v2api', 'branch_ids', 'teacher_id', 'password']

/** The write-only inputs of a user (§7.30): not in the generated input type. */
type UserWrite = UserInput & { password?: string; regenerate_api_key?: 1 }
/** A reply that set a key carries it, once. */
type WithKey = User & { api_key?: string }

/** A key just issued, shown once; it lives only in this state and is gone when the window closes. */
interface IssuedKey {
  email: string
  key: string
  created: boolean
}

/** Teachers of every branch (an admin sees all), for the teacher select and the table's names. */
function useEveryTeacher() {
  const { api, branch } = useSession()
  const branches = useDictionary('branch')
  const ids = branches.items.map((b) => b.id)
  const q = useQuery({
    queryKey: [branch, 'teacher', 'every-branch', ids],
    queryFn: async () => {
      const seen = new Map<number, Teacher>()
      for (const b of ids)
        for (const x of await api.inBranch(b).all('teacher', { removed: 1 }, { limit: 2000 }))
          seen.set(x.id, x)
      return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name, 'ru'))
    },
    enabled: ids.length > 0,
    staleTime: 5 * 60_000,
  })
  const items = q.data ?? []
  return { items, byId: new Map(items.map((x) => [x.id, x])) }
}

/** Settings → users: the list with filters, the create/edit form, api key rotation, (de)activation. */
export function Users() {
  const { api, user: me } = useSession()
  const [state, update] = useUrlState(KEYS)
  const page = pageOf(state.page)
  const [text, setText] = useDebouncedSearch(state.email, (email, replace) => update({ email }, replace))
  const branches = useDictionary('branch')
  const teachers = useEveryTeacher()
  const refresh = useRefresh()
  const filter: FilterOf<'user'> = {}
  if (state.email.trim()) filter.email = state.email.trim()
  if (ROLES.includes(state.role as Role)) filter.role = state.role as Role
  const active = ACTIVE[state.active]
  if (active !== undefined) filter.is_active = active
  const list = useList('user', { ...filter, page, count: PAGE_SIZE })
  const items = list.data?.items ?? []
  const total = list.data?.total
  const pages = total === undefined ? 0 : Math.ceil(total / PAGE_SIZE)
  const narrowed = !!(state.email.trim() || state.role || state.active)
  const [editing, setEditing] = useState<User | 'new' | null>(null)
  const [issued, setIssued] = useState<IssuedKey | null>(null)

  const rotate = useMutation({
    mutationFn: (u: User) => api.update('user', u.id, { regenerate_api_key: 1 } as UserWrite),
    onSuccess: (r: WithKey) => {
      refresh(['user'], t.key.rotated)
      if (r.api_key) setIssued({ email: r.email, key: r.api_key, created: false })
    },
    onError: notifyError,
  })
  const toggle = useMutation({
    mutationFn: (u: User) => api.update('user', u.id, { is_active: u.is_active === 1 ? 0 : 1 }),
    onSuccess: (r) => refresh(['user'], r.is_active === 1 ? t.activated : t.deactivated),
    onError: notifyError,
  })
  const branchNames = (u: User) =>
    u.role === 'admin'
      ? t.allBranches
      : u.branch_ids.length === 0
        ? t.noBranches
        : u.branch_ids.map((id) => branches.byId.get(id)?.name ?? `#${id}`).join(', ')

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <ListSearch
            testId="users-search"
            label={t.search}
            placeholder={t.searchPlaceholder}
            value={text}
            onChange={setText}
          />
          <Select
            label={t.role}
            placeholder={t.anyRole}
            data={ROLE_OPTIONS}
            value={state.role || null}
            onChange={(v) => update({ role: v ?? '' })}
            clearable
            w={190}
            data-testid="users-role"
          />
          <Select
            label={t.active}
            data={['all', 'active', 'inactive'].map((v) => ({ value: v, label: t.activeOptions[v]! }))}
            value={state.active || 'all'}
            onChange={(v) => update({ active: !v || v === 'all' ? '' : v })}
            allowDeselect={false}
            w={170}
            data-testid="users-active"
          />
        </Group>
        <Button onClick={() => setEditing('new')} data-testid="user-create">
          {t.create}
        </Button>
      </Group>
      <ListSummary
        testId="users"
        total={total}
        found={t.found}
        fetching={list.isFetching}
        narrowed={narrowed}
        resetLabel={t.resetFilters}
        onReset={() => update({ email: '', role: '', active: '' })}
      />
      <ListStates
        testId="users"
        query={list}
        loadError={t.loadError}
        empty={items.length === 0}
        emptyText={narrowed ? t.emptyFiltered : t.empty}
      >
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover verticalSpacing={6} fz="sm" data-testid="users-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t.col.name}</Table.Th>
                <Table.Th>{t.col.email}</Table.Th>
                <Table.Th>{t.col.role}</Table.Th>
                <Table.Th>{t.col.branches}</Table.Th>
                <Table.Th>{t.col.teacher}</Table.Th>
                <Table.Th>{t.col.active}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{m.settings.actions}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((u) => {
                const self = u.id === me.id
                return (
                  <Table.Tr
                    key={u.id}
                    data-testid="user-row"
                    data-id={u.id}
                    data-email={u.email}
                    data-active={u.is_active}
                  >
                    <Table.Td miw={160} style={{ overflowWrap: 'anywhere' }}>
                      <Text fz="sm" fw={500} span data-testid="user-name">
                        {u.name}
                      </Text>
                      {self && (
                        <Text span c="dimmed" fz="xs" ml={6}>
                          ({t.you})
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{u.email}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }} data-testid="user-role">
                      {m.auth.role[u.role]}
                    </Table.Td>
                    <Table.Td data-testid="user-branches">{branchNames(u)}</Table.Td>
                    <Table.Td>
                      {u.teacher_id === null
                        ? m.settings.noValue
                        : (teachers.byId.get(u.teacher_id)?.name ?? `#${u.teacher_id}`)}
                    </Table.Td>
                    <Table.Td>
                      <Badge
                        size="sm"
                        variant="light"
                        color={u.is_active === 1 ? 'teal' : 'gray'}
                        data-testid="user-active"
                      >
                        {u.is_active === 1 ? t.activeBadge : t.inactiveBadge}
                      </Badge>
                    </Table.Td>
                    <Table.Td w={48}>
                      <Menu position="bottom-end" withinPortal>
                        <Menu.Target>
                          <ActionIcon
                            variant="subtle"
                            color="gray"
                            aria-label={t.actionsFor(u.name)}
                            data-testid="user-actions"
                          >
                            <span aria-hidden="true">⋯</span>
                          </ActionIcon>
                        </Menu.Target>
                        <Menu.Dropdown>
                          <Menu.Item onClick={() => setEditing(u)} data-testid="user-edit">
                            {t.edit}
                          </Menu.Item>
                          <Menu.Item
                            onClick={() => window.confirm(t.rotateConfirm(u.name)) && rotate.mutate(u)}
                            data-testid="user-rotate-key"
                          >
                            {t.rotateKey}
                          </Menu.Item>
                          <Menu.Divider />
                          {u.is_active === 1 ? (
                            <Menu.Item
                              color="red"
                              disabled={self}
                              title={self ? t.notSelf : undefined}
                              onClick={() => window.confirm(t.deactivateConfirm(u.name)) && toggle.mutate(u)}
                              data-testid="user-deactivate"
                            >
                              {self ? t.notSelf : t.deactivate}
                            </Menu.Item>
                          ) : (
                            <Menu.Item
                              color="teal"
                              onClick={() => window.confirm(t.activateConfirm(u.name)) && toggle.mutate(u)}
                              data-testid="user-activate"
                            >
                              {t.activate}
                            </Menu.Item>
                          )}
                        </Menu.Dropdown>
                      </Menu>
                    </Table.Td>
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </ListStates>
      {list.data !== undefined && items.length > 0 && (
        <ListPaging
          testId="users"
          from={page * PAGE_SIZE + 1}
          to={page * PAGE_SIZE + items.length}
          total={list.data.total}
          page={page}
          pages={pages}
          label={m.settings.pages}
          onPage={(p) => update({ page: String(p) })}
        />
      )}
      <Modal
        closeButtonProps={{ 'aria-label': m.app.close }}
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t.newTitle : t.editTitle}
        size="lg"
      >
        {editing !== null && (
          <UserForm
            user={editing === 'new' ? null : editing}
            teachers={teachers.items}
            onSaved={(r) => {
              setEditing(null)
              if (editing === 'new') {
                refresh(['user'], t.created)
                if (r.api_key) setIssued({ email: r.email, key: r.api_key, created: true })
              } else refresh(['user'], m.app.saved)
            }}
            onCancel={() => setEditing(null)}
          />
        )}
      </Modal>
      <Modal
        closeButtonProps={{ 'aria-label': m.app.close }}
        opened={issued !== null}
        onClose={() => setIssued(null)}
        title={issued?.created ? t.key.createdTitle : t.key.title}
        closeOnClickOutside={false}
        size="lg"
      >
        {issued && <KeyShown issued={issued} onDone={() => setIssued(null)} />}
      </Modal>
    </Stack>
  )
}

/** The plain key, once: a read-only field, a copy button and the warning that it is not kept. */
function KeyShown(props: { issued: IssuedKey; onDone: () => void }) {
  const { issued } = props
  return (
    <Stack data-testid="api-key-shown">
      <Alert color="yellow" data-testid="api-key-warning">
        {t.key.warning}
      </Alert>
      <Group gap="xs" align="flex-end" wrap="nowrap">
        <TextInput
          label={t.key.label(issued.email)}
          value={issued.key}
          readOnly
          onFocus={(e) => e.currentTarget.select()}
          styles={{ input: { fontFamily: 'monospace' } }}
          style={{ flex: 1 }}
          data-testid="api-key-value"
        />
        <CopyButton value={issued.key}>
          {({ copied, copy }) => (
            <Button
              variant={copied ? 'filled' : 'light'}
              color={copied ? 'teal' : 'blue'}
              onClick={copy}
              data-testid="api-key-copy"
            >
              {copied ? t.key.copied : t.key.copy}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Group justify="flex-end">
        <Button onClick={props.onDone} data-testid="api-key-done">
          {t.key.done}
        </Button>
      </Group>
    </Stack>
  )
}

interface FormState {
  name: string
  email: string
  role: Role
  is_v2api: boolean
  branch_ids: string[]
  teacher_id: string | null
  password: string
}

/** Create or edit a user; the API's messages appear under their fields (others above the buttons). */
function UserForm(props: {
  user: User | null
  teachers: Teacher[]
  onSaved: (u: WithKey) => void
  onCancel: () => void
}) {
  const { api, branch } = useSession()
  const branches = useDictionary('branch')
  const u = props.user
  const [state, setState] = useState<FormState>(() => ({
    name: u?.name ?? '',
    email: u?.email ?? '',
    role: u?.role ?? 'manager',
    is_v2api: (u?.is_v2api ?? 1) === 1,
    branch_ids: (u?.branch_ids ?? [branch]).map(String),
    teacher_id: u?.teacher_id == null ? null : String(u.teacher_id),
    password: '',
  }))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [other, setOther] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setState((s) => ({ ...s, [k]: v }))
  // Teachers of the chosen branches (all when none is chosen), and the linked one in any case.
  const chosen = new Set(state.branch_ids.map(Number))
  const teacherOptions = props.teachers
    .filter(
      (x) =>
        String(x.id) === state.teacher_id ||
        (x.removed !== 1 && (chosen.size === 0 || x.branch_ids.some((b) => chosen.has(b)))),
    )
    .map((x) => ({ value: String(x.id), label: x.name }))

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    setOther(null)
    const body: UserWrite = {
      name: state.name,
      email: state.email,
      role: state.role,
      is_v2api: state.is_v2api ? 1 : 0,
      branch_ids: state.branch_ids.map(Number),
    }
    // The link matters to a teacher's role; for the others it is left as it is.
    if (state.role === 'teacher') body.teacher_id = state.teacher_id ? Number(state.teacher_id) : null
    if (state.password !== '') body.password = state.password
    try {
      const saved: WithKey = u ? await api.update('user', u.id, body) : await api.create('user', body)
      props.onSaved(saved)
    } catch (err) {
      const f = fieldErrors(err)
      if (Object.keys(f).length === 0) {
        setOther(errorText(err))
      } else {
        setErrors(f)
        const rest = Object.entries(f).filter(([k]) => !FORM_FIELDS.includes(k.split('.')[0]!))
        if (rest.length > 0) setOther(rest.map(([, v]) => v).join(' '))
        notifications.show({ color: 'red', message: m.errors.checkFields })
      }
    } finally {
      setBusy(false)
    }
  }
  const listError = (key: string) =>
    errors[key] ?? Object.entries(errors).find(([k]) => k.startsWith(`${key}.`))?.[1]

  return (
    <form onSubmit={submit} data-testid="user-form" noValidate>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput
            label={L.name}
            value={state.name}
            onChange={(e) => set('name', e.currentTarget.value)}
            error={errors.name}
            required
            data-testid="user-form-name"
          />
          <TextInput
            label={L.email}
            type="email"
            autoComplete="off"
            value={state.email}
            onChange={(e) => set('email', e.currentTarget.value)}
            error={errors.email}
            required
            data-testid="user-form-email"
          />
          <Select
            label={L.role}
            data={ROLE_OPTIONS}
            value={state.role}
            onChange={(v) => v && set('role', v as Role)}
            allowDeselect={false}
            error={errors.role}
            data-testid="user-form-role"
          />
          <MultiSelect
            label={L.branch_ids}
            description={state.role === 'admin' ? t.adminBranches : undefined}
            data={branches.options}
            value={state.branch_ids}
            onChange={(v) => set('branch_ids', v)}
            error={listError('branch_ids')}
            searchable
            data-testid="user-form-branches"
          />
          {state.role === 'teacher' && (
            <Select
              label={L.teacher_id}
              description={t.teacherHint}
              placeholder={t.noTeacher}
              data={teacherOptions}
              value={state.teacher_id}
              onChange={(v) => set('teacher_id', v)}
              clearable
              searchable
              error={errors.teacher_id}
              data-testid="user-form-teacher"
            />
          )}
          <PasswordInput
            label={t.password}
            description={u ? t.passwordEdit : t.passwordNew}
            autoComplete="new-password"
            value={state.password}
            onChange={(e) => set('password', e.currentTarget.value)}
            error={errors.password}
            data-testid="user-form-password"
          />
        </SimpleGrid>
        <Switch
          label={L.is_v2api}
          description={t.apiAccessHint}
          checked={state.is_v2api}
          onChange={(e) => set('is_v2api', e.currentTarget.checked)}
          error={errors.is_v2api}
        />
        {other && (
          <Alert color="red" data-testid="user-form-error">
            {other}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={busy} data-testid="user-form-save">
            {u ? m.app.save : m.app.create}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
