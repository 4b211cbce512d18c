import { startEarly } from './api/early'
import { keptBranch } from './app/branch-store'
import { chunkOf, chunks } from './pages'
import { firstListRead } from './pages/customers/ListQuery'

/**
 * The app's entry: a few kilobytes that start, at once and side by side, what the first page waits for —
 * who is signed in (`auth/me`), the first read of a page whose read the address alone tells (the customer
 * list), the opened page's code and the app's own — instead of one after the other once the app has run.
 * The app takes the replies (see `api/early.ts`); when the guess of the branch was wrong, it asks again.
 */
startEarly('/v2api/auth/me', {})
if (window.location.pathname === '/customers')
  startEarly(`/v2api/${keptBranch() ?? 1}/customer/index`, firstListRead(window.location.search))
void chunks[chunkOf(window.location.pathname)]()
void import('./main')
