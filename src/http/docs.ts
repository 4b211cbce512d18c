import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Registry } from '../engine/model.js'
import { buildOpenApi } from '../engine/openapi.js'

const VERSION = '0.1.0'

/** Swagger UI's own files, as @fastify/swagger-ui ships them; read when first asked for. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=UTF-8',
  'index.css': 'text/css; charset=UTF-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=UTF-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=UTF-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
}

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>Parta API — Swagger UI</title>
<link rel="stylesheet" type="text/css" href="/docs/static/swagger-ui.css" />
<link rel="stylesheet" type="text/css" href="/docs/static/index.css" />
<link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png" sizes="32x32" />
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="/docs/static/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script>
window.ui = SwaggerUIBundle({
  url: '/v2api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: 'StandaloneLayout',
});
</script>
</body>
</html>
`

/**
 * The OpenAPI document at `/v2api/openapi.json` and a Swagger UI page at `/docs`. Both are made when
 * first asked for, not at start (start to healthy counts). The static route wins over the `/v2api/*`
 * wildcard because Fastify prefers static routes.
 */
export function registerDocs(app: FastifyInstance, models: Registry): void {
  let document: string | null = null
  app.get('/v2api/openapi.json', async (_req, reply) => {
    document ??= JSON.stringify(buildOpenApi(models, { version: VERSION }))
    return reply.type('application/json; charset=UTF-8').send(document)
  })
  const page = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.type('text/html; charset=UTF-8').send(PAGE)
  app.get('/docs', page)
  app.get('/docs/', page)
  let folder: string | null = null
  app.get<{ Params: { file: string } }>('/docs/static/:file', async (req, reply) => {
    const type = Object.hasOwn(ASSETS, req.params.file) ? ASSETS[req.params.file] : undefined
    if (!type) return reply.callNotFound()
    folder ??= path.join(
      path.dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')),
      'static',
    )
    const bytes = await fs.promises.readFile(path.join(folder, req.params.file))
    return reply.type(type).header('cache-control', 'public, max-age=86400').send(bytes)
  })
}
