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

/** Collects skipped resources over one hook call. */
export class SkippedResources {
  readonly items: SkippedResource[] = [];

  add(resource: unknown, reader: string, reason?: string): void {
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
