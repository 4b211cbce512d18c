import crypto from 'node:crypto'

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

  /**
   * At most `max` values weighing at most `maxWeight` bytes in all. A value's weight is what the caller
   * says (a reply's bytes; a small value counts as ENTRY_BYTES) plus its key's: keys come from client
   * input (filters, request bodies), so they are counted, and a long one is kept as its hash.
   */
  constructor(
    private readonly max = 5000,
    private readonly maxWeight = 8 * 1024 * 1024,
  ) {}

  get<T>(version: string, key: string): T | undefined {
    if (version !== this.version) return undefined
    return this.values.get(keyOf(key))?.value as T | undefined
  }

  set(version: string, key: string, value: unknown, weight = ENTRY_BYTES): void {
    if (version !== this.version) {
      this.version = version
      this.values = new Map()
      this.weight = 0
    }
    const k = keyOf(key)
    const total = weight + k.length * 2
    if (total > this.maxWeight / 8) return
    // Bounded: a client sending ever new filters must not grow the process.
    if (this.values.size >= this.max || this.weight + total > this.maxWeight) {
      this.values.clear()
      this.weight = 0
    }
    const before = this.values.get(k)
    if (before) this.weight -= before.weight
    this.values.set(k, { value, weight: total })
    this.weight += total
  }

  /** The kept value of `key`, or `compute()`'s result, kept with the given weight. */
  async through<T>(version: string, key: string, compute: () => Promise<T>, weight?: number): Promise<T> {
    const kept = this.get<T>(version, key)
    if (kept !== undefined) return kept
    const value = await compute()
    this.set(version, key, value, weight)
    return value
  }

  /** Bytes counted now (keys and values), for tests and the soak benchmark. */
  get bytes(): number {
    return this.weight + this.stampedWeight
  }

  /**
   * Values that outlive the data version: each is kept with a stamp of its own, read in the request's
   * snapshot, that changes whenever what the value was computed from changes (engine/tally: the change
   * stamp of a selection, for its page starts). Found again only under an equal stamp. Bounded like the
   * rest, by count and weight.
   */
  private stamped = new Map<string, { stamp: number; value: unknown; weight: number }>()
  private stampedWeight = 0

  getStamped<T>(key: string, stamp: number): T | undefined {
    const kept = this.stamped.get(keyOf(key))
    return kept && kept.stamp === stamp ? (kept.value as T) : undefined
  }

  setStamped(key: string, stamp: number, value: unknown, weight = ENTRY_BYTES): void {
    const k = keyOf(key)
    const total = weight + k.length * 2
    if (total > this.maxWeight / 8) return
    const before = this.stamped.get(k)
    if (before) {
      this.stampedWeight -= before.weight
      this.stamped.delete(k)
    }
    if (this.stamped.size >= this.max || this.stampedWeight + total > this.maxWeight) {
      this.stamped.clear()
      this.stampedWeight = 0
    }
    this.stamped.set(k, { stamp, value, weight: total })
    this.stampedWeight += total
  }
}

/** What a small kept value (a number, a user, a short list) is counted as, with its Map entry. */
const ENTRY_BYTES = 256
/** Keys longer than this are kept as their SHA-256: a 1 MB filter is a 44-character key. */
const MAX_KEY_CHARS = 256

function keyOf(key: string): string {
  if (key.length <= MAX_KEY_CHARS) return key
  return `#${crypto.createHash('sha256').update(key).digest('base64')}`
}

/** A memo and the data version a request read when it began. */
export interface Reading {
  memo: Memo
  version: string
}

/** `compute()`'s result, through the memo when there is a reading. */
export function remembered<T>(
  reading: Reading | null | undefined,
  key: string,
  compute: () => Promise<T>,
  weight?: number,
) {
  return reading ? reading.memo.through(reading.version, key, compute, weight) : compute()
}
