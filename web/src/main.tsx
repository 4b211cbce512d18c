import './mantine-styles'
import '@mantine/notifications/styles.css'
import {
  Button,
  Center,
  Combobox,
  type CSSVariablesResolver,
  createTheme,
  Loader,
  MantineProvider,
  Notification,
  Stack,
  Text,
} from '@mantine/core'
import { Notifications } from '@mantine/notifications'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { type ComponentType, lazy, type ReactNode, StrictMode, Suspense } from 'react'
import { createRoot } from 'react-dom/client'
import { Link, Route, Switch } from 'wouter'
import { ApiError } from './api/client'
import { earlySettled } from './api/early'
import { Shell } from './app/Shell'
import { SignIn } from './app/SignIn'
import { SessionProvider } from './app/session'
import { m } from './i18n'
import { type ChunkKey, chunkOf, chunks } from './pages'

/**
 * A page's chunk, loaded on demand. Once its code is in (the opened page's is fetched while the session
 * is still being checked), the page renders at once instead of suspending: React holds a suspended
 * boundary's reveal back by about 300 ms, which the first page would otherwise pay every time.
 */
function page<P extends object>(load: () => Promise<{ default: ComponentType<P> }>) {
  let loaded: ComponentType<P> | null = null
  const fetch = () =>
    load().then((mod) => {
      loaded = mod.default
      return mod
    })
  const Lazy = lazy(fetch) as unknown as ComponentType<P>
  // biome-ignore lint/correctness/noComponentHookFactories: made once per page at module load, never in a render
  function Page(props: P) {
    const Loaded = loaded
    return Loaded ? <Loaded {...props} /> : <Lazy {...props} />
  }
  return { Page, fetch }
}

// The page chunks (the boot script has already started fetching the opened page's).
const pages = {
  customers: page(chunks.customers),
  card: page(chunks.card),
  leads: page(chunks.leads),
  payments: page(chunks.payments),
  dashboard: page(chunks.dashboard),
  schedule: page(chunks.schedule),
  lesson: page(chunks.lesson),
  groups: page(chunks.groups),
  group: page(chunks.group),
  teachers: page(chunks.teachers),
  teacher: page(chunks.teacher),
  settings: page(chunks.settings),
} satisfies Record<ChunkKey, unknown>
const CustomersPage = pages.customers.Page
const CustomerCard = pages.card.Page
const LeadsPage = pages.leads.Page
const PaymentsPage = pages.payments.Page
const DashboardPage = pages.dashboard.Page
const SchedulePage = pages.schedule.Page
const LessonPage = pages.lesson.Page
const GroupsPage = pages.groups.Page
const GroupCard = pages.group.Page
const TeachersPage = pages.teachers.Page
const TeacherCard = pages.teacher.Page
const SettingsPage = pages.settings.Page
const openedPage = pages[chunkOf(window.location.pathname)].fetch()

const theme = createTheme({
  primaryColor: 'blue',
  // Shade 8 of every colour for text and filled controls: on white, blue 5.0:1 and red 4.5:1 (WCAG AA for
  // small text); the default shade 6 gives 3.6:1 and 3.3:1.
  primaryShade: 8,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
  components: {
    // The pop-up notifications' close button has a name for screen readers.
    Notification: Notification.extend({ defaultProps: { closeButtonProps: { 'aria-label': m.app.close } } }),
    // A select's options are rendered when it opens, not kept hidden in every page: a hidden list still
    // positions itself when mounted, which makes the browser lay out the whole page once per select.
    Combobox: Combobox.extend({ defaultProps: { keepMounted: false } }),
  },
})

/** Contrast (WCAG AA, 4.5:1 for small text): dimmed text 8.2:1 and placeholders 4.7:1 (defaults 3.3 and 2.1). */
const contrast: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': '#6c757d',
  },
  dark: {},
})

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // A refusal (4xx) is an answer; only network trouble and 5xx are worth another try.
      retry: (count, err) =>
        count < 2 && (!(err instanceof ApiError) || err.status === 0 || err.status >= 500),
    },
  },
})

const loading = (
  <Center h="60vh" aria-busy="true">
    <Loader aria-label={m.app.loading} />
  </Center>
)

function NotFound() {
  return (
    <Stack align="center" mt="xl">
      <Text size="lg">{m.app.notFound}</Text>
      <Button component={Link} href="/">
        {m.app.toHome}
      </Button>
    </Stack>
  )
}

function Pages(): ReactNode {
  return (
    <Shell>
      <Suspense fallback={loading}>
        <Switch>
          <Route path="/" component={DashboardPage} />
          <Route path="/schedule" component={SchedulePage} />
          <Route path="/lessons/:id">{(p) => <LessonPage id={Number(p.id)} />}</Route>
          <Route path="/groups" component={GroupsPage} />
          <Route path="/groups/new">
            <GroupCard id={null} />
          </Route>
          <Route path="/groups/:id">{(p) => <GroupCard id={Number(p.id)} />}</Route>
          <Route path="/teachers" component={TeachersPage} />
          <Route path="/teachers/new">
            <TeacherCard id={null} />
          </Route>
          <Route path="/teachers/:id">{(p) => <TeacherCard id={Number(p.id)} />}</Route>
          <Route path="/settings/:section?" component={SettingsPage} />
          <Route path="/customers" component={CustomersPage} />
          <Route path="/customers/new">
            <CustomerCard id={null} />
          </Route>
          <Route path="/customers/:id">{(p) => <CustomerCard id={Number(p.id)} />}</Route>
          <Route path="/leads" component={LeadsPage} />
          <Route path="/payments" component={PaymentsPage} />
          <Route component={NotFound} />
        </Switch>
      </Suspense>
    </Shell>
  )
}

// The calls the boot script started and the opened page's code have usually come while this code was
// loading: waiting for them (half a second at most) lets the first render show the signed-in page with
// its data at once, instead of a loading state and a suspended page (whose reveal React holds back).
await Promise.race([
  Promise.all([earlySettled(), openedPage.catch(() => undefined)]),
  new Promise((resolve) => setTimeout(resolve, 500)),
])

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={contrast}>
      <Notifications position="top-right" />
      <QueryClientProvider client={queries}>
        <SessionProvider
          loading={loading}
          signIn={(done, expired) => <SignIn onSignedIn={done} expired={expired} />}
        >
          <Pages />
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
)
