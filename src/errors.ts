/**
 * Errors with a meaning. Code outside the HTTP layer throws these and never picks a status;
 * `toWire` is the one place that maps a meaning to the spec's bodies (§3.5–§3.7).
 */
export type FieldErrors = Record<string, string[]>

export type Meaning =
  | { kind: 'route' }
  | { kind: 'method' }
  | { kind: 'login' }
  | { kind: 'token' }
  | { kind: 'access' }
  | { kind: 'rate'; retryAfter: number }
  | { kind: 'json' }
  | { kind: 'tooLarge' }
  /** A request broken below the API: bad HTTP, headers over the size limit, too slow to arrive. */
  | { kind: 'protocol'; problem: 'malformed' | 'headersTooLarge' | 'timeout' }
  | { kind: 'missing'; names: string[] }
  | { kind: 'badParam'; name: string }
  | { kind: 'unknownParam'; name: string }
  | { kind: 'notFound' }
  | { kind: 'invalid'; errors: FieldErrors }
  /** A statement ran past the time limit (STATEMENT_TIMEOUT_MS) and was given up on. */
  | { kind: 'tooSlow'; limitMs: number | null }
  /** No database connection could take the request in time (every reader busy or still finishing). */
  | { kind: 'busy' }
  /** [ext] A batch of more requests than it may hold. */
  | { kind: 'batchSize'; max: number }
  /** [ext] A batch entry that is not a read action (a write, a session endpoint, another batch). */
  | { kind: 'notBatchable' }
  /** [ext] An `Idempotency-Key` already used by this user for a different request (http/idempotency). */
  | { kind: 'idempotencyReuse' }

export class AppError extends Error {
  constructor(readonly meaning: Meaning) {
    super(meaning.kind)
  }
}

export const fail = {
  route: () => new AppError({ kind: 'route' }),
  method: () => new AppError({ kind: 'method' }),
  login: () => new AppError({ kind: 'login' }),
  token: () => new AppError({ kind: 'token' }),
  access: () => new AppError({ kind: 'access' }),
  rate: (retryAfter: number) => new AppError({ kind: 'rate', retryAfter }),
  json: () => new AppError({ kind: 'json' }),
  tooLarge: () => new AppError({ kind: 'tooLarge' }),
  protocol: (problem: 'malformed' | 'headersTooLarge' | 'timeout') =>
    new AppError({ kind: 'protocol', problem }),
  missing: (...names: string[]) => new AppError({ kind: 'missing', names }),
  badParam: (name: string) => new AppError({ kind: 'badParam', name }),
  unknownParam: (name: string) => new AppError({ kind: 'unknownParam', name }),
  notFound: () => new AppError({ kind: 'notFound' }),
  invalid: (errors: FieldErrors) => new AppError({ kind: 'invalid', errors }),
  tooSlow: (limitMs: number | null = null) => new AppError({ kind: 'tooSlow', limitMs }),
  busy: () => new AppError({ kind: 'busy' }),
  batchSize: (max: number) => new AppError({ kind: 'batchSize', max }),
  notBatchable: () => new AppError({ kind: 'notBatchable' }),
  field: (key: string, message: string) => new AppError({ kind: 'invalid', errors: { [key]: [message] } }),
}

export interface WireError {
  status: number
  body: Record<string, unknown>
  headers: Record<string, string>
}

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

function plain(status: number, message: string, headers: Record<string, string> = {}): WireError {
  return { status, body: { name: REASON[status], message, code: 0, status }, headers }
}

export function toWire(err: unknown): WireError {
  if (!(err instanceof AppError)) return plain(500, 'An internal server error occurred.')
  const m = err.meaning
  switch (m.kind) {
    case 'route':
      return plain(404, 'Page not found.')
    case 'method':
      return plain(
        405,
        'Method Not Allowed. This URL can only handle the following request methods: GET, POST.',
        { allow: 'GET, POST' },
      )
    case 'login':
      return plain(403, 'Not Authorized')
    case 'token':
      return plain(401, 'Your request was made with invalid credentials.')
    case 'access':
      return plain(403, 'Access Denied')
    case 'rate':
      return plain(429, 'Rate limit exceeded.', {
        'retry-after': String(Math.max(1, Math.ceil(m.retryAfter))),
      })
    case 'json':
      return plain(400, 'Invalid JSON data in request body.')
    case 'tooLarge':
      return plain(413, 'Request body is too large.')
    case 'protocol':
      // Not in §3.7 (the real service's web server answers these before the framework); the §3.6 shape.
      if (m.problem === 'headersTooLarge') return plain(431, 'Request header fields are too large.')
      if (m.problem === 'timeout') return plain(408, 'Request timed out.')
      return plain(400, 'Malformed HTTP request.')
    case 'missing':
      return plain(400, `Отсутствуют обязательные параметры: ${m.names.join(', ')}`)
    case 'badParam':
      return plain(400, `Неверное значение параметра «${m.name}».`)
    case 'unknownParam':
      return plain(400, `Неизвестный параметр «${m.name}».`)
    case 'notFound':
      return plain(404, 'Not Found')
    case 'tooSlow': {
      // Not in the spec (the real service has no such limit); the §3.6 shape, and a status that says
      // "not now" rather than "your request is wrong": the same request may pass on a quieter server.
      const limit = m.limitMs === null ? 'the time limit' : `${m.limitMs} ms`
      return plain(503, `The query took longer than ${limit} and was stopped; narrow the filters.`)
    }
    case 'busy':
      return plain(503, 'The server is busy; try again later.', { 'retry-after': '1' })
    // Not in the spec (the batch is ours); the §3.6 shape.
    case 'batchSize':
      return plain(400, `A batch holds at most ${m.max} requests.`)
    case 'notBatchable':
      return plain(400, 'Only read actions (index, counts, totals, calendar views) can be sent in a batch.')
    case 'idempotencyReuse':
      // Not in the spec (the header is ours); the §3.5 shape, naming the header as the field.
      return invalid({
        'Idempotency-Key': [
          'This Idempotency-Key was already used with a different request (method, path, query or body); ' +
            'send a new key for a new request.',
        ],
      })
    case 'invalid':
      return invalid(m.errors)
  }
}

/** §3.5: a 422 with the errors by field; `message` is the first one. */
function invalid(errors: FieldErrors): WireError {
  const first = Object.values(errors)[0]?.[0] ?? ''
  return {
    status: 422,
    body: { success: false, errors, model: null, name: REASON[422], message: first, code: 0, status: 422 },
    headers: {},
  }
}
