import crypto from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the receiver does with one request: answer with a status, or never answer (a timeout). */
export type Behaviour = number | 'hang'

export interface Delivery {
  id: number
  payload: Record<string, any>
  headers: http.IncomingHttpHeaders
}

export interface Receiver {
  url: string
  /** The endpoint's secret, set once the webhook is made. */
  secret: string
  /** Requests whose signature checked out, in arrival order (retries included). */
  seen: Delivery[]
  /** Deliveries it answered 2xx, in that order (a retry of an accepted one included). */
  accepted: Delivery[]
  /** Requests whose signature or timestamp did not verify. */
  forged: number
  /** Decides the answer to the n-th signed request (0-based). */
  behave: (n: number, d: Delivery) => Behaviour
  close(): Promise<void>
}

/** Checks `X-Parta-Signature` as a receiver would (docs/webhooks.md), in constant time. */
export function verify(secret: string, headers: http.IncomingHttpHeaders, body: string): boolean {
  const timestamp = String(headers['x-parta-timestamp'] ?? '')
  const given = String(headers['x-parta-signature'] ?? '')
  const expected = `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300
  return (
    fresh &&
    given.length === expected.length &&
    crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))
  )
}

/** A webhook receiver on 127.0.0.1 that verifies signatures and records what arrives. */
export async function startReceiver(behave: Receiver['behave'] = () => 200): Promise<Receiver> {
  const hanging = new Set<http.ServerResponse>()
  const r: Receiver = {
    url: '',
    secret: '',
    seen: [],
    accepted: [],
    forged: 0,
    behave,
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      if (!verify(r.secret, req.headers, body)) {
        r.forged++
        res.writeHead(401).end()
        return
      }
      const payload = JSON.parse(body) as Record<string, any>
      const d: Delivery = { id: Number(req.headers['x-parta-delivery']), payload, headers: req.headers }
      const answer = r.behave(r.seen.length, d)
      r.seen.push(d)
      if (answer === 'hang') {
        hanging.add(res)
        return
      }
      if (answer >= 200 && answer < 300) r.accepted.push(d)
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'not now')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  return r
}

/** Polls `check` until it holds (every 50 ms), failing with `what` after `ms`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Deliveries with the first of each id kept (the receiver's dedupe by delivery id). */
export function deduped(list: Delivery[]): Delivery[] {
  const seen = new Set<number>()
  return list.filter((d) => !seen.has(d.id) && seen.add(d.id))
}
