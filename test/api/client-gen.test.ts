import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { generateClient } from '../../src/engine/client-gen.js'
import { models } from '../../src/models/index.js'

/**
 * The typed client's model module is generated from the declarations and committed (the app and the
 * tests compile without a generation step): it must be exactly what the declarations give today.
 */
test('web/src/api/models.gen.ts is generated from the current model declarations', () => {
  const file = new URL('../../../web/src/api/models.gen.ts', import.meta.url)
  const committed = fs.readFileSync(file, 'utf8')
  assert.ok(
    committed === generateClient(models),
    'models.gen.ts is out of date with src/models: run `npm run gen:client` and commit the result',
  )
})

test('every model has its record, input and filter types, labels and enum values', () => {
  const text = generateClient(models)
  for (const key of models.keys())
    assert.match(text, new RegExp(`  ${JSON.stringify(key).replace(/^"(.*)"$/, '"?$1"?')}: \\{ record: `))
  assert.match(text, /export interface Customer \{[^}]*\n {2}name: string\n/)
  assert.match(text, /"is_study":\[0,1\]/)
  assert.match(text, /"name":"Имя"/)
  assert.match(text, /export interface CustomerFilter extends Paging \{[^}]*\n {2}phone\?: string\n/)
  // The writable fields' kinds, for generated forms: a reference, a required text, a create-only choice.
  assert.match(text, /\n {2}room: \{[^\n]*"location_id":\{"type":"ref\(location\)","nullable":true/)
  assert.match(text, /\n {2}"lead-source": \{[^\n]*"name":\{"type":"string\(50\)","required":true/)
  assert.match(
    text,
    /\n {2}"custom-field": \{"model":\{"type":"enum\{[^}]*\}","required":true,"createOnly":true/,
  )
})
