import { Box, Button, Group, Modal, NavLink, Stack, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'wouter'
import type { ModelKey } from '../../api/client'
import { MODELS } from '../../api/models.gen'
import { ListStates } from '../../app/ListFrame'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { useDictionary } from '../../lib/queries'
import { useRefresh, useUrlState } from '../groups/common'
import {
  DeleteDialog,
  type Field,
  fieldColumns,
  fieldsOf,
  ModelForm,
  RecordsTable,
  type Row,
} from './generic'

const t = m.settingsDicts

/** The dictionaries, in menu order; `hide` drops fields the staff does not set (stream and colour ids). */
const DICTIONARIES: Array<{ model: ModelKey; hide?: string[] }> = [
  { model: 'subject' },
  { model: 'study-status' },
  { model: 'lead-status', hide: ['pipeline_id', 'color_id'] },
  { model: 'lead-source' },
  { model: 'lead-reject' },
  { model: 'customer-reject' },
  { model: 'room', hide: ['streaming_id', 'color_id'] },
  { model: 'lesson-type' },
  { model: 'pay-account' },
  { model: 'pay-item-category' },
  { model: 'pay-item' },
]

const KEYS = ['d'] as const

/**
 * `/settings/dictionaries?d=<model>` — the reference lists: a menu of dictionaries, the chosen one's
 * records in a table, add and edit in a form generated from the model's declaration, delete with the
 * API's refusal shown when the record is in use.
 */
export function Dictionaries() {
  const [state] = useUrlState(KEYS)
  const current = DICTIONARIES.find((d) => d.model === state.d) ?? DICTIONARIES[0]!
  return (
    <Group align="flex-start" gap="lg" wrap="nowrap" data-testid="dictionaries">
      <Box component="nav" aria-label={t.listLabel} w={230} style={{ flexShrink: 0 }}>
        {DICTIONARIES.map((d) => (
          <NavLink
            key={d.model}
            component={Link}
            href={`/settings/dictionaries?d=${d.model}`}
            label={t.dictionaries[d.model]}
            active={d.model === current.model}
            aria-current={d.model === current.model ? 'page' : undefined}
            data-testid={`dict-${d.model}`}
          />
        ))}
      </Box>
      <Box flex={1} miw={0}>
        <DictionaryEditor key={current.model} model={current.model} hide={current.hide} />
      </Box>
    </Group>
  )
}

function ScopeNote(props: { model: ModelKey }) {
  const { branch } = useSession()
  const branches = useDictionary('branch')
  const name = branches.byId.get(branch)?.name ?? `#${branch}`
  const scope = MODELS[props.model].scope
  const text =
    scope === 'branch'
      ? t.scope.branch(name)
      : scope === 'branches'
        ? t.scope.branches(name)
        : scope === 'tenant'
          ? t.scope.tenant
          : t.scope.global
  return (
    <Text size="sm" c="dimmed" data-testid="dict-scope">
      {text}
    </Text>
  )
}

function DictionaryEditor(props: { model: ModelKey; hide?: string[] }) {
  const { api, branch, canWrite } = useSession()
  const { model } = props
  const refresh = useRefresh()
  const [fields] = useState<Field[]>(() => fieldsOf(model, { hide: props.hide, order: ['name'] }))
  const q = useQuery({
    queryKey: [branch, model, 'all', {}],
    queryFn: () => api.all(model, {}, { limit: 2000 }),
    staleTime: 5 * 60_000,
  })
  const [form, setForm] = useState<{ record: Row | null } | null>(null)
  const [removing, setRemoving] = useState<Row | null>(null)
  const writable = canWrite(model)
  const title = t.dictionaries[model] ?? model
  const rows = (q.data ?? []) as unknown as Row[]
  const nameOf = (r: Row) => String(r.name ?? `#${r.id}`)
  const off = fields.find((f) => f.name === 'is_enabled' || f.name === 'is_active')
  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap">
        <Stack gap={2}>
          <Title order={2} size="h3" data-testid="dict-title">
            {title}
          </Title>
          <ScopeNote model={model} />
        </Stack>
        {writable && (
          <Button onClick={() => setForm({ record: null })} data-testid="dict-add">
            {t.add}
          </Button>
        )}
      </Group>
      <ListStates
        testId="dict"
        query={q}
        loadError={t.loadError}
        empty={rows.length === 0}
        emptyText={t.empty}
      >
        <RecordsTable
          rows={rows}
          columns={fieldColumns(fields)}
          nameOf={nameOf}
          inactive={off ? (r) => Number(r[off.name]) === 0 : undefined}
          onEdit={writable ? (r) => setForm({ record: r }) : undefined}
          onDelete={writable ? setRemoving : undefined}
          testid="dict-table"
        />
        <Text size="sm" c="dimmed" data-testid="dict-count">
          {t.count(rows.length)}
        </Text>
      </ListStates>
      <Modal
        opened={form !== null}
        closeButtonProps={{ 'aria-label': m.app.close }}
        onClose={() => setForm(null)}
        title={form?.record ? t.editTitle(nameOf(form.record)) : t.addTitle(title)}
        size={fields.length > 4 ? 'lg' : 'md'}
      >
        {form && (
          <ModelForm
            model={model}
            fields={fields}
            record={form.record}
            onDone={(message) => {
              refresh([model], message)
              setForm(null)
            }}
            onCancel={() => setForm(null)}
          />
        )}
      </Modal>
      <DeleteDialog
        model={model}
        record={removing}
        name={removing ? nameOf(removing) : ''}
        onClose={() => setRemoving(null)}
      />
    </Stack>
  )
}
