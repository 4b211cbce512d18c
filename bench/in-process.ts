import { buildApp } from '../src/app.js'
import type { loadConfig } from '../src/config.js'
import type { Db } from '../src/db/connect.js'
import { models } from '../src/models/index.js'
import { ADMIN } from './fixtures.js'

/**
 * The server built in this process on `db` (bench/explain, bench/tail): requests sent through
 * `inject`, signed in as the bench's admin, and the default list's total of branch 1.
 */
export async function inProcess(config: ReturnType<typeof loadConfig>, db: Db) {
  const app = await buildApp({ config, db, models })
  const send = (path: string, body: string, token?: string) =>
    app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json', ...(token ? { 'x-alfacrm-token': token } : {}) },
      payload: body,
    })
  const token = JSON.parse((await send('/v2api/auth/login', JSON.stringify(ADMIN))).body).token as string
  /** A request as the admin. */
  const call = (path: string, body: string) => send(path, body, token)
  const total = JSON.parse((await call('/v2api/1/customer/index', '{}')).body).total as number
  return { app, call, total }
}
