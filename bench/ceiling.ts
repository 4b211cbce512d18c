import http from 'node:http'

/**
 * The ceiling of a bench run: a bare `node:http` server, in a process of its own, answering each
 * route with the very bytes the real server answered it with (captured once, set through
 * `PUT /__body/<route>`), after reading the request body as the real server does.
 */
const bodies = new Map<string, Buffer>()
const HEADERS = {
  'content-type': 'application/json; charset=UTF-8',
  // The real server echoes a request id of this length on every reply.
  'x-request-id': '00000000-0000-4000-8000-000000000000',
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const url = req.url ?? '/'
    if (url === '/healthz') return res.end('ok')
    if (req.method === 'PUT' && url.startsWith('/__body/')) {
      bodies.set(url.slice('/__body/'.length), Buffer.concat(chunks))
      return res.end('ok')
    }
    const body = bodies.get(url.slice(1).split('?')[0] ?? '')
    if (!body) {
      res.statusCode = 404
      return res.end()
    }
    res.writeHead(200, { ...HEADERS, 'content-length': body.length })
    res.end(body)
  })
})

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)))
