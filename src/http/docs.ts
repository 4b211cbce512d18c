import fastifySwagger, { type StaticDocumentSpec } from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import type { Registry } from '../engine/model.js'
import { buildOpenApi } from '../engine/openapi.js'

const VERSION = '0.1.0'

/**
 * The OpenAPI document at `/v2api/openapi.json` and a Swagger UI page at `/docs`. The document is built
 * once; the static route wins over the `/v2api/*` wildcard because Fastify prefers static routes.
 */
export async function registerDocs(app: FastifyInstance, models: Registry): Promise<void> {
  const document = buildOpenApi(models, { version: VERSION })
  const body = JSON.stringify(document)
  app.get('/v2api/openapi.json', async (_req, reply) =>
    reply.type('application/json; charset=UTF-8').send(body),
  )
  // The plugin's types know OpenAPI 3.0 only; the document is 3.1, which Swagger UI reads as well.
  const specification = { document: document as unknown as StaticDocumentSpec['document'] }
  await app.register(fastifySwagger, { mode: 'static', specification })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })
}
