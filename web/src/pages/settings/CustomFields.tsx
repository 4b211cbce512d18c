import { Button, Code, Group, Modal, Stack, Tabs, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { CustomField } from '../../api/models.gen'
import { MODELS } from '../../api/models.gen'
import { ListStates } from '../../app/ListFrame'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { useRefresh, useUrlState } from '../groups/common'
import {
  type Column,
  DeleteDialog,
  enumLabel,
  type Field,
  fieldColumns,
  fieldsOf,
  ModelForm,
  RecordsTable,
  type Row,
} from './generic'

const t = m.settingsDicts
const MODEL = 'custom-field'
/** The sections that take custom fields, as the declaration lists them. */
const SECTIONS = MODELS[MODEL].enums.model as readonly string[]
const KEYS = ['m'] as const
const listed = (v: { type?: unknown }) => v.type === 'select' || v.type === 'multiselect'

/**
 * `/settings/custom-fields?m=<section>` — the custom fields of customers, groups, pays, lessons and
 * teachers (§5.10): a section's fields in their order, create (code and type are fixed then), edit and
 * delete (which drops the field's values too). Admins only, as the API allows.
 */
export function CustomFields() {
  const { api, branch } = useSession()
  const refresh = useRefresh()
  const [state, update] = useUrlState(KEYS)
  const section = SECTIONS.includes(state.m) ? state.m : SECTIONS[0]!
  const [fields] = useState<Field[]>(() =>
    fieldsOf(MODEL, {
      hide: ['model'],
      order: ['label', 'code', 'type', 'options', 'weight'],
      describe: { code: t.codeHint, options: t.optionsHint },
      visible: { options: listed },
    }),
  )
  const filter = { model: section as CustomField['model'] }
  const q = useQuery({
    queryKey: [branch, MODEL, 'all', filter],
    queryFn: () => api.all(MODEL, filter, { limit: 2000 }),
  })
  const [form, setForm] = useState<{ record: Row | null } | null>(null)
  const [removing, setRemoving] = useState<Row | null>(null)
  const field = (r: Row) => r as unknown as CustomField
  const byName = Object.fromEntries(fieldColumns(fields).map((c) => [c.key, c]))
  const columns: Column[] = [
    byName.label!,
    {
      key: 'code',
      label: t.customKey,
      cell: (r) => <Code>{`custom_${field(r).code}`}</Code>,
    },
    byName.type!,
    {
      ...byName.options!,
      cell: (r) => (listed(field(r)) ? field(r).options.join(', ') : t.noValue),
    },
    byName.weight!,
  ]
  const rows = (q.data ?? []) as unknown as Row[]
  return (
    <Stack gap="sm" data-testid="custom-fields">
      <Group justify="space-between" wrap="wrap">
        <Stack gap={2} maw={760}>
          <Title order={2} size="h3">
            {t.customFields}
          </Title>
          <Text size="sm" c="dimmed">
            {t.customHint}
          </Text>
        </Stack>
        <Button onClick={() => setForm({ record: null })} data-testid="custom-add">
          {t.customAdd}
        </Button>
      </Group>
      <Tabs value={section} onChange={(v) => v && update({ m: v })} variant="pills">
        <Tabs.List aria-label={t.customModel}>
          {SECTIONS.map((s) => (
            <Tabs.Tab key={s} value={s} data-testid={`custom-model-${s}`}>
              {enumLabel(MODEL, 'model', s)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <ListStates
        testId="custom"
        query={q}
        loadError={t.loadError}
        empty={rows.length === 0}
        emptyText={t.empty}
      >
        <RecordsTable
          rows={rows}
          columns={columns}
          nameOf={(r) => field(r).label}
          onEdit={(r) => setForm({ record: r })}
          onDelete={setRemoving}
          testid="custom-table"
        />
      </ListStates>
      <Modal
        opened={form !== null}
        closeButtonProps={{ 'aria-label': m.app.close }}
        onClose={() => setForm(null)}
        title={
          form?.record
            ? t.editTitle(field(form.record).label)
            : `${t.addTitle(t.customName)} (${enumLabel(MODEL, 'model', section)})`
        }
        size="lg"
      >
        {form && (
          <ModelForm
            model={MODEL}
            fields={fields}
            record={form.record}
            fixed={{ model: section }}
            onDone={(message) => {
              refresh([MODEL], message)
              setForm(null)
            }}
            onCancel={() => setForm(null)}
          />
        )}
      </Modal>
      <DeleteDialog
        model={MODEL}
        record={removing}
        name={removing ? field(removing).label : ''}
        confirm={removing ? t.customDeleteConfirm(field(removing).label) : undefined}
        onClose={() => setRemoving(null)}
      />
    </Stack>
  )
}
