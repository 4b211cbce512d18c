import { dmy, type Facts } from './fixtures.js'

/**
 * The routes of issue 5, each a POST with a JSON body. `next(i)` gives the i-th request of a route
 * whose requests differ (a new pay for another customer, another lesson to conduct); the others send
 * the same request every time.
 */
export interface Route {
  name: string
  path: string
  body: string
  /** Writes change the data; they run after the reads. */
  write?: boolean
  next?: (i: number) => { path: string; body: string }
  /** Concurrent connections, when not the run's: 1 measures the latency of one request alone. */
  connections?: number
}

export interface RouteInput {
  facts: Facts
  admin: { email: string; api_key: string }
  /** Customers that `customer/index` shows with default filters in branch 1. */
  total: number
  /** Cyrillic substring of names. */
  name: string
}

export const DEEP_PAGE = 10_000

export function routes(r: RouteInput): Route[] {
  const f = r.facts
  const json = (v: unknown) => JSON.stringify(v)
  const lastPage = Math.max(0, Math.ceil(r.total / 50) - 1)
  const { lessons, groups } = f.conduct
  // Lesson k is of group k mod groups.length; nine in ten attend.
  const attend = (i: number) =>
    groups[(i % lessons.length) % groups.length]!.map((c, k) => ({
      customer_id: c,
      is_attend: (i + k) % 10 < 9 ? 1 : 0,
    }))
  // Request i conducts lesson `first + i` of the pool (bench/fixtures); the two conduct routes take
  // halves of it, so neither re-conducts the other's lessons.
  const conduct = (name: string, first: number): Route => ({
    name,
    path: '/v2api/1/lesson/update',
    write: true,
    body: '',
    next: (i) => ({
      path: `/v2api/1/lesson/update?id=${lessons[(first + i) % lessons.length]}`,
      body: json({ status: 3, topic: 'Бенчмарк', details: attend(first + i) }),
    }),
  })
  return [
    { name: 'login', path: '/v2api/auth/login', body: json(r.admin) },
    { name: 'customer/index', path: '/v2api/1/customer/index', body: json({}) },
    // The same page, each request different (an ignored query parameter), so no reply is reused: what
    // a request costs when the reply memo (http/dispatch) cannot answer it.
    {
      name: 'customer/index, no reply memo',
      path: '/v2api/1/customer/index',
      body: json({}),
      next: (i) => ({ path: `/v2api/1/customer/index?request=${i}`, body: json({}) }),
    },
    { name: 'customer/index name', path: '/v2api/1/customer/index', body: json({ name: r.name }) },
    { name: 'customer/index phone', path: '/v2api/1/customer/index', body: json({ phone: f.phonePart }) },
    { name: 'customer/index is_study=2', path: '/v2api/1/customer/index', body: json({ is_study: 2 }) },
    {
      name: `customer/index page ${Math.min(DEEP_PAGE, lastPage)}`,
      path: '/v2api/1/customer/index',
      body: json({ page: Math.min(DEEP_PAGE, lastPage) }),
    },
    {
      name: 'lesson/index week',
      path: '/v2api/1/lesson/index',
      body: json({ date_from: dmy(f.week[0]), date_to: dmy(f.week[1]) }),
    },
    {
      name: 'calendar/teacher month',
      path: '/v2api/1/calendar/teacher',
      body: json({ id: f.teacherId, date1: dmy(f.month[0]), date2: dmy(f.month[1]) }),
    },
    {
      name: 'log/index customer',
      path: '/v2api/1/log/index',
      body: json({ entity: 'Customer', entity_id: f.logCustomerId }),
    },
    {
      name: 'customer/create',
      path: '/v2api/1/customer/create',
      write: true,
      body: json({
        name: 'Бенчмарков Тест Тестович',
        is_study: 0,
        legal_type: 1,
        phone: ['+7 (900) 000-00-00'],
      }),
    },
    {
      name: 'pay/create',
      path: '/v2api/1/pay/create',
      write: true,
      body: '',
      next: (i) => ({
        path: '/v2api/1/pay/create',
        body: json({
          pay_type_id: 1,
          customer_id: f.payCustomers[i % f.payCustomers.length],
          pay_account_id: f.payAccountId,
          income: '1500.00',
          document_date: dmy(f.today),
        }),
      }),
    },
    conduct('lesson conduct (20)', 0),
    // The target of issue 5 is a latency: one conduct at a time, nothing queued before it.
    { ...conduct('lesson conduct (20) alone', Math.floor(lessons.length / 2)), connections: 1 },
  ]
}
