import { Alert, Stack, Tabs, Title } from '@mantine/core'
import { type ReactNode, Suspense } from 'react'
import { useLocation, useParams } from 'wouter'
import { useSession } from '../../app/session'
import { m } from '../../i18n'
import { Branches } from './Branches'
import { CustomFields } from './CustomFields'
import { Dictionaries } from './Dictionaries'
import { TariffsAndDiscounts } from './Tariffs'
import { Users } from './Users'

const t = m.settings

/** The sections of the settings page, in tab order; each one is `/settings/<key>`. */
const SECTIONS: { key: string; label: string; view: () => ReactNode }[] = [
  { key: 'users', label: t.tabs.users, view: () => <Users /> },
  { key: 'branches', label: t.tabs.branches, view: () => <Branches /> },
  { key: 'dictionaries', label: t.tabs.dictionaries, view: () => <Dictionaries /> },
  { key: 'tariffs', label: t.tabs.tariffs, view: () => <TariffsAndDiscounts /> },
  { key: 'custom-fields', label: t.tabs.customFields, view: () => <CustomFields /> },
]

/** `/settings/:section` — administrators only; everyone else is told so (the server refuses anyway). */
export default function SettingsPage() {
  const { user } = useSession()
  const params = useParams<{ section?: string }>()
  const [, navigate] = useLocation()
  if (user.role !== 'admin') {
    return (
      <Alert color="red" title={t.title} data-testid="settings-forbidden">
        {m.errors.forbidden}
      </Alert>
    )
  }
  const section = SECTIONS.find((s) => s.key === params.section) ?? SECTIONS[0]!
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        {t.title}
      </Title>
      <Tabs value={section.key} onChange={(v) => v && navigate(`/settings/${v}`)} keepMounted={false}>
        <Tabs.List>
          {SECTIONS.map((s) => (
            <Tabs.Tab key={s.key} value={s.key}>
              {s.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {SECTIONS.map((s) => (
          <Tabs.Panel key={s.key} value={s.key} pt="md">
            {s.key === section.key && <Suspense fallback={null}>{s.view()}</Suspense>}
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  )
}
