import http from 'node:http'
import { jsonOrText } from './server.js'

export interface RawReply {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
  /** The parsed JSON, or the text when it is not JSON. */
  body: any
}

export interface RawOptions {
  /** POST unless told. */
  method?: string
  /** Sent exactly as given; only Content-Length is added, when there is a body. */
  headers?: Record<string, string>
  body?: string | Buffer
}

/**
 * A request to /v2api/{path} through plain node:http, so a test controls every header byte (fetch adds
 * its own Content-Type) and can send a body with GET (§1.5: a GET body is read like a POST body).
 */
export function rawRequest(base: string, path: string, opts: RawOptions = {}): Promise<RawReply> {
  const url = new URL(`/v2api/${path}`, base)
  const headers = { ...opts.headers }
  if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body))
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: opts.method ?? 'POST',
        headers,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: jsonOrText(text) })
        })
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}
