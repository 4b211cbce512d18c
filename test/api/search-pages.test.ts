import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { make } from '../helpers/make.js'
import { suiteServer } from '../helpers/server.js'

/**
 * A search not counted yet reads its page and its total in one pass (SQLite: `count(*) OVER ()` on the
 * page, engine/index-action). Whatever page is asked first after a change — the first, a middle one,
 * the last, one past the end — the total and the rows are those of counting and paging separately.
 */
describe('name and phone searches: totals and pages', () => {
  const s = suiteServer({ MAX_PAGE_SIZE: '5' })
  const page = async (body: Record<string, unknown>) => (await s.api('1/customer/index', body)).body

  test('every page asked first after a write has the true total and its rows', async () => {
    const ids: number[] = []
    for (let i = 0; i < 12; i++) {
      const c = await make.customer(s, { name: `Щукина Поиска ${i}`, phone: [`+7 (911) 555-44-${10 + i}`] })
      ids.push(c.id)
    }
    await make.customer(s, { name: 'Щукина Архивная', removed: 1, phone: ['+7 (911) 555-44-99'] })
    for (const search of [{ name: 'щукина поиска' }, { name: 'ЩУКИНА' }, { phone: '555-44' }]) {
      for (const first of [0, 1, 2, 3, 7]) {
        // A write first: nothing counted is kept, so `first` is the search's first request.
        await s.api(`1/customer/update?id=${ids[0]}`, { note: `n${first}` })
        const got = await page({ ...search, page: first })
        assert.equal(got.total, 12, `${JSON.stringify(search)} page ${first}`)
        const expected = ids.slice(first * 5, first * 5 + 5)
        assert.deepEqual(
          got.items.map((c: { id: number }) => c.id),
          expected,
        )
        assert.equal(got.count, expected.length)
        // The other pages, now with the total kept, agree.
        const seen: number[] = []
        for (let p = 0; p < 3; p++) {
          const r = await page({ ...search, page: p })
          assert.equal(r.total, 12)
          seen.push(...r.items.map((c: { id: number }) => c.id))
        }
        assert.deepEqual(seen, ids)
      }
    }
    await s.api(`1/customer/update?id=${ids[0]}`, { note: 'x' })
    const none = await page({ name: 'нетакогоимени' })
    assert.deepEqual([none.total, none.count, none.items], [0, 0, []])
    const archived = await page({ name: 'щукина', removed: 2 })
    assert.equal(archived.total, 1)
  })
})
