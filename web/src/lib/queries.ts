import { keepPreviousData, useQuery } from '@tanstack/react-query'
import type { FilterOf, ModelKey, RecordOf } from '../api/client'
import { useSession } from '../app/session'

/**
 * One page of a model's index; the previous page stays on screen while the next one loads. The first
 * render shows the reply the boot script already has for this very read, if any (`api/early.ts`).
 */
export function useList<K extends ModelKey>(model: K, filter: FilterOf<K>, enabled = true) {
  const { api, branch } = useSession()
  return useQuery({
    queryKey: [branch, model, 'index', filter],
    queryFn: () => api.index(model, filter),
    initialData: () => (enabled ? api.earlyIndex(model, filter) : undefined),
    placeholderData: keepPreviousData,
    enabled,
  })
}

/** One record by id (null when it is not visible). */
export function useRecord<K extends ModelKey>(model: K, id: number, filter: FilterOf<K> = {} as FilterOf<K>) {
  const { api, branch } = useSession()
  return useQuery({
    queryKey: [branch, model, 'get', id, filter],
    queryFn: () => api.get(model, id, filter),
  })
}

export interface Dictionary<T> {
  items: T[]
  byId: Map<number, T>
  /** For a Select: `{ value: '3', label: 'Name' }`. */
  options: Array<{ value: string; label: string }>
  isLoading: boolean
}

/**
 * A small reference list (statuses, sources, accounts …), read whole once and kept for 5 minutes. The
 * dictionaries a page asks for together go as one `batch` request (see `V2Api.all`), their further pages
 * as another.
 */
export function useDictionary<K extends ModelKey>(
  model: K,
  filter: FilterOf<K> = {} as FilterOf<K>,
  enabled = true,
): Dictionary<RecordOf<K>> {
  const { api, branch } = useSession()
  const q = useQuery({
    queryKey: [branch, model, 'all', filter],
    queryFn: () => api.all(model, filter, { limit: 2000 }),
    staleTime: 5 * 60_000,
    enabled,
  })
  const items = (q.data ?? []) as RecordOf<K>[]
  const named = items as Array<{ id: number; name?: string }>
  return {
    items,
    byId: new Map(named.map((r) => [r.id, r as RecordOf<K>])),
    options: named.map((r) => ({ value: String(r.id), label: r.name ?? `#${r.id}` })),
    isLoading: q.isLoading,
  }
}
