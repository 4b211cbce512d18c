import { isPasswordLength, newApiKey, newPassword, PASSWORD_LENGTH } from '../auth/secrets.js'
import { revokeTokens } from '../auth/tokens.js'
import { setApiKey } from '../auth/users.js'
import { defineCommand, failure, parseOptions } from './command.js'
import { asOperator } from './operator-call.js'
import { checkApiKey, findUser, KEY_WARNING, parseWho } from './users.js'

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

export const userSetPassword = defineCommand({
  synopsis: 'user set-password (--email E | --id N) [--password P | --password -] [--json]',
  summary:
    "set the password of the staff app's sign-in (printed once when generated) and revoke the user's tokens",
  details: [
    `--password P   ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters; a random one is generated and printed once when omitted`,
    '--password -   read it from standard input (one line), so it stays out of the shell history',
    'Every session and token of the user is revoked. The change is logged without the password.',
  ],
  parse(argv) {
    const v = parseOptions(argv, { ...whoOptions, password: { type: 'string' } })
    return { who: parseWho(v), password: v.password, json: v.json }
  },
  async run({ db, args, out, tz }) {
    const generated = args.password === undefined
    const password = generated ? newPassword() : args.password === '-' ? await readStdin() : args.password!
    if (!isPasswordLength(password))
      throw failure(`--password must be ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters`)
    const user = await findUser(db.kysely, args.who)
    // The model's update: the same rules as an admin's, a log row saying the password changed.
    await asOperator(db, tz, 'user', 'update', { query: { id: String(user.id) }, body: { password } })
    if (args.json) return out.json({ id: user.id, email: user.email, ...(generated ? { password } : {}) })
    out.line(`Set the password of user ${user.id} <${user.email}>; its sessions and tokens are revoked.`)
    if (generated) {
      out.line(`Password: ${password}`)
      out.line(KEY_WARNING)
    }
  },
})

/** Standard input up to its end, without the line break that ends it. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}
