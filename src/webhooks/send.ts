import crypto from 'node:crypto'

/** Bytes of a receiver's answer read at most; the rest is dropped. */
const MAX_ANSWER_BYTES = 64 * 1024
/** Characters of an answer kept in the delivery log. */
const KEPT_ANSWER = 300

/** `sha256=<hex>`: HMAC-SHA256 over `${timestamp}.${body}` with the endpoint's secret. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export interface Sent {
  ok: boolean
  /** The answer's HTTP status; null when none came (timeout, refused connection). */
  status: number | null
  /** Why it failed, or the start of the answer's body. */
  detail: string
}

/** The start of the answer's body, reading no more than MAX_ANSWER_BYTES. */
async function readCapped(res: Response): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.length
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8')
}

function describeError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`
  if (e?.name === 'AbortError') return 'stopped: the server was shutting down'
  const cause = e?.cause?.code ?? e?.cause?.message
  return cause ? `${e.message ?? 'request failed'}: ${cause}` : (e?.message ?? String(err))
}

/**
 * POSTs a signed payload to the endpoint's URL, and only there: redirects are not followed (a 3xx is a
 * failure), the whole exchange has `timeoutMs`, and at most 64 KiB of the answer is read.
 */
export async function sendSigned(
  url: string,
  secret: string,
  body: string,
  deliveryId: number | string,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<Sent> {
  const timestamp = Math.floor(Date.now() / 1000)
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = stop ? AbortSignal.any([timeout, stop]) : timeout
  try {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal,
      headers: {
        'content-type': 'application/json; charset=UTF-8',
        'user-agent': 'Parta-Webhooks/1',
        'x-parta-signature': sign(secret, timestamp, body),
        'x-parta-timestamp': String(timestamp),
        'x-parta-delivery': String(deliveryId),
      },
      body,
    })
    const answer = (await readCapped(res)).slice(0, KEPT_ANSWER)
    const ok = res.status >= 200 && res.status < 300
    return {
      ok,
      status: res.status,
      detail: ok ? answer : `HTTP ${res.status}${answer ? `: ${answer}` : ''}`,
    }
  } catch (err) {
    return { ok: false, status: null, detail: describeError(err, timeoutMs) }
  }
}
