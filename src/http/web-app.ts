import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** The staff app's build (web/dist, written by `npm run build:web` and at install). */
export const WEB_DIST = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../web/dist')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=UTF-8',
  '.js': 'text/javascript; charset=UTF-8',
  '.css': 'text/css; charset=UTF-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=UTF-8',
  '.txt': 'text/plain; charset=UTF-8',
}

interface Asset {
  type: string
  etag: string
  identity: Buffer
  gzip?: Buffer
  br?: Buffer
}

/**
 * The app's pages allow only their own scripts and the API of their own origin; `unsafe-inline` styles
 * are the component library's (style attributes), never scripts. No page may frame the app.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Parta</title>
<body style="font-family:system-ui;max-width:40em;margin:4em auto">
<h1>Parta</h1><p>The staff web app is not built in this installation. Build it with
<code>npm run build:web</code> (an install with dev dependencies does it), then restart the server.
The API is at <code>/v2api/</code>, its documentation at <a href="/docs">/docs</a>.</p></body></html>`

/** Reads the whole build once (a few hundred kB, fixed by the build, not by clients). */
function loadAssets(dir: string): Map<string, Asset> | null {
  if (!fs.existsSync(path.join(dir, 'index.html'))) return null
  const out = new Map<string, Asset>()
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (!/\.(gz|br)$/.test(e.name)) {
        const identity = fs.readFileSync(p)
        const read = (ext: string) => (fs.existsSync(p + ext) ? fs.readFileSync(p + ext) : undefined)
        const type = TYPES[path.extname(e.name)] ?? 'application/octet-stream'
        const etag = `"${crypto.createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`
        out.set(`/${path.relative(dir, p).split(path.sep).join('/')}`, {
          type,
          etag,
          identity,
          gzip: read('.gz'),
          br: read('.br'),
        })
      }
    }
  }
  walk(dir)
  return out
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, asset: Asset, cache: string) {
  reply.header('content-type', asset.type).header('cache-control', cache).header('etag', asset.etag)
  reply.header('vary', 'accept-encoding')
  if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send()
  const accepts = String(req.headers['accept-encoding'] ?? '')
  if (asset.br && /\bbr\b/.test(accepts)) return reply.header('content-encoding', 'br').send(asset.br)
  if (asset.gzip && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(asset.gzip)
  return reply.send(asset.identity)
}

/** A browser opening a page (not a script, an image or an API client asking for JSON). */
const wantsPage = (req: FastifyRequest) => String(req.headers.accept ?? '').includes('text/html')

/**
 * The staff app at `/`: hashed assets under `/assets/` kept by browsers for a year, and `index.html`
 * (always revalidated) for every page path a browser opens, so a reload on `/customers/5` works.
 * Anything else keeps the API's 404 (`notFound`), as before the app existed.
 */
export function registerWebApp(
  app: FastifyInstance,
  notFound: (req: FastifyRequest, reply: FastifyReply) => unknown,
  dir = WEB_DIST,
): void {
  let assets: Map<string, Asset> | null | undefined
  app.get('/*', async (req, reply) => {
    assets ??= loadAssets(dir)
    const pathname = (req.url.split('?')[0] ?? '/').replace(/\/{2,}/g, '/')
    const file = assets?.get(pathname)
    if (file && pathname.startsWith('/assets/'))
      return sendAsset(req, reply, file, 'public, max-age=31536000, immutable')
    if (!wantsPage(req) || path.extname(pathname) !== '') return notFound(req, reply)
    reply.headers(PAGE_HEADERS)
    const index = assets?.get('/index.html')
    if (!index)
      return reply.type('text/html; charset=UTF-8').header('cache-control', 'no-store').send(NOT_BUILT)
    return sendAsset(req, reply, index, 'no-cache')
  })
}
