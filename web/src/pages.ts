/**
 * Each page is its own chunk, loaded on demand. The boot script starts fetching the opened page's chunk
 * at once (with the app's own code beside it); the app wraps these loaders for rendering (`main.tsx`).
 */
export const chunks = {
  customers: () => import('./pages/customers/CustomersPage'),
  card: () => import('./pages/customers/CustomerCard'),
  leads: () => import('./pages/leads/LeadsPage'),
  payments: () => import('./pages/payments/PaymentsPage'),
  dashboard: () => import('./pages/dashboard/DashboardPage'),
  schedule: () => import('./pages/schedule/SchedulePage'),
  lesson: () => import('./pages/schedule/LessonPage'),
  groups: () => import('./pages/groups/GroupsPage'),
  group: () => import('./pages/groups/GroupCard'),
  teachers: () => import('./pages/teachers/TeachersPage'),
  teacher: () => import('./pages/teachers/TeacherCard'),
  settings: () => import('./pages/settings/SettingsPage'),
}

export type ChunkKey = keyof typeof chunks

/** The chunk of the page an address opens (`/customers/12` → the card, `/` → the dashboard). */
export function chunkOf(pathname: string): ChunkKey {
  const [first = '', second] = pathname.split('/').slice(1)
  const card: Record<string, ChunkKey> = {
    customers: 'card',
    groups: 'group',
    teachers: 'teacher',
    lessons: 'lesson',
  }
  const key = (second ? card[first] : undefined) ?? (first in chunks ? (first as ChunkKey) : null)
  return key ?? 'dashboard'
}
