import type { CdsSuggestion, IssuedCard } from '../model/cdsResponse.js';
import { isObject, nonBlank, objectList } from '../model/json.js';
import type { Metrics } from '../observability/metrics.js';
import type { HookName } from '../model/hookRequest.js';
import type { Pseudonymizer } from './pseudonym.js';
import type { QuietByDesign } from './quiet.js';
import type { CardLogEntry, Store } from './store.js';
import type { StoreHealth } from './storeHealth.js';

const DEFAULT_MAX_PENDING = 10_000;
/** Cards per write: SQLite writes block the event loop, so a large batch is written in slices with hook calls between them. */
export const CARDS_PER_WRITE = 100;

/**
 * A suggestion's stable name for the report: the code its first action orders (`code`, a drug's
 * `medicationCodeableConcept`, a DSTU2 DiagnosticOrder's first `item`), else its label.
 */
export function suggestionName(s: CdsSuggestion): string {
  for (const action of s.actions ?? []) {
    if (action.type === 'delete') return 'delete';
    const r: unknown = action.resource;
    if (!isObject(r)) continue;
    const item = objectList(r.item)[0];
    const concept = isObject(r.code) ? r.code : isObject(r.medicationCodeableConcept) ? r.medicationCodeableConcept : isObject(item?.code) ? item.code : undefined;
    const coding = objectList(concept?.coding)[0];
    const code = nonBlank(coding?.code);
    if (code) return `${nonBlank(r.resourceType) ?? 'resource'} ${code}`;
  }
  return s.label.slice(0, 200);
}

export interface CardLogCall {
  serviceId: string;
  language: string;
  /** The patient within its EHR (context.patientId with the issuer and fhirServer: serviceRoute's patientIdentity), hashed here and never stored. */
  patientId: string | undefined;
  cards: readonly IssuedCard[];
  /** Epoch ms. */
  now: number;
  /** The service's hook: how an answer quiets each card (quiet by design, docs/clinical-rules.md §6). */
  hook?: HookName;
  /** Cards made but not sent (quieted): logged with `suppressed`, for the report. */
  suppressed?: readonly IssuedCard[];
  /** The verified caller (issuer and tenant: transport's callerIdentity), hashed here; null without verification. */
  callerId?: string | null;
}

/**
 * The card log's writer: the hook path only appends to an in-memory batch (hashing included, a few
 * microseconds per card); a timer writes the batch in one transaction. A failed write keeps the batch
 * for the next try, up to `maxPending` entries (the oldest are dropped and counted beyond that).
 */
export class CardLog {
  private pending: CardLogEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** After close() no timer is armed again: a write started by one would take cards that shutdown then cannot count. */
  private closed = false;

  constructor(
    private readonly deps: {
      store: Store;
      health: StoreHealth;
      metrics: Metrics;
      pseudonyms: Pseudonymizer;
      flushMs: number;
      maxPending?: number;
      /** Quiet by design: remembers answerable cards at issue time; resolves earlier feedback once they are written. */
      quiet?: QuietByDesign;
    },
  ) {}

  get pendingCount(): number {
    return this.pending.length;
  }

  record(call: CardLogCall): void {
    const suppressed = call.suppressed ?? [];
    if (call.cards.length === 0 && suppressed.length === 0) return;
    const patientId = call.patientId ?? '';
    const patientKey = this.deps.pseudonyms.patientKey(patientId);
    const callerKey = this.callerKey(call.callerId ?? null);
    const entries: CardLogEntry[] = [];
    for (const issued of call.cards) entries.push(this.entryOf(call, patientId, patientKey, callerKey, issued, false));
    for (const issued of suppressed) entries.push(this.entryOf(call, patientId, patientKey, callerKey, issued, true));
    // Synchronously, before the answer leaves: feedback a moment later finds its card without the store.
    this.deps.quiet?.remember(entries);
    this.pending.push(...entries);
    const max = this.deps.maxPending ?? DEFAULT_MAX_PENDING;
    if (this.pending.length > max) {
      const dropped = this.pending.length - max;
      this.pending.splice(0, dropped);
      this.deps.metrics.cardLogDropped.inc(dropped);
    }
    this.deps.metrics.cardLogPending.set(this.pending.length);
    this.schedule();
  }

  /** The keyed hash of a verified caller, as the card log keeps it (feedback compares its own with it). */
  callerKey(callerId: string | null): string | null {
    return this.deps.pseudonyms.callerKey(callerId);
  }

  private entryOf(call: CardLogCall, patientId: string, patientKey: string, callerKey: string | null, issued: IssuedCard, isSuppressed: boolean): CardLogEntry {
    const entry: CardLogEntry = {
      cardUuid: issued.card.uuid,
      serviceId: call.serviceId,
      kind: issued.kind,
      indicator: issued.card.indicator,
      language: call.language,
      issuedAt: call.now,
      patientKey,
      findingKey: this.deps.pseudonyms.findingKey(patientId, issued.kind, issued.facts),
      orderKey: issued.orderRef !== undefined ? this.deps.pseudonyms.orderKey(patientId, issued.orderRef) : null,
      suggestions: (issued.card.suggestions ?? []).map((s) => ({ uuid: s.uuid, name: suggestionName(s) })),
      callerKey,
    };
    if (isSuppressed) entry.suppressed = true;
    else if (this.deps.quiet && call.hook) Object.assign(entry, this.deps.quiet.describe(call.hook, patientId, issued));
    return entry;
  }

  private schedule(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.deps.flushMs);
    this.timer.unref();
  }

  /** Writes what is pending (waits for a write in progress first). Never rejects. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = (async () => {
      let written = 0;
      try {
        while (written < batch.length) {
          const slice = batch.slice(written, written + CARDS_PER_WRITE);
          await this.deps.health.track('card-log', () => this.deps.store.appendCards(slice));
          written += slice.length;
          // Feedback that came before this write (e.g. to another instance) now quiets its card; never throws.
          await this.deps.quiet?.onCardsLogged(slice);
          if (written < batch.length) await new Promise((resolve) => setImmediate(resolve));
        }
      } catch {
        // Kept for the next try, ahead of what came meanwhile (health has counted and logged it).
        this.pending = [...batch.slice(written), ...this.pending];
        const max = this.deps.maxPending ?? DEFAULT_MAX_PENDING;
        if (this.pending.length > max) {
          const dropped = this.pending.length - max;
          this.pending.splice(0, dropped);
          this.deps.metrics.cardLogDropped.inc(dropped);
        }
        this.schedule();
      } finally {
        this.deps.metrics.cardLogPending.set(this.pending.length);
      }
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Stops the timer and writes what is pending, once (shutdown): what the store did not take stays in
   * `pendingCount`, for shutdown to report, and no later write is tried.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}
