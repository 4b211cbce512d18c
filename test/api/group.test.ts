import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { nowParts } from '../../src/wire/dates.js'
import { make } from '../helpers/make.js'
import { type Server, startServer } from '../helpers/server.js'

/** §7.4, §6.9, §2.4: groups, their archive, and who may change lessons. */
describe('groups', () => {
  let s: Server
  const ok = async (path: string, body: unknown = {}, token?: string) => {
    const r = token ? await s.call(path, body, { token }) : await s.api(path, body)
    assert.equal(r.status, 200, `${path}: ${r.text}`)
    return r.body
  }
  before(async () => {
    s = await startServer()
  })
  after(() => s.close())

  test('§8.40: an end not after the start is «Некорректный период»; unknown keys are ignored (§8.42)', async () => {
    const r = await s.api('1/group/create', { name: 'B1', b_date: '01.09.2025', e_date: '01.09.2025' })
    assert.equal(r.status, 422)
    assert.deepEqual(r.body.errors, { e_date: ['Некорректный период'] })
    const fine = await ok('1/group/create', {
      name: 'B1',
      b_date: '2025-09-01',
      e_date: '02.09.2025',
      lesson_type_id: 2,
      subject_ids: [1],
      is_public: 1,
    })
    assert.deepEqual(
      [fine.model.b_date, fine.model.e_date, fine.model.limit],
      ['01.09.2025', '02.09.2025', 0],
    )
  })

  test('§8.48: update with removed 1 archives (logged as an update); a past end date is kept', async () => {
    const g = await ok('1/group/create', { name: 'Past', b_date: '01.01.2024', e_date: '31.05.2024' })
    const r = await ok(`1/group/update?id=${g.model.id}`, { removed: 1 })
    assert.deepEqual([r.model.removed, r.model.e_date], [1, '31.05.2024'])
    assert.equal((await ok('1/group/index', { id: g.model.id })).total, 0)
    assert.equal((await ok('1/group/index', { id: g.model.id, removed: 2 })).total, 1)
    const log = await ok('1/log/index', { entity: 'Group', entity_id: g.model.id })
    assert.deepEqual(
      log.items.map((i: any) => i.event),
      [2, 1],
    )
    const restored = await ok(`1/group/restore?id=${g.model.id}`)
    assert.deepEqual([restored.model.removed, restored.model.e_date], [0, '31.05.2024'])
  })

  test('delete archives a running group with today as its end and restore puts the course end back', async () => {
    const g = await ok('1/group/create', { name: 'Running', b_date: '01.09.2025', e_date: '31.05.2099' })
    await ok(`1/group/delete?id=${g.model.id}`)
    const archived = (await ok('1/group/index', { id: g.model.id, removed: 2 })).items[0]
    const today = nowParts('Europe/Moscow').date.split('-').reverse().join('.')
    assert.deepEqual([archived.removed, archived.e_date], [1, today])
    const back = await ok(`1/group/restore?id=${g.model.id}`)
    assert.equal(back.model.e_date, '31.05.2099')
  })

  test('customer_name finds groups by the names of their current members', async () => {
    const g = await ok('1/group/create', { name: 'Членство' })
    const c = await make.customer(s, { name: 'Ёжикова Алла' })
    await ok(`1/cgi/create?customer_id=${c.id}&group_id=${g.model.id}`, { b_date: '01.01.2020' })
    const found = await ok('1/group/index', { customer_name: 'ЁЖИК' })
    assert.deepEqual(
      found.items.map((i: any) => i.id),
      [g.model.id],
    )
  })

  test('§2.4: a teacher may conduct and mark attendance but not move a lesson; readonly may not write', async () => {
    const subject = (await ok('1/subject/create', { name: 'Математика' })).model.id
    const c = await make.customer(s)
    const lesson = await ok('1/lesson/create', {
      date: '2025-09-15',
      time_from: '10:00',
      duration: 45,
      subject_id: subject,
      lesson_type_id: 1,
      customer_ids: [c.id],
    })
    const id = lesson.model.id
    const t = await make.user(s, { role: 'teacher' })
    const r = await ok(
      `1/lesson/update?id=${id}`,
      {
        status: 3,
        topic: 'Дроби',
        time_from: '10:00',
        details: [{ customer_id: c.id, is_attend: 1 }],
      },
      t.token,
    )
    assert.equal(r.model.status, 3)
    const moved = await s.call(`1/lesson/update?id=${id}`, { time_from: '11:00' }, { token: t.token })
    assert.equal(moved.status, 403)
    const created = await s.call('1/lesson/create', { date: '2025-09-15' }, { token: t.token })
    assert.equal(created.status, 403)
    const ro = await make.user(s, { role: 'readonly' })
    assert.equal((await s.call(`1/lesson/update?id=${id}`, { topic: 'x' }, { token: ro.token })).status, 403)
    assert.equal((await s.call('1/lesson/index', {}, { token: ro.token })).status, 200)
  })

  test('§6.9: rooms, subjects and lesson types used by lessons or slots cannot be deleted', async () => {
    const subject = (await ok('1/subject/create', { name: 'Химия' })).model.id
    const room = (await ok('1/room/create', { name: 'Лаб.' })).model.id
    const type = (await ok('1/lesson-type/create', { name: 'Практикум' })).model.id
    const g = await ok('1/group/create', { name: 'Химики' })
    await ok('1/regular-lesson/create', {
      related_class: 'Group',
      related_id: g.model.id,
      subject_id: subject,
      lesson_type_id: type,
      room_id: room,
      days: [2],
      time_from_v: '10:00',
      time_to_v: '11:00',
      b_date_v: '01.09.2025',
      e_date_v: '30.09.2025',
    })
    const refused = (slug: string, id: number) => s.api(`1/${slug}/delete?id=${id}`)
    const msg = (slug: string) => `Невозможно удалить запись: на неё ссылаются записи «${slug}».`
    assert.deepEqual((await refused('room', room)).body.errors, {
      id: [msg('lesson'), msg('regular-lesson')],
    })
    assert.deepEqual((await refused('subject', subject)).body.errors, {
      id: [msg('lesson'), msg('regular-lesson')],
    })
    assert.deepEqual((await refused('lesson-type', type)).body.errors, {
      id: [msg('lesson'), msg('regular-lesson')],
    })
  })
})
