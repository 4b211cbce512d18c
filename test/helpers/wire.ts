/**
 * The spec's exact reply bodies (§3.5–§3.7, §1.11), the 422 body builders, and the few other wire
 * constants the tests compare against. Every test takes them from here, so each lives once.
 */

/** The Content-Type of every reply (§8.54). */
export const JSON_TYPE = 'application/json; charset=UTF-8'

/** Call options that switch strict mode on for one request (§1.10). */
export const strict = { headers: { 'X-Strict': '1' } }

/** The six certain boolean forms and the flag each stores (§8.30). */
export const BOOL_FORMS: Array<[unknown, 0 | 1]> = [
  [true, 1],
  [false, 0],
  [1, 1],
  [0, 0],
  ['1', 1],
  ['0', 0],
]

/** An error body: the keys in this order, as replies are also compared as text. */
const error = (status: number, name: string, message: string) => ({ name, message, code: 0, status })
const badRequest = (message: string) => error(400, 'Bad Request', message)

export const wire = {
  /** A successful delete (§8.16). */
  deleted: { success: true, errors: [] },

  unauthorized: error(401, 'Unauthorized', 'Your request was made with invalid credentials.'),
  /** A refused login. */
  notAuthorized: error(403, 'Forbidden', 'Not Authorized'),
  /** A role, branch or API access refused. */
  accessDenied: error(403, 'Forbidden', 'Access Denied'),
  /** A record that does not exist or is not visible. */
  notFound: error(404, 'Not Found', 'Not Found'),
  /** A path that names no route. */
  notFoundRoute: error(404, 'Not Found', 'Page not found.'),
  methodNotAllowed: error(
    405,
    'Method Not Allowed',
    'Method Not Allowed. This URL can only handle the following request methods: GET, POST.',
  ),
  tooLarge: error(413, 'Payload Too Large', 'Request body is too large.'),
  rateLimited: error(429, 'Too Many Requests', 'Rate limit exceeded.'),

  badJson: badRequest('Invalid JSON data in request body.'),
  missing: (...names: string[]) => badRequest(`Отсутствуют обязательные параметры: ${names.join(', ')}`),
  badParam: (name: string) => badRequest(`Неверное значение параметра «${name}».`),
  /** An unknown filter key in strict mode (§1.10). */
  unknownParam: (name: string) => badRequest(`Неизвестный параметр «${name}».`),

  /** A 422: the errors by field, the first message repeated as `message`. */
  invalid(errors: Record<string, string[]>) {
    const first = Object.values(errors)[0]?.[0]
    return {
      success: false,
      errors,
      model: null,
      name: 'Unprocessable Entity',
      message: first,
      code: 0,
      status: 422,
    }
  },
  /** §6.9: a refused delete, one message per referencing slug. */
  refused: (...slugs: string[]) =>
    wire.invalid({
      id: slugs.map((slug) => `Невозможно удалить запись: на неё ссылаются записи «${slug}».`),
    }),
}
