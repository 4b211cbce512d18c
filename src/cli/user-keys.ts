import { newApiKey } from '../auth/secrets.js'
import { revokeTokens } from '../auth/tokens.js'
import { setApiKey } from '../auth/users.js'
import type { AnyDb } from '../engine/model.js'
import { defineCommand, failure, parseId, parseOptions, usageError } from './command.js'
import { checkApiKey, checkText, KEY_WARNING } from './users.js'

const whoOptions = {
  email: { type: 'string' },
  id: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const

export const userRotateKey = defineCommand({
  synopsis: 'user rotate-key (--email E | --id N) [--api-key K] [--json]',
  summary: "set a new api key (printed once) and revoke the user's tokens",
  parse(argv) {
    const v = parseOptions(argv, { ...whoOptions, 'api-key': { type: 'string' } })
    const apiKey = v['api-key'] === undefined ? undefined : checkApiKey(v['api-key'])
    return { who: parseWho(v), apiKey, json: v.json }
  },
  async run({ db, args, out }) {
    const apiKey = args.apiKey ?? newApiKey()
    const { user, revoked } = await db.kysely.transaction().execute(async (trx) => {
      const user = await findUser(trx, args.who)
      const revoked = await revokeTokens(trx, user.id)
      await setApiKey(trx, user.id, apiKey)
      return { user, revoked }
    })
    if (args.json)
      return out.json({ id: user.id, email: user.email, api_key: apiKey, revoked_tokens: revoked })
    out.line(`New API key for user ${user.id} <${user.email}>: ${apiKey}`)
    out.line(KEY_WARNING)
    out.line(`Revoked ${revoked} token(s).`)
  },
})

export const userRevokeTokens = defineCommand({
  synopsis: 'user revoke-tokens (--email E | --id N) [--json]',
  summary: "log the user out everywhere: delete all of the user's tokens",
  parse(argv) {
    const v = parseOptions(argv, whoOptions)
    return { who: parseWho(v), json: v.json }
  },
  async run({ db, args, out }) {
    const user = await findUser(db.kysely, args.who)
    const revoked = await revokeTokens(db.kysely, user.id)
    if (args.json) return out.json({ id: user.id, email: user.email, revoked_tokens: revoked })
    out.line(`Revoked ${revoked} token(s) of user ${user.id} <${user.email}>.`)
  },
})

type Who = { email: string } | { id: number }

function parseWho(v: { email?: string | undefined; id?: string | undefined }): Who {
  if ((v.email === undefined) === (v.id === undefined))
    throw usageError('give exactly one of --email or --id')
  return v.id === undefined ? { email: checkText(v.email ?? '', 'email') } : { id: parseId(v.id, 'id') }
}

async function findUser(db: AnyDb, who: Who): Promise<{ id: number; email: string }> {
  const q = db.selectFrom('users').select(['id', 'email'])
  const row = await ('id' in who
    ? q.where('id', '=', who.id)
    : q.where('email_lc', '=', who.email.toLowerCase())
  ).executeTakeFirst()
  if (!row) throw failure(`no user with ${'id' in who ? `id ${who.id}` : `e-mail ${who.email}`}`)
  return { id: Number(row.id), email: String(row.email) }
}
