import crypto from 'node:crypto'
import { promisify } from 'node:util'

const scrypt = promisify(crypto.scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: crypto.ScryptOptions,
) => Promise<Buffer>
const PARAMS = { N: 16384, r: 8, p: 1 }

/** API keys are chosen by people, so they get a slow salted hash (scrypt); never stored in plain text. */
export async function hashApiKey(key: string): Promise<string> {
  const salt = crypto.randomBytes(16)
  const hash = await scrypt(key, salt, 32, PARAMS)
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('hex')}$${hash.toString('hex')}`
}

/** Constant-time comparison with a stored hash (§2.1). */
export async function verifyApiKey(key: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'hex')
  const actual = await scrypt(key, Buffer.from(salt, 'hex'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  })
  return crypto.timingSafeEqual(actual, expected)
}

/** Passwords get the same slow salted hash as api keys. */
export const hashPassword = hashApiKey
export const verifyPassword = verifyApiKey

/** Password length in characters: at least 8 (a guess must cost more than the login limiter allows), at most 255. */
export const PASSWORD_LENGTH = { min: 8, max: 255 } as const

/** Whether a password has an acceptable length (counted in code points, as people count characters). */
export function isPasswordLength(password: string): boolean {
  const n = [...password].length
  return n >= PASSWORD_LENGTH.min && n <= PASSWORD_LENGTH.max
}

/** A generated password for an operator who gave none: 20 URL-safe characters (120 random bits). */
export function newPassword(): string {
  return crypto.randomBytes(15).toString('base64url')
}

/** A dummy hash to spend the same time on unknown e-mails as on known ones. */
export const DUMMY_HASH = `scrypt$16384$8$1$${'00'.repeat(16)}$${'00'.repeat(32)}`

/** §2.2: 64 hexadecimal characters (32 random bytes). */
export function newToken(): string {
  return crypto.randomBytes(32).toString('hex')
}

/** Tokens carry 256 random bits, so a fast hash is enough to keep them out of the database. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex')
}

/** §7.30: a regenerated key is 36 characters, UUID-like. */
export function newApiKey(): string {
  return crypto.randomUUID()
}
