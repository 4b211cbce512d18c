import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core'
import { type FormEvent, useState } from 'react'
import { ApiError, type SessionUser } from '../api/client'
import { m } from '../i18n'
import { errorText } from './errors'
import { browserApi } from './session'

/** E-mail and password; the server answers with the session cookie (HttpOnly: the app never sees it). */
export function SignIn(props: { onSignedIn: (user: SessionUser) => void; expired: boolean }) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(props.expired ? m.auth.expired : null)
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const r = await browserApi(1).signIn(email.trim(), password)
      props.onSignedIn(r.user)
    } catch (err) {
      if (err instanceof ApiError && (err.status === 403 || err.status === 401)) setError(m.auth.wrong)
      else if (err instanceof ApiError && err.status === 429) setError(m.auth.tooMany)
      else setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Center mih="100vh" bg="gray.0" p="md">
      <Paper component="main" withBorder shadow="sm" p="xl" radius="md" w={380} maw="100%">
        <form onSubmit={submit} aria-labelledby="sign-in-title">
          <Stack>
            <div>
              <Title order={1} size="h2" id="sign-in-title">
                {m.auth.title}
              </Title>
              <Text c="dimmed" size="sm">
                {m.auth.subtitle}
              </Text>
            </div>
            {error && (
              <Alert color="red" role="alert" data-testid="sign-in-error">
                {error}
              </Alert>
            )}
            <TextInput
              label={m.auth.email}
              name="email"
              type="email"
              autoComplete="username"
              required
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
            />
            <PasswordInput
              label={m.auth.password}
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} fullWidth>
              {m.auth.signIn}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  )
}
