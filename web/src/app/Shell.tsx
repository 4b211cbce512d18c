import {
  AppShell,
  Burger,
  Button,
  Group,
  Menu,
  Modal,
  NavLink,
  PasswordInput,
  Select,
  Stack,
  Text,
  UnstyledButton,
} from '@mantine/core'
import { useDisclosure } from '@mantine/hooks'
import { notifications } from '@mantine/notifications'
import { type FormEvent, type ReactNode, useState } from 'react'
import { Link, useLocation } from 'wouter'
import { m } from '../i18n'
import { useDictionary } from '../lib/queries'
import { errorText, fieldErrors } from './errors'
import { useSession } from './session'

const NAV: Array<{ href: string; label: string; admin?: boolean }> = [
  { href: '/', label: m.nav.dashboard },
  { href: '/schedule', label: m.nav.schedule },
  { href: '/customers', label: m.nav.customers },
  { href: '/leads', label: m.nav.leads },
  { href: '/groups', label: m.nav.groups },
  { href: '/teachers', label: m.nav.teachers },
  { href: '/payments', label: m.nav.payments },
  { href: '/settings', label: m.nav.settings, admin: true },
]

/** The frame of every signed-in page: branch switcher, navigation, the user's menu. */
export function Shell(props: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure()
  const [location] = useLocation()
  const { user } = useSession()
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'md', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="md" size="sm" aria-label={m.app.menu} />
            <Text fw={700} size="lg" c="blue.8">
              {m.app.name}
            </Text>
            <BranchSwitcher />
          </Group>
          <UserMenu />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={m.app.menu}>
        {NAV.filter((n) => !n.admin || user.role === 'admin').map((n) => (
          <NavLink
            key={n.href}
            component={Link}
            href={n.href}
            label={n.label}
            active={
              n.href === '/' ? location === '/' : location === n.href || location.startsWith(`${n.href}/`)
            }
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>{props.children}</AppShell.Main>
    </AppShell>
  )
}

/**
 * The user's branches (every branch for an admin), without the disabled ones unless it is the current
 * one; switching reloads every page's data.
 */
function BranchSwitcher() {
  const { user, branch, setBranch } = useSession()
  const branches = useDictionary('branch')
  const options = branches.options.filter((o) => {
    const id = Number(o.value)
    if (user.role !== 'admin' && !user.branch_ids.includes(id)) return false
    return id === branch || branches.byId.get(id)?.is_active !== 0
  })
  if (options.length === 0) return null
  return (
    <Select
      aria-label={m.nav.branch}
      data={options}
      value={String(branch)}
      onChange={(v) => v && setBranch(Number(v))}
      allowDeselect={false}
      w={200}
      size="sm"
      data-testid="branch-switcher"
    />
  )
}

function UserMenu() {
  const { user, signOut } = useSession()
  const [passwordOpen, password] = useDisclosure()
  return (
    <>
      <Menu position="bottom-end" width={220}>
        <Menu.Target>
          <UnstyledButton aria-label={m.nav.user} data-testid="user-menu">
            <Text size="sm" fw={500} truncate maw={220}>
              {user.name}
            </Text>
            <Text size="xs" c="dimmed">
              {m.auth.role[user.role]}
            </Text>
          </UnstyledButton>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{user.email}</Menu.Label>
          <Menu.Item onClick={password.open}>{m.auth.changePassword}</Menu.Item>
          <Menu.Item component="a" href="/docs" target="_blank">
            {m.nav.docs}
          </Menu.Item>
          <Menu.Divider />
          <Menu.Item color="red" onClick={() => void signOut()} data-testid="sign-out">
            {m.auth.signOut}
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <Modal opened={passwordOpen} onClose={password.close} title={m.auth.changePassword}>
        <ChangePassword onDone={password.close} />
      </Modal>
    </>
  )
}

function ChangePassword(props: { onDone: () => void }) {
  const { api } = useSession()
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    try {
      await api.changePassword(current, next)
      notifications.show({ color: 'green', message: m.auth.passwordChanged })
      props.onDone()
    } catch (err) {
      const f = fieldErrors(err)
      setErrors(Object.keys(f).length > 0 ? f : { new_password: errorText(err) })
    } finally {
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit}>
      <Stack>
        <PasswordInput
          label={m.auth.currentPassword}
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.currentTarget.value)}
          error={errors.current_password}
          required
        />
        <PasswordInput
          label={m.auth.newPassword}
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
          error={errors.new_password}
          required
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onDone}>
            {m.app.cancel}
          </Button>
          <Button type="submit" loading={busy}>
            {m.app.save}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
