import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { attempt, idsOf, make, tag } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'
import { strict, wire } from '../helpers/wire.js'

/**
 * §5.10 and §7.29: custom fields declared per model appear on its records as flat `custom_<code>` keys,
 * after the model's own keys in `weight` order, are validated and formatted by their type, filter by
 * the custom kind, and go with their values when the declaration is deleted.
 */

/** The last keys of a customer in wire order (§3.1). */
const CUSTOMER_LAST_KEY = 'color'

const customKeys = (m: Record<string, unknown>) => {
  const keys = Object.keys(m)
  return keys.slice(keys.indexOf(CUSTOMER_LAST_KEY) + 1)
}

describe('custom fields on records (§5.10)', () => {
  let early: Record<string, any>
  const s = suiteServer({}, async () => {
    // A customer made before any declaration gets the keys too.
    early = await make.customer(s, { name: 'Ранний клиент' })
    const declare = (code: string, type: string, weight: number, extra: Record<string, unknown> = {}) =>
      make.customField(s, { code, type, weight, label: `Поле ${code}`, ...extra })
    // Declared out of weight order, so id order and output order differ.
    await declare('note2', 'text', 20)
    await declare('nick', 'string', 10)
    await declare('grade', 'int', 30)
    await declare('score', 'number', 40)
    await declare('visit', 'date', 50)
    await declare('vip', 'bool', 60)
    await declare('level', 'select', 70, { options: ['A1', 'A2', 'B1'] })
    await declare('tags', 'multiselect', 80, { options: ['утро', 'вечер', 'онлайн'] })
    await declare('zero', 'string', 10)
    await make.customField(s, { model: 'group', code: 'room_pref', type: 'string' })
  })

  const ORDER = [
    'custom_nick',
    'custom_zero',
    'custom_note2',
    'custom_grade',
    'custom_score',
    'custom_visit',
    'custom_vip',
    'custom_level',
    'custom_tags',
  ]

  test('every declared field is present as null ([] for multiselect), after the model’s keys, by weight then id', async () => {
    const c = await make.customer(s)
    assert.deepEqual(customKeys(c), ORDER)
    for (const key of ORDER) assert.deepEqual(c[key], key === 'custom_tags' ? [] : null, key)
    const listed = await s.api('1/customer/index', { id: early.id })
    assert.deepEqual(customKeys(listed.body.items[0]), ORDER, 'also on a record older than the declarations')
    assert.ok(!('custom_room_pref' in listed.body.items[0]), 'fields of other models are not shown')
  })

  test('each type parses and formats its values', async () => {
    const c = await make.customer(s, {
      custom_nick: '  Петя  ',
      custom_note2: 'Длинный\nтекст',
      custom_grade: '12',
      custom_score: '4,5',
      custom_visit: '2025-09-01',
      custom_vip: true,
      custom_level: 'A2',
      custom_tags: ['вечер', 'утро'],
    })
    assert.equal(c.custom_nick, 'Петя')
    assert.equal(c.custom_note2, 'Длинный\nтекст')
    assert.equal(c.custom_grade, 12)
    assert.equal(c.custom_score, 4.5)
    assert.equal(c.custom_visit, '01.09.2025')
    assert.equal(c.custom_vip, 1)
    assert.equal(c.custom_level, 'A2')
    assert.deepEqual(c.custom_tags, ['вечер', 'утро'])
    const listed = (await s.api('1/customer/index', { id: c.id })).body.items[0]
    for (const key of ORDER) assert.deepEqual(listed[key], c[key], key)
    const other = await make.customer(s, {
      custom_visit: '04.03.2012',
      custom_vip: '0',
      custom_tags: 'онлайн',
      custom_grade: 7.0,
    })
    assert.equal(other.custom_visit, '04.03.2012')
    assert.equal(other.custom_vip, 0)
    assert.deepEqual(other.custom_tags, ['онлайн'])
    const stamped = await make.customer(s, { custom_visit: '2025-09-01 18:30:00' })
    assert.equal(stamped.custom_visit, '01.09.2025', 'a datetime given to a date drops its time (§5.4)')
    assert.equal(other.custom_grade, 7)
  })

  test('each type rejects a bad value with the field’s label, all at once, after the model’s errors', async () => {
    const r = await attempt.customer(s, {
      name: '',
      custom_nick: 'я'.repeat(256),
      custom_note2: 'я'.repeat(10001),
      custom_grade: '1.5',
      custom_score: 'много',
      custom_visit: '31.02.2025',
      custom_vip: 'да',
      custom_level: 'C2',
      custom_tags: ['утро', 'ночь'],
    })
    assert.equal(r.status, 422, r.text)
    assert.deepEqual(
      r.body,
      wire.invalid({
        name: ['Необходимо заполнить «Имя».'],
        custom_nick: ['Значение «Поле nick» должно содержать максимум 255 символов.'],
        custom_note2: ['Значение «Поле note2» должно содержать максимум 10000 символов.'],
        custom_grade: ['Значение «Поле grade» должно быть целым числом.'],
        custom_score: ['Значение «Поле score» должно быть числом.'],
        custom_visit: ['Неверный формат значения «Поле visit».'],
        custom_vip: ['Значение «Поле vip» должно быть равно «1» или «0».'],
        custom_level: ['Значение «Поле level» неверно.'],
        custom_tags: ['Значение «Поле tags» неверно.'],
      }),
    )
  })

  test('a select or multiselect value that differs from an option only in case is refused', async () => {
    for (const body of [{ custom_tags: ['Утро'] }, { custom_level: 'a2' }]) {
      const r = await attempt.customer(s, { name: 'X', ...body })
      assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`)
    }
  })

  test('the limits themselves are accepted: 255 and 10000 characters', async () => {
    const c = await make.customer(s, { custom_nick: 'я'.repeat(255), custom_note2: 'я'.repeat(10000) })
    assert.equal(c.custom_nick.length, 255)
    assert.equal(c.custom_note2.length, 10000)
  })

  test('update changes one custom value, keeps the others, and null or [] clears', async () => {
    const c = await make.customer(s, { custom_nick: 'Петя', custom_grade: 5, custom_tags: ['утро'] })
    const r = await s.api(`1/customer/update?id=${c.id}`, { custom_grade: 6 })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual([r.body.model.custom_nick, r.body.model.custom_grade], ['Петя', 6])
    const cleared = await s.api(`1/customer/update?id=${c.id}`, { custom_nick: null, custom_tags: [] })
    assert.equal(cleared.body.model.custom_nick, null)
    assert.deepEqual(cleared.body.model.custom_tags, [])
    assert.equal(cleared.body.model.custom_grade, 6)
  })

  test('custom values are logged like fields', async () => {
    const c = await make.customer(s, { custom_grade: 5 })
    await s.api(`1/customer/update?id=${c.id}`, { custom_grade: 6, custom_visit: '15.09.2025' })
    const rows = (await s.api('1/log/index', { entity: 'Customer', entity_id: c.id })).body.items
    assert.equal(rows[1].fields_new.custom_grade, 5)
    assert.deepEqual(rows[0].fields_old, { custom_grade: 5, custom_visit: null })
    assert.deepEqual(rows[0].fields_new, { custom_grade: 6, custom_visit: '15.09.2025' })
  })

  test('custom_<code> filters exactly, by the field’s type', async () => {
    const a = await make.customer(s, {
      custom_level: 'A1',
      custom_grade: 3,
      custom_vip: 1,
      custom_visit: '01.10.2025',
    })
    const b = await make.customer(s, { custom_level: 'B1', custom_grade: 30, custom_vip: 0 })
    const among = async (filter: Record<string, unknown>) =>
      idsOf(await s.api('1/customer/index', { ...filter, id: [a.id, b.id] }))
    assert.deepEqual(await among({ custom_level: 'A1' }), [a.id])
    assert.deepEqual(await among({ custom_grade: 3 }), [a.id])
    assert.deepEqual(await among({ custom_grade: '30' }), [b.id])
    assert.deepEqual(await among({ custom_vip: 0 }), [b.id])
    assert.deepEqual(await among({ custom_vip: true }), [a.id])
    assert.deepEqual(await among({ custom_visit: '2025-10-01' }), [a.id])
    const partial = await s.api('1/customer/index', { custom_level: 'A', id: [a.id, b.id] })
    assert.equal(partial.status, 200, `exact, not substring; a string is a valid value: ${partial.text}`)
    assert.deepEqual(idsOf(partial), [])
    assert.deepEqual(await among({ custom_level: '' }), [a.id, b.id], 'an empty value is no filter')
  })

  test('an exact custom filter given an array matches any element (§4.5)', async () => {
    const a = await make.customer(s, { custom_level: 'A1' })
    const b = await make.customer(s, { custom_level: 'A2' })
    const c = await make.customer(s, { custom_level: 'B1' })
    const r = await s.api('1/customer/index', { custom_level: ['A1', 'B1'], id: [a.id, b.id, c.id] })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(idsOf(r), [a.id, c.id])
  })

  test('a multiselect filter matches records whose list contains the value', async () => {
    const a = await make.customer(s, { custom_tags: ['утро', 'вечер'] })
    const b = await make.customer(s, { custom_tags: ['вечер'] })
    const c = await make.customer(s, {})
    const among = async (value: unknown) =>
      idsOf(await s.api('1/customer/index', { custom_tags: value, id: [a.id, b.id, c.id] }))
    assert.deepEqual(await among('вечер'), [a.id, b.id])
    assert.deepEqual(await among('утро'), [a.id])
    assert.deepEqual(await among('онлайн'), [])
    assert.deepEqual(await among('веч'), [], 'an element, not a substring')
  })

  test('a multiselect filter given an array matches records containing any of the values (§4.5)', async () => {
    const a = await make.customer(s, { custom_tags: ['утро'] })
    const b = await make.customer(s, { custom_tags: ['онлайн'] })
    const c = await make.customer(s, { custom_tags: ['вечер'] })
    const r = await s.api('1/customer/index', { custom_tags: ['утро', 'онлайн'], id: [a.id, b.id, c.id] })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(idsOf(r), [a.id, b.id])
  })

  test('a custom filter value of the wrong type is a 400 naming the key', async () => {
    const r = await s.api('1/customer/index', { custom_grade: 'abc' })
    assert.equal(r.status, 400)
    assert.deepEqual(r.body, wire.badParam('custom_grade'))
    const d = await s.api('1/customer/index', { custom_visit: '32.13.2025' })
    assert.deepEqual(d.body, wire.badParam('custom_visit'))
  })

  test('an undeclared custom_x is ignored; in strict mode it is a 422', async () => {
    const c = await make.customer(s, { custom_undeclared: 'x', custom_room_pref: 'y' })
    assert.ok(!('custom_undeclared' in c))
    assert.ok(!('custom_room_pref' in c))
    const idx = await s.api('1/customer/index', { custom_undeclared: 'x', id: c.id })
    assert.equal(idx.body.total, 1, 'an undeclared filter is ignored')
    const strictCreate = await attempt.customer(
      s,
      { name: 'Строгий', custom_nick: 'ok', custom_undeclared: 'x' },
      strict,
    )
    assert.equal(strictCreate.status, 422, strictCreate.text)
    assert.deepEqual(strictCreate.body, wire.invalid({ custom_undeclared: ['Неизвестное поле.'] }))
    const strictIndex = await s.api('1/customer/index', { custom_undeclared: 'x' }, strict)
    assert.equal(strictIndex.status, 400)
    assert.deepEqual(strictIndex.body, wire.unknownParam('custom_undeclared'))
    const declaredFilter = await s.api('1/customer/index', { custom_nick: 'ok' }, strict)
    assert.equal(declaredFilter.status, 200)
    const declared = await s.api(`1/customer/update?id=${c.id}`, { custom_nick: 'ok' }, strict)
    assert.equal(declared.status, 200, 'a declared custom key is known in strict mode')
  })
})

describe('custom-field declarations (§7.29)', () => {
  const s = suiteServer()

  test('the code must match ^[a-z][a-z0-9_]*$', async () => {
    for (const code of ['Level', '1level', 'my-level', 'уровень', '_x', 'a b']) {
      const r = await attempt.customField(s, { code, label: 'Уровень' })
      assert.equal(r.status, 422, `${code}: ${r.text}`)
      assert.deepEqual(r.body, wire.invalid({ code: ['Значение «Код» неверно.'] }), code)
    }
    for (const code of ['a', 'level_2', 'x9']) {
      const r = await attempt.customField(s, { code, label: 'Уровень' })
      assert.equal(r.status, 200, `${code}: ${r.text}`)
    }
  })

  test('the code is unique per model: taken for the same model, free for another', async () => {
    await make.customField(s, { code: 'source' })
    const r = await attempt.customField(s, { code: 'source', label: 'Ещё', type: 'int' })
    assert.deepEqual(r.body, wire.invalid({ code: ['Значение «source» для «Код» уже занято.'] }))
    const other = await attempt.customField(s, { model: 'group', code: 'source', label: 'Источник' })
    assert.equal(other.status, 200, other.text)
    assert.equal(other.body.model.model, 'group')
  })

  test('model and type must be among the listed values', async () => {
    const r = await s.api('custom-field/create', { model: 'room', code: 'x1', label: 'X', type: 'json' })
    assert.deepEqual(
      r.body,
      wire.invalid({ model: ['Значение «Модель» неверно.'], type: ['Значение «Тип» неверно.'] }),
    )
  })

  test('select and multiselect need at least one option; other types store []', async () => {
    for (const type of ['select', 'multiselect']) {
      for (const options of [undefined, [], null, ['']]) {
        const body: Record<string, unknown> = { model: 'customer', code: `c_${tag()}`, label: 'Выбор', type }
        if (options !== undefined) body.options = options
        const r = await s.api('custom-field/create', body)
        assert.equal(r.status, 422, `${type} ${JSON.stringify(options)}: ${r.text}`)
        assert.deepEqual(r.body, wire.invalid({ options: ['Необходимо заполнить «Варианты».'] }))
      }
      const ok = await make.customField(s, { type, options: ['да', 'нет'] })
      assert.deepEqual(ok.options, ['да', 'нет'])
      const emptied = await s.api(`custom-field/update?id=${ok.id}`, { options: [] })
      assert.deepEqual(emptied.body, wire.invalid({ options: ['Необходимо заполнить «Варианты».'] }))
    }
    const plain = await make.customField(s, { type: 'string', options: ['лишнее'] })
    assert.deepEqual(plain.options, [])
  })

  test('model, code and type are read-only after create: an update sending them changes nothing', async () => {
    const f = await make.customField(s, { code: 'fixed', type: 'int', label: 'Было' })
    const r = await s.api(`custom-field/update?id=${f.id}`, { model: 'group', code: 'moved', type: 'string' })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual([r.body.model.model, r.body.model.code, r.body.model.type], ['customer', 'fixed', 'int'])
    const log = await s.api('1/log/index', { entity: 'CustomField', entity_id: f.id })
    assert.deepEqual(
      log.body.items.map((i: { event: number }) => i.event),
      [1],
      'nothing changed, nothing logged',
    )
    const relabel = await s.api(`custom-field/update?id=${f.id}`, { label: 'Стало', code: 'moved' })
    assert.deepEqual([relabel.body.model.label, relabel.body.model.code], ['Стало', 'fixed'])
    const c = await make.customer(s, { custom_fixed: '5' })
    assert.equal(c.custom_fixed, 5, 'still an int field under its old code')
    assert.ok(!('custom_moved' in c))
  })

  test('new options keep stored values outside them', async () => {
    const f = await make.customField(s, { code: 'shift', type: 'select', options: ['утро', 'вечер'] })
    const c = await make.customer(s, { custom_shift: 'вечер' })
    await s.api(`custom-field/update?id=${f.id}`, { options: ['утро', 'день'] })
    const stored = (await s.api('1/customer/index', { id: c.id })).body.items[0]
    assert.equal(stored.custom_shift, 'вечер')
    const found = await s.api('1/customer/index', { custom_shift: 'вечер', id: c.id })
    assert.equal(found.status, 200, `a kept value can still be filtered by: ${found.text}`)
    assert.deepEqual(idsOf(found), [c.id])
    const r = await s.api(`1/customer/update?id=${c.id}`, { custom_shift: 'вечер' })
    assert.equal(r.status, 422, 'a value outside the options cannot be written anew')
    const ok = await s.api(`1/customer/update?id=${c.id}`, { custom_shift: 'день' })
    assert.equal(ok.body.model.custom_shift, 'день')
  })

  test('the label is used in messages and weight decides the order of the keys', async () => {
    const a = await make.customField(s, { code: 'w_late', label: 'Поздний', type: 'int', weight: 100 })
    await make.customField(s, { code: 'w_early', label: 'Ранний', type: 'int', weight: -5 })
    const c = await make.customer(s)
    const keys = customKeys(c)
    assert.ok(keys.indexOf('custom_w_early') < keys.indexOf('custom_w_late'))
    await s.api(`custom-field/update?id=${a.id}`, { weight: -10 })
    const again = customKeys((await s.api('1/customer/index', { id: c.id })).body.items[0])
    assert.ok(again.indexOf('custom_w_late') < again.indexOf('custom_w_early'))
    const bad = await attempt.customer(s, { name: 'X', custom_w_early: 'x' })
    assert.deepEqual(bad.body.errors, { custom_w_early: ['Значение «Ранний» должно быть целым числом.'] })
  })

  test('deleting a custom field deletes its values', async () => {
    const f = await make.customField(s, { code: 'temp', type: 'string' })
    const c = await make.customer(s, { custom_temp: 'значение' })
    assert.equal(c.custom_temp, 'значение')
    const d = await s.api(`custom-field/delete?id=${f.id}`)
    assert.deepEqual(d.body, wire.deleted)
    const listed = (await s.api('1/customer/index', { id: c.id })).body.items[0]
    assert.ok(!('custom_temp' in listed))
    const rows = await s.db.kysely
      .selectFrom('custom_values')
      .select('record_id')
      .where('field_id', '=', f.id)
      .execute()
    assert.deepEqual(rows, [], 'no value row is left behind')
    await make.customField(s, { code: 'temp', type: 'string' })
    const back = (await s.api('1/customer/index', { id: c.id })).body.items[0]
    assert.equal(back.custom_temp, null, 'a new field of the same code starts empty')
  })

  test('index lists by model, then weight, then id, and filters by model and code', async () => {
    const r = await s.api('custom-field/index', { 'per-page': 50 })
    const items = r.body.items as Array<{ id: number; model: string; weight: number; code: string }>
    const sorted = [...items].sort(
      (x, y) => x.model.localeCompare(y.model) || x.weight - y.weight || x.id - y.id,
    )
    assert.deepEqual(
      items.map((i) => i.id),
      sorted.map((i) => i.id),
    )
    const groups = await s.api('custom-field/index', { model: 'group' })
    assert.ok(groups.body.items.every((i: { model: string }) => i.model === 'group'))
    const byCode = await s.api('custom-field/index', { code: 'source' })
    assert.equal(byCode.body.total, 2)
  })
})
