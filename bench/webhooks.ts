import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * Webhooks (issue 16) against a running server on an empty database: the p50 of a customer update
 * with no webhook and with one active webhook (its worker delivering meanwhile, as in production),
 * and how many deliveries per second the worker drains from a backlog to a local receiver that
 * answers 200 at once, for one endpoint (one delivery at a time, in commit order) and for four (in
 * parallel). The server's WEBHOOK_TIMEOUT_MS must outlast the writing of the backlog (bench/run: 120 s).
 */
export interface WebhookBench {
  writes: number
  p50NoHookMs: number
  /** One active webhook that listens to another entity: the outbox checks it, writes no row. */
  p50OtherHookMs: number
  p50OneHookMs: number
  drains: Array<{ endpoints: number; deliveries: number; seconds: number; perSecond: number }>
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

/** A receiver that answers 200 at once, or holds every request while its gate is closed. */
async function receiver() {
  let count = 0
  let gate: Promise<void> = Promise.resolve()
  let open = () => {}
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', async () => {
      await gate
      count++
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    count: () => count,
    hold: () => {
      gate = new Promise((resolve) => {
        open = resolve
      })
    },
    release: () => open(),
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

export async function runWebhookBench(
  base: string,
  admin: { email: string; api_key: string },
  writes = 500,
): Promise<WebhookBench> {
  const post = async (path: string, body: unknown, token?: string) => {
    const r = await fetch(`${base}/v2api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { 'x-alfacrm-token': token } : {}) },
      body: JSON.stringify(body),
    })
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`)
    return (await r.json()) as Record<string, any>
  }
  const token = (await post('auth/login', admin)).token as string
  const api = (path: string, body: unknown) => post(path, body, token)
  const id = (await api('1/customer/create', { name: 'Bench', is_study: 1, legal_type: 1 })).model
    .id as number
  const updates = async (n: number) => {
    const times: number[] = []
    for (let i = 0; i < n; i++) {
      const at = performance.now()
      await api(`1/customer/update?id=${id}`, { note: `n${i}-${Math.random()}` })
      times.push(performance.now() - at)
    }
    return median(times)
  }
  const sink = await receiver()
  try {
    await updates(100)
    const p50NoHookMs = await updates(writes)
    const hook = { url: sink.url, entities: ['Customer'], secret: 'bench-secret-0123456789' }
    const other = (await api('webhook/create', { ...hook, entities: ['Pay'] })).model.id as number
    await updates(100)
    const p50OtherHookMs = await updates(writes)
    await api(`webhook/delete?id=${other}`, {})
    await api('webhook/create', hook)
    await updates(100)
    const p50OneHookMs = await updates(writes)
    const drains: WebhookBench['drains'] = []
    let endpoints = 1
    for (const wanted of [1, 4]) {
      for (; endpoints < wanted; endpoints++) await api('webhook/create', hook)
      await waitUntil(async () => (await api('webhook-delivery/index', { status: 'pending' })).total === 0)
      // A backlog: the receiver holds the first delivery of each endpoint while 8 clients write, so the
      // rest queue behind it; the drain is timed from its release to the last delivery received.
      const n = 2000
      const before = sink.count()
      sink.hold()
      let next = 0
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < n) {
            next++
            await api(`1/customer/update?id=${id}`, { note: `d${next}-${Math.random()}` })
          }
        }),
      )
      const started = performance.now()
      sink.release()
      await waitUntil(() => sink.count() - before >= n * endpoints)
      const seconds = (performance.now() - started) / 1000
      drains.push({ endpoints, deliveries: n * endpoints, seconds, perSecond: (n * endpoints) / seconds })
    }
    return { writes, p50NoHookMs, p50OtherHookMs, p50OneHookMs, drains }
  } finally {
    await sink.close()
  }
}

async function waitUntil(check: () => Promise<boolean> | boolean, ms = 300_000): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error('webhook bench: timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

export function webhookTable(b: WebhookBench): string {
  const lines = [
    `customer/update p50 over ${b.writes} serial writes: ${b.p50NoHookMs.toFixed(2)} ms with no webhook, ` +
      `${b.p50OtherHookMs.toFixed(2)} ms with one webhook listening to another entity, ` +
      `${b.p50OneHookMs.toFixed(2)} ms with one webhook receiving each write (+${(b.p50OneHookMs - b.p50NoHookMs).toFixed(2)} ms; its worker delivering meanwhile)`,
  ]
  for (const d of b.drains)
    lines.push(
      `drain to ${d.endpoints} endpoint(s): ${d.deliveries} deliveries in ${d.seconds.toFixed(2)} s = ${d.perSecond.toFixed(0)}/s`,
    )
  return lines.join('\n')
}
