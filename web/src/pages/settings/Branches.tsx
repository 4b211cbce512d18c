import {
  ActionIcon,
  Badge,
  Button,
  Group,
  Loader,
  Menu,
  Modal,
  MultiSelect,
  NumberInput,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { Branch, BranchInput } from '../../api/models.gen'
import { MODELS } from '../../api/models.gen'
import { ListStates } from '../../app/ListFrame'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { useDictionary } from '../../lib/queries'
import { notifyError, showSaveError } from '../groups/common'

const t = m.settings.branches
const L = MODELS.branch.labels as Record<string, string>

/**
 * After a branch write: every read of branches, in every branch's cache (the layout's switcher, the
 * dictionaries of other pages), is fetched again.
 */
function useBranchesChanged() {
  const qc = useQueryClient()
  return (message: string) => {
    void qc.invalidateQueries({ predicate: (q) => q.queryKey[1] === 'branch' })
    notifications.show({ color: 'green', message })
  }
}

/** Settings → branches: the list in the API's order, create and edit in a window, (de)activation. */
export function Branches() {
  const { api, branch: current } = useSession()
  // Every branch (a school has a few), in the API's order: weight, then id.
  const list = useQuery({
    queryKey: [current, 'branch', 'settings'],
    queryFn: () => api.all('branch', {}, { limit: 2000 }),
  })
  const subjects = useDictionary('subject')
  const changed = useBranchesChanged()
  const [editing, setEditing] = useState<Branch | 'new' | null>(null)
  const toggle = useMutation({
    mutationFn: (b: Branch) => api.update('branch', b.id, { is_active: b.is_active === 1 ? 0 : 1 }),
    onSuccess: (r) => changed(r.is_active === 1 ? t.activated : t.deactivated),
    onError: notifyError,
  })
  const items = list.data ?? []
  const names = (ids: number[]) =>
    ids.length === 0
      ? m.settings.noValue
      : ids.map((id) => subjects.byId.get(id)?.name ?? `#${id}`).join(', ')

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap" mih={36}>
        <Group gap="md">
          {list.data && (
            <Text fw={500} data-testid="branches-total" data-total={items.length}>
              {m.app.total(items.length)}
            </Text>
          )}
          {list.isFetching && <Loader size="xs" aria-label={m.app.loading} />}
        </Group>
        <Button onClick={() => setEditing('new')} data-testid="branch-create">
          {t.create}
        </Button>
      </Group>
      <ListStates
        testId="branches"
        query={list}
        loadError={t.loadError}
        empty={items.length === 0}
        emptyText={t.empty}
      >
        <Table.ScrollContainer minWidth={600}>
          <Table striped highlightOnHover verticalSpacing={6} fz="sm" data-testid="branches-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t.col.name}</Table.Th>
                <Table.Th>{t.col.subjects}</Table.Th>
                <Table.Th>{t.col.weight}</Table.Th>
                <Table.Th>{t.col.active}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{m.settings.actions}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((b) => (
                <Table.Tr key={b.id} data-testid="branch-row" data-id={b.id} data-active={b.is_active}>
                  <Table.Td miw={180} style={{ overflowWrap: 'anywhere' }}>
                    <Text span fz="sm" fw={500} data-testid="branch-name">
                      {b.name}
                    </Text>
                    {b.id === current && (
                      <Text span c="dimmed" fz="xs" ml={6}>
                        ({t.current})
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{names(b.subject_ids)}</Table.Td>
                  <Table.Td>{b.weight}</Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={b.is_active === 1 ? 'teal' : 'gray'}>
                      {b.is_active === 1 ? t.activeBadge : t.inactiveBadge}
                    </Badge>
                  </Table.Td>
                  <Table.Td w={48}>
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <ActionIcon
                          variant="subtle"
                          color="gray"
                          aria-label={t.actionsFor(b.name)}
                          data-testid="branch-actions"
                        >
                          <span aria-hidden="true">⋯</span>
                        </ActionIcon>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item onClick={() => setEditing(b)} data-testid="branch-edit">
                          {t.edit}
                        </Menu.Item>
                        {b.is_active === 1 ? (
                          <Menu.Item
                            color="red"
                            onClick={() => window.confirm(t.deactivateConfirm(b.name)) && toggle.mutate(b)}
                            data-testid="branch-deactivate"
                          >
                            {t.deactivate}
                          </Menu.Item>
                        ) : (
                          <Menu.Item
                            color="teal"
                            onClick={() => window.confirm(t.activateConfirm(b.name)) && toggle.mutate(b)}
                            data-testid="branch-activate"
                          >
                            {t.activate}
                          </Menu.Item>
                        )}
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </ListStates>
      <Modal
        closeButtonProps={{ 'aria-label': m.app.close }}
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t.newTitle : t.editTitle}
      >
        {editing !== null && (
          <BranchForm
            branch={editing === 'new' ? null : editing}
            nextWeight={Math.max(0, ...items.map((b) => b.weight)) + 1}
            onSaved={() => {
              changed(editing === 'new' ? t.created : m.app.saved)
              setEditing(null)
            }}
            onCancel={() => setEditing(null)}
          />
        )}
      </Modal>
    </Stack>
  )
}

function BranchForm(props: {
  branch: Branch | null
  nextWeight: number
  onSaved: (b: Branch) => void
  onCancel: () => void
}) {
  const { api } = useSession()
  const subjects = useDictionary('subject')
  const b = props.branch
  const [name, setName] = useState(b?.name ?? '')
  const [subjectIds, setSubjectIds] = useState((b?.subject_ids ?? []).map(String))
  const [weight, setWeight] = useState<number | string>(b?.weight ?? props.nextWeight)
  const [active, setActive] = useState((b?.is_active ?? 1) === 1)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    const body: BranchInput = {
      name,
      subject_ids: subjectIds.map(Number),
      weight: typeof weight === 'number' ? weight : Number(weight) || 0,
      is_active: active ? 1 : 0,
    }
    try {
      props.onSaved(b ? await api.update('branch', b.id, body) : await api.create('branch', body))
    } catch (err) {
      showSaveError(err, setErrors)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit} data-testid="branch-form" noValidate>
      <Stack>
        <TextInput
          label={L.name}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={errors.name}
          required
          maxLength={50}
          data-testid="branch-form-name"
        />
        <MultiSelect
          label={L.subject_ids}
          data={subjects.options}
          value={subjectIds}
          onChange={setSubjectIds}
          error={
            errors.subject_ids ?? Object.entries(errors).find(([k]) => k.startsWith('subject_ids.'))?.[1]
          }
          searchable
        />
        <NumberInput
          label={L.weight}
          description={t.weightHint}
          value={weight}
          onChange={setWeight}
          allowDecimal={false}
          error={errors.weight}
          w={160}
        />
        <Switch
          label={L.is_active}
          checked={active}
          onChange={(e) => setActive(e.currentTarget.checked)}
          error={errors.is_active}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={busy} data-testid="branch-form-save">
            {b ? m.app.save : m.app.create}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
