import { isObject } from './json.js';

/**
 * A resource a reader could not read, or one of another patient (docs/clinical-rules.md §7): it is
 * skipped, counted, and named by type and id — never by content — in one warning log line per call. Real
 * EHRs send shapes no fixture has; one odd resource must never cost the patient every card (no 5xx for a
 * shape).
 */
export interface SkippedResource {
  resourceType: string;
  id: string;
  /** Which reader gave up, e.g. `observation`, `condition`; no data values. */
  reader: string;
  /** Why, in the reader's own fixed words (`no readable code`), when it says; never data values. */
  reason?: string;
}

/**
 * Thrown by a reader for a resource of its type that it cannot read (not one that is merely irrelevant):
 * `readEach` records it with the reason. Its words are the reader's, never the resource's content.
 */
export class UnreadableResource extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnreadableResource';
  }
}

/** How many skipped resources are named one by one in the log line; the rest are counted (any client can send 30,000). */
export const MAX_NAMED_SKIPPED = 20;

/** Collects skipped resources over one hook call: the first MAX_NAMED_SKIPPED named, every one counted. */
export class SkippedResources {
  /** The first MAX_NAMED_SKIPPED skipped resources, in the order they were met. */
  readonly items: SkippedResource[] = [];
  /** Every skipped resource, counted by `reader` or `reader: reason` (fixed words: a bounded set of keys). */
  readonly counts = new Map<string, number>();
  private total = 0;
  private readonly byReader = new Map<string, number>();

  /** How many were skipped in all. */
  get count(): number {
    return this.total;
  }

  /** How many one reader skipped. */
  countOf(reader: string): number {
    return this.byReader.get(reader) ?? 0;
  }

  add(resource: unknown, reader: string, reason?: string): void {
    this.total++;
    this.byReader.set(reader, (this.byReader.get(reader) ?? 0) + 1);
    const key = reason === undefined ? reader : `${reader}: ${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.items.length >= MAX_NAMED_SKIPPED) return;
    const r = isObject(resource) ? resource : {};
    const item: SkippedResource = {
      resourceType: typeof r.resourceType === 'string' ? r.resourceType.slice(0, 64) : 'unknown',
      // A Patient's id is the patient's: never logged (the card log keeps patients under keyed hashes only).
      id: r.resourceType === 'Patient' ? 'withheld' : typeof r.id === 'string' ? r.id.slice(0, 64) : 'unknown',
      reader,
    };
    if (reason !== undefined) item.reason = reason;
    this.items.push(item);
  }

  /**
   * Runs `read` on each item; an item whose reading throws is skipped and recorded instead of failing
   * the call (with the reason of an UnreadableResource). Use it around per-resource reading, not around
   * whole rules.
   */
  readEach<T, R>(items: readonly T[], reader: string, read: (item: T) => R): R[] {
    const out: R[] = [];
    for (const item of items) {
      try {
        out.push(read(item));
      } catch (err) {
        this.add(item, reader, err instanceof UnreadableResource ? err.reason : undefined);
      }
    }
    return out;
  }
}
