import autocannon from 'autocannon'
import type { Route } from './routes.js'

/** One measurement of a route with autocannon: rate, latency percentiles and failures. */
export interface Measured {
  rps: number
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
  seconds: number
}

export interface LoadOptions {
  connections: number
  seconds: number
}

/** Sends the route's requests (the i-th from `next(counter)`) to `base` for the given time. */
export async function measure(
  base: string,
  route: Route,
  headers: Record<string, string>,
  counter: { n: number },
  o: LoadOptions,
): Promise<Measured> {
  const request: autocannon.Request = {
    method: 'POST',
    path: route.path,
    headers: { 'content-type': 'application/json', ...headers },
    body: route.body,
  }
  if (route.next) {
    const next = route.next
    request.setupRequest = (req) => {
      const { path, body } = next(counter.n++)
      return { ...req, path, body }
    }
  }
  const result = await autocannon({
    url: base,
    connections: o.connections,
    duration: o.seconds,
    requests: [request],
    timeout: 30,
  })
  const done = result['2xx'] + result.non2xx
  return {
    rps: done / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: done,
    non2xx: result.non2xx,
    errors: result.errors,
    seconds: result.duration,
  }
}
