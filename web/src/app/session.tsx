import { useQueryClient } from '@tanstack/react-query'
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react'
import { type ModelKey, type SessionUser, V2Api } from '../api/client'
import { dropEarly, peekEarly } from '../api/early'
import { keepBranch, keptBranch } from './branch-store'
import { mayRead, mayWrite } from './permissions'

export interface Session {
  user: SessionUser
  /** The branch every call goes to; the switcher changes it. */
  branch: number
  setBranch(branch: number): void
  api: V2Api
  canWrite(model: ModelKey): boolean
  canRead(model: ModelKey): boolean
  signOut(): Promise<void>
}

const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside a signed-in page')
  return s
}

/** The API as the browser uses it: same origin, the session cookie, and back to sign-in on a 401. */
export function browserApi(branch: number, onUnauthorized?: () => void): V2Api {
  return new V2Api({ base: '', branch, onUnauthorized })
}

function initialBranch(user: SessionUser): number {
  const kept = keptBranch()
  if (kept && (user.role === 'admin' || user.branch_ids.includes(kept))) return kept
  return user.branch_ids[0] ?? 1
}

type State =
  | { status: 'loading' }
  | { status: 'signed-out'; expired: boolean }
  | { status: 'in'; user: SessionUser }

/** What the boot script's `auth/me` already told, if it has come (read once, then `auth/me` as usual). */
let booted: State | undefined
function bootState(): State {
  if (booted) return booted
  const early = peekEarly('/v2api/auth/me', '{}')
  booted = { status: 'loading' }
  if (early?.status === 200) {
    try {
      booted = { status: 'in', user: (JSON.parse(early.text) as { user: SessionUser }).user }
    } catch {}
  } else if (early?.status === 401) booted = { status: 'signed-out', expired: false }
  return booted
}

/** Who is signed in (asked once from `auth/me`), and the sign-in page until someone is. */
export function SessionProvider(props: {
  signIn: (done: (user: SessionUser) => void, expired: boolean) => ReactNode
  loading: ReactNode
  children: ReactNode
}) {
  const queries = useQueryClient()
  const [state, setState] = useState<State>(bootState)
  const [branch, setBranchState] = useState(() => (state.status === 'in' ? initialBranch(state.user) : 1))

  const expire = useCallback(() => {
    queries.clear()
    setState({ status: 'signed-out', expired: true })
  }, [queries])

  const enter = useCallback((user: SessionUser) => {
    setBranchState(initialBranch(user))
    setState({ status: 'in', user })
  }, [])

  // Someone signed in on the form: what the boot script asked before was asked without that session.
  const signedIn = useCallback(
    (user: SessionUser) => {
      dropEarly()
      enter(user)
    },
    [enter],
  )

  // The branch of this visit is the next visit's first guess (the boot script's early list read).
  useEffect(() => {
    if (state.status === 'in') keepBranch(branch)
  }, [state.status, branch])

  const known = state.status !== 'loading'
  useEffect(() => {
    if (known) return
    browserApi(1)
      .me()
      .then(
        (r) => enter(r.user),
        // Refused (401) or unreachable: the sign-in form, which says what went wrong when used.
        () => setState({ status: 'signed-out', expired: false }),
      )
  }, [enter, known])

  const session = useMemo<Session | null>(() => {
    if (state.status !== 'in') return null
    const api = browserApi(branch, expire)
    return {
      user: state.user,
      branch,
      setBranch(b: number) {
        setBranchState(b)
      },
      api,
      canWrite: (model) => mayWrite(state.user, model),
      canRead: (model) => mayRead(state.user, model),
      async signOut() {
        await api.signOut().catch(() => undefined)
        queries.clear()
        setState({ status: 'signed-out', expired: false })
      },
    }
  }, [state, branch, expire, queries])

  if (state.status === 'loading') return <>{props.loading}</>
  if (state.status === 'signed-out') return <>{props.signIn(signedIn, state.expired)}</>
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>
}
