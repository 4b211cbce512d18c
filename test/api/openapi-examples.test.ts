import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Model } from '../../src/engine/model.js'
import { models } from '../../src/models/index.js'
import { suiteServer } from '../helpers/server.js'

/**
 * Every create and update example of the OpenAPI document, sent as a client would send it to a server
 * on a fresh database: the creates first, each after the records its example names, then the updates
 * (which target id 1). Ids in the examples are the ones these creates get, so each must answer 200.
 */
type Json = Record<string, any>

/** References a field kind cannot show: the polymorphic ones and generation, by registry key. */
const ALSO_AFTER: Record<string, string[]> = {
  // `class=Customer&related_id=1` in the query.
  communication: ['customer'],
  // `related_class: Group, related_id: 1`; and its generated lessons must not take lesson id 1.
  'regular-lesson': ['group', 'lesson'],
}

/** The registry keys a model's example needs created first: its references and its scoping record. */
function dependencies(key: string, model: Model): string[] {
  const refs = Object.values(model.fields).flatMap((k) => (k.ref ? [k.ref] : []))
  const scoping = (model.scoping?.params ?? []).flatMap((p) => {
    const target = p.name.replace(/_id$/, '')
    return models.has(target) ? [target] : []
  })
  return [...new Set([...refs, ...scoping, ...(ALSO_AFTER[key] ?? [])])].filter((d) => d !== key)
}

/** Registry keys in an order where each comes after its dependencies (registry order breaks ties). */
function creationOrder(): string[] {
  const done: string[] = []
  const pending = [...models.keys()]
  while (pending.length > 0) {
    const next = pending.find((k) => dependencies(k, models.get(k)!).every((d) => done.includes(d)))
    assert.ok(next, `a cycle among ${pending.join(', ')}`)
    done.push(next)
    pending.splice(pending.indexOf(next), 1)
  }
  return done
}

interface Call {
  key: string
  path: string
  query: URLSearchParams
  example: Json
}

/** The create or update operations of the document, in creation order, with their examples. */
function calls(doc: Json, action: 'create' | 'update'): Call[] {
  const out: Call[] = []
  for (const key of creationOrder()) {
    const template = Object.keys(doc.paths).find(
      (p) => p === `/v2api/{branch}/${key}/${action}` || p === `/v2api/${key}/${action}`,
    )
    if (!template) continue
    const op = doc.paths[template].post
    const example = op.requestBody.content['application/json'].example
    assert.ok(example, `${key}/${action} has no example`)
    const query = new URLSearchParams()
    for (const p of op.parameters as Json[]) {
      // The scoping parameters a create needs, and the id an update names.
      if (p.in === 'query' && p.example !== undefined && (p.required || p.name === 'id'))
        query.set(p.name, String(p.example))
    }
    out.push({ key, path: template.replace('/v2api/', '').replace('{branch}', '1'), query, example })
  }
  return out
}

describe('the request examples of the OpenAPI document', () => {
  const s = suiteServer()
  let doc: Json

  test('are accepted by the server: every create, then every update', async () => {
    doc = (await (await fetch(`${s.url}/v2api/openapi.json`)).json()) as Json
    const creates = calls(doc, 'create')
    const updates = calls(doc, 'update')
    assert.ok(creates.length >= 25 && updates.length === creates.length, `${creates.length} creates`)
    for (const c of [...creates, ...updates]) {
      const q = c.query.toString()
      const r = await s.api(`${c.path}${q ? `?${q}` : ''}`, c.example)
      assert.equal(r.status, 200, `${c.path}?${q}: ${r.text}`)
      assert.equal(r.body.success, true, `${c.path}: ${r.text}`)
    }
  })

  test('conduct the lesson: status 3 with the attendance the update example gives', async () => {
    const r = await s.api('1/lesson/index', { id: 1 })
    assert.equal(r.status, 200)
    const [lesson] = r.body.items
    assert.equal(lesson.status, 3)
    const update = models.get('lesson')!.examples!.update!
    const entry = (update.details as Json[])[0]!
    const detail = lesson.details.find((d: Json) => d.customer_id === entry.customer_id)
    assert.ok(detail, 'the example names a participant')
    assert.equal(detail.is_attend, entry.is_attend)
    assert.equal(detail.grade, entry.grade)
  })
})
