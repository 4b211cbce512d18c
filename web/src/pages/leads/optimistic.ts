import type { QueryClient, QueryKey } from '@tanstack/react-query'
import { type Lead, type LeadPages, leadsKey, type MoveTarget } from './LeadColumn'

/**
 * Shows a card's move on the board before the server answers: out of its column (and its count), into
 * the target column for a stage move; a conversion takes it off the board; a rejection marks it.
 * Returns the undo, which puts every column back as it was.
 */
export function moveOptimistically(queries: QueryClient, branch: number, lead: Lead, target: MoveTarget) {
  const snapshot = queries.getQueriesData<LeadPages>({ queryKey: leadsKey(branch) })
  for (const [key, data] of snapshot) {
    if (!data) continue
    const column = columnOf(key)
    let next = data
    if (target.kind === 'reject') {
      next = mapItems(data, (items) =>
        items.map((l) => (l.id === lead.id ? { ...l, lead_reject_id: target.rejectId } : l)),
      )
    } else {
      if (column === lead.lead_status_id) next = without(next, lead.id)
      if (target.kind === 'stage' && column === target.statusId)
        next = withLead(next, { ...lead, lead_status_id: column })
    }
    if (next !== data) queries.setQueryData(key, next)
  }
  return () => {
    for (const [key, data] of snapshot) queries.setQueryData(key, data)
  }
}

function columnOf(key: QueryKey): number | null {
  const id = key[leadsKey(0).length]
  return typeof id === 'number' ? id : null
}

function mapItems(data: LeadPages, f: (items: Lead[]) => Lead[]): LeadPages {
  return { ...data, pages: data.pages.map((p) => ({ ...p, items: f(p.items) })) }
}

function without(data: LeadPages, id: number): LeadPages {
  if (!data.pages.some((p) => p.items.some((l) => l.id === id))) return data
  const next = mapItems(data, (items) => items.filter((l) => l.id !== id))
  return { ...next, pages: next.pages.map((p) => ({ ...p, total: Math.max(0, p.total - 1) })) }
}

/** The lead at its place in id order within the loaded cards (the column's order), its count one up. */
function withLead(data: LeadPages, lead: Lead): LeadPages {
  const first = data.pages[0]
  if (!first) return data
  const loaded = data.pages.flatMap((p) => p.items)
  const last = loaded[loaded.length - 1]
  const pages = data.pages.map((p) => ({ ...p, total: p.total + 1 }))
  // Beyond the loaded cards: only the count changes; "show more" finds it.
  if (last && lead.id > last.id && loaded.length < first.total) return { ...data, pages }
  const i = pages.findIndex((p) => p.items.some((l) => l.id > lead.id))
  const at = i < 0 ? pages.length - 1 : i
  pages[at] = { ...pages[at]!, items: [...pages[at]!.items, lead].sort((a, b) => a.id - b.id) }
  return { ...data, pages }
}
