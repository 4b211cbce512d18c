/**
 * Values read from the database, kept while its data version (`Db.version()`) stays the same: the
 * user of a token, a user's branches, a model's custom fields, the total of a filter, where a page
 * starts. Any committed change by any process gives a new version, and the first request that reads it
 * drops everything kept; so a value is never served for data other than the data it was read from.
 *
 * The rule that makes it exact: read the version first, then compute, then keep the value under the
 * version read before. A change committed in between makes the value newer than its version, never
 * older, and the version after that change differs, so nobody finds the value again.
 */
export class Memo {
  private version: string | null = null
  private values = new Map<string, { value: unknown; weight: number }>()
  private weight = 0

  /** At most `max` values weighing at most `maxWeight` in all (bytes, for kept replies). */
  constructor(
    private readonly max = 5000,
    private readonly maxWeight = Number.POSITIVE_INFINITY,
  ) {}

  get<T>(version: string, key: string): T | undefined {
    if (version !== this.version) return undefined
    return this.values.get(key)?.value as T | undefined
  }

  set(version: string, key: string, value: unknown, weight = 1): void {
    if (version !== this.version) {
      this.version = version
      this.values = new Map()
      this.weight = 0
    }
    if (weight > this.maxWeight / 8) return
    // Bounded: a client sending ever new filters must not grow the process.
    if (this.values.size >= this.max || this.weight + weight > this.maxWeight) {
      this.values.clear()
      this.weight = 0
    }
    this.values.set(key, { value, weight })
    this.weight += weight
  }

  /** The kept value of `key`, or `compute()`'s result, kept. */
  async through<T>(version: string, key: string, compute: () => Promise<T>): Promise<T> {
    const kept = this.get<T>(version, key)
    if (kept !== undefined) return kept
    const value = await compute()
    this.set(version, key, value)
    return value
  }
}

/** A memo and the data version a request read when it began. */
export interface Reading {
  memo: Memo
  version: string
}

/** `compute()`'s result, through the memo when there is a reading. */
export function remembered<T>(reading: Reading | null | undefined, key: string, compute: () => Promise<T>) {
  return reading ? reading.memo.through(reading.version, key, compute) : compute()
}
