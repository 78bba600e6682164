/**
 * The service's one storage interface: the card log, feedback joined to its card, and the JWT replay
 * cache. Two implementations behind it (SqlStore over SQLite or PostgreSQL, see openStore.ts); every
 * method is one transaction, and a resolved promise means committed.
 *
 * Extending it (e.g. quiet-by-design state): add a migration to migrations.ts (both dialects) and a
 * method here; the per-hook-call read should be a single statement keyed by `patientKey`.
 */
import type { Indicator } from '../model/cdsResponse.js';

export type StoreKind = 'sqlite' | 'postgres';
export type ReplayVerdict = 'new' | 'seen' | 'full';

/** One issued card. Keys are keyed hashes (pseudonym.ts): no patient identifier is ever stored. */
export interface CardLogEntry {
  cardUuid: string;
  serviceId: string;
  kind: string;
  indicator: Indicator;
  language: string;
  /** Epoch ms. */
  issuedAt: number;
  patientKey: string;
  /** Keyed hash of patient + kind + the card's facts: "the same finding". */
  findingKey: string;
  /** Keyed hash of patient + order reference, for cards about a draft order. */
  orderKey: string | null;
  /** The card's suggestions: uuid → a stable name (the coded action, else the label). */
  suggestions: Array<{ uuid: string; name: string }>;
}

/** One feedback item as stored. `feedbackKey` is its identity: the same item twice is stored once. */
export interface FeedbackEntry {
  feedbackKey: string;
  cardUuid: string;
  serviceId: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions: string[];
  reason: { system: string | null; code: string } | null;
  hasUserComment: boolean;
  /** As the client sent it (RFC 3339). */
  outcomeTimestamp: string;
  /** Epoch ms. */
  receivedAt: number;
}

/** Raw aggregates for the report (report.ts shapes them). Counts are of cards, each counted once. */
export interface ReportRows {
  weeks: Array<{ kind: string; language: string; week: string; issued: number; accepted: number; overridden: number; noAnswer: number }>;
  suggestions: Array<{ kind: string; language: string; name: string; cards: number }>;
  reasons: Array<{ kind: string; language: string; system: string; code: string; cards: number }>;
  /** Cards that have feedback but are not in the card log (unknown uuid, or logged elsewhere and lost). */
  unmatchedCards: number;
}

export interface Store {
  readonly kind: StoreKind;
  /** Idempotent by card uuid. */
  appendCards(entries: readonly CardLogEntry[]): Promise<void>;
  /** Idempotent by feedbackKey. Per item: true = newly stored, false = already there. Resolves after commit. */
  recordFeedback(items: readonly FeedbackEntry[]): Promise<boolean[]>;
  /**
   * One round trip: records `key` until `expiresAt` (epoch seconds) unless already recorded and unexpired
   * at `now`. 'new' = first use, 'seen' = replay.
   */
  checkAndStoreJti(key: string, expiresAt: number, now: number): Promise<ReplayVerdict>;
  /** Deletes replay entries that expired before `now` (epoch seconds); off the request path. */
  pruneJtis(now: number): Promise<number>;
  reportRows(): Promise<ReportRows>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  /** The applied schema version. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
