import type { AnyDb, User } from '../engine/model.js'
import { type FieldErrors, fail } from '../errors.js'
import { EVENT, hiddenAttributes } from '../log/write.js'
import { nowParts } from '../wire/dates.js'
import type { LoginDeps } from './login.js'
import { hashPassword, isPasswordLength, PASSWORD_LENGTH, verifyPassword } from './secrets.js'
import { issueToken, revokeTokens, type TokenKind } from './tokens.js'

export const PASSWORD_LENGTH_MESSAGE = `Значение «Пароль» должно содержать от ${PASSWORD_LENGTH.min} до ${PASSWORD_LENGTH.max} символов.`

/**
 * `auth/password`: a signed-in user changes its own password, giving the current one. Every token of
 * the user is revoked (other browsers, API clients) and one of the kind the caller used is issued in
 * the same transaction, so the caller stays signed in. The current password is checked under the
 * login limiter: a stolen session is not a way to guess it.
 */
export async function changePassword(
  deps: LoginDeps,
  user: User,
  kind: TokenKind,
  body: Record<string, unknown>,
  ip: string,
): Promise<string> {
  const wait = deps.limiter.hit(`${ip}\u0000${user.email.toLowerCase()}`)
  if (wait > 0) throw fail.rate(wait)
  const current = typeof body.current_password === 'string' ? body.current_password : ''
  const next = typeof body.new_password === 'string' ? body.new_password : ''
  const row = await deps.db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', user.id)
    .executeTakeFirst()
  const stored = row?.password_hash as string | null | undefined
  const errors: FieldErrors = {}
  // No timing to hide here: the caller is signed in as this user. Over-long input is not hashed.
  const plausible = stored && current !== '' && current.length <= PASSWORD_LENGTH.max
  if (!plausible || !(await verifyPassword(current, stored)))
    errors.current_password = ['Неверный текущий пароль.']
  if (!isPasswordLength(next)) errors.new_password = [PASSWORD_LENGTH_MESSAGE]
  if (Object.keys(errors).length > 0) throw fail.invalid(errors)
  const hash = await hashPassword(next)
  return deps.db.transaction().execute(async (trx) => {
    await setPasswordHash(trx, user.id, hash)
    // The log says the password changed, and who changed it (the user), never the value (§5.11).
    await trx
      .insertInto('log')
      .values({
        entity: 'User',
        entity_id: user.id,
        user_id: user.id,
        event: EVENT.update,
        fields_old: JSON.stringify(hiddenAttributes(['password'])),
        fields_new: JSON.stringify(hiddenAttributes(['password'])),
        date_time: nowParts(deps.tz).dateTime,
        visibility: 'admin',
      })
      .execute()
    return issueToken(trx, user.id, deps.tokenTtl, kind)
  })
}

/** Stores a password hash and logs the user out everywhere (a changed password ends every session). */
export async function setPasswordHash(db: AnyDb, userId: number, hash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute()
  await revokeTokens(db, userId)
}
