/**
 * The service's one storage interface: the card log, feedback joined to its card, and the JWT replay
 * cache. Two implementations behind it (SqlStore over SQLite or PostgreSQL, see openStore.ts); every
 * method is one transaction, and a resolved promise means committed.
 *
 * Extending it (e.g. quiet-by-design state): add a migration to migrations.ts (both dialects) and a
 * method here; the per-hook-call read should be a single statement keyed by `patientKey`.
 */
import type { Indicator } from '../model/cdsResponse.js';
import type { JobLock } from './db.js';

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
  /** Quiet by design: made but not sent (counted in the report as suppressed). */
  suppressed?: boolean;
  /** Quiet by design: how an answer quiets this card (quiet.ts), null = never. */
  quietPolicy?: QuietPolicy | null;
  /** Quiet by design: keyed hashes of the card's items (a screening-abnormal card's flagged results). */
  itemKeys?: readonly string[];
  /** Keyed hash of the verified caller the card was issued to (issuer and tenant); null without verification. */
  callerKey?: string | null;
}

/**
 * How an answer quiets a card (docs/clinical-rules.md §6): `patient` (override with reason / dismiss),
 * `nonpharm` (any answer, until the finding changes), `nonpharm-repeat` (any answer, NONPHARM_REPEAT_DAYS),
 * `order-select` (any answer: order-sign does not repeat it within ORDERING_SESSION_HOURS).
 */
export type QuietPolicy = 'patient' | 'nonpharm' | 'nonpharm-repeat' | 'order-select';

/** One suppression: per pseudonymous patient and entry (a card's finding key, or a flagged result's key). */
export interface QuietEntry {
  patientKey: string;
  entryKey: string;
  /**
   * The card kind; `flagged-result` for an answered flagged result, `flagged-result-unanswered` for one a later
   * answer left unanswered; `cleared:<kind>` for a later answer that quiets nothing (src/store/quiet.ts).
   */
  kind: string;
  /** Why, e.g. `override:already-addressed`, `dismissed`, `answered:accepted`, `order-select:overridden`, `flag-answered:not-relevant`, `cleared:accepted`. */
  reason: string;
  /** Epoch ms; null = until the finding changes. */
  quietUntil: number | null;
  /** Epoch ms: where the answer stands among the answers to its card (answerOrder); a later one replaces an earlier one. */
  setAt: number;
}

/** What quiet-by-design needs of a logged card to act on its feedback. */
export interface LoggedCard {
  cardUuid: string;
  serviceId: string;
  kind: string;
  patientKey: string;
  findingKey: string;
  quietPolicy: QuietPolicy | null;
  itemKeys: string[];
  /** The caller it was issued to (keyed hash; null without verification): only that caller's answer acts on it. */
  callerKey: string | null;
}

/** A stored answer, as quiet-by-design reads it back (cards logged after their feedback arrived). */
export interface StoredAnswer {
  cardUuid: string;
  /** The service whose feedback endpoint received it: an answer acts only on that service's cards. */
  serviceId: string;
  outcome: 'accepted' | 'overridden';
  reason: { system: string | null; code: string } | null;
  /** When the clinician answered, as the client sent it (RFC 3339). */
  outcomeTimestamp: string;
  receivedAt: number;
  /** The caller that sent it (keyed hash; null without verification). */
  callerKey: string | null;
}

/**
 * What is stored for an override reason no card offers (not one of OVERRIDE_REASON_SYSTEM's codes): the EHR's
 * own code or text may hold anything, patient data included, so it is not kept; such an answer quiets as a
 * plain dismiss (docs/clinical-rules.md §6).
 */
export const REASON_NOT_OFFERED = 'not-offered';
/** What is stored for an accepted suggestion id that is no UUID, so no suggestion the service made: it is not kept either. */
export const SUGGESTION_NOT_OURS = 'not-a-uuid';

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
  /** The caller that sent it (keyed hash of issuer and tenant; null without verification). */
  callerKey: string | null;
}

/** Raw aggregates for the report (report.ts shapes them). Counts are of cards, each counted once. */
export interface ReportRows {
  /** `acceptedUnknown`: cards whose only acceptances name suggestions they never had (not counted as accepted). */
  weeks: Array<{ kind: string; language: string; week: string; issued: number; accepted: number; overridden: number; acceptedUnknown: number; noAnswer: number }>;
  suggestions: Array<{ kind: string; language: string; name: string; cards: number }>;
  reasons: Array<{ kind: string; language: string; system: string; code: string; cards: number }>;
  /** Cards that have feedback but are not in the card log (unknown uuid, or logged elsewhere and lost). */
  unmatchedCards: number;
  /** Cards quieted by design (made, not sent), per kind, language and week; not in `weeks`. */
  suppressed?: Array<{ kind: string; language: string; week: string; cards: number }>;
}

export interface Store {
  readonly kind: StoreKind;
  /** Idempotent by card uuid. */
  appendCards(entries: readonly CardLogEntry[]): Promise<void>;
  /** Idempotent by feedbackKey. Per item: true = newly stored, false = already there. Resolves after commit. */
  recordFeedback(items: readonly FeedbackEntry[]): Promise<boolean[]>;
  /**
   * JWT replay, ONE statement for several keys (the replay check batches the calls that arrive together):
   * each key is recorded until its `expiresAt` (epoch seconds) unless already recorded and unexpired at
   * `now`. 'new' = first use, 'seen' = replay; a key repeated in `items` is 'new' at most once. Verdicts in
   * the order of `items`.
   */
  checkAndStoreJtis(items: ReadonlyArray<{ key: string; expiresAt: number }>, now: number): Promise<ReplayVerdict[]>;
  /** Deletes replay entries that expired before `now` (epoch seconds); off the request path. */
  pruneJtis(now: number): Promise<number>;
  reportRows(): Promise<ReportRows>;
  // --- Quiet by design (issue 11; docs/clinical-rules.md §6) ---
  /** THE one read per hook call: the patient's suppressions still in force at `now` (epoch ms). */
  quietEntries(patientKey: string, now: number): Promise<QuietEntry[]>;
  /** Upserts; a later `setAt` replaces an earlier one. Resolves after commit. */
  putQuiet(entries: readonly QuietEntry[]): Promise<void>;
  /** Logged (not suppressed) cards by uuid. */
  loggedCards(cardUuids: readonly string[]): Promise<LoggedCard[]>;
  /** The stored answers for these cards, oldest first. */
  answersFor(cardUuids: readonly string[]): Promise<StoredAnswer[]>;
  /** Deletes every suppression (npm run quiet:reset); the number deleted. */
  clearQuiet(): Promise<number>;
  /** Deletes suppressions that expired before `now` (epoch ms). */
  pruneQuiet(now: number): Promise<number>;
  /**
   * Retention (RETENTION_DAYS): deletes up to `limit` cards issued before `cutoff` (epoch ms) with their
   * suggestions and the feedback on them, and up to `limit` feedback items received before it; one
   * transaction. The number of cards and feedback items deleted (0: nothing older is left).
   */
  pruneBefore(cutoff: number, limit: number): Promise<number>;
  /** Runs `job` unless another instance on this store is running a job under the same lock: false then (Db.runAlone). */
  runAlone(lock: JobLock, job: () => Promise<void>): Promise<boolean>;
  /**
   * A setting every instance on this store must agree on: records `value` under `name` unless one is recorded
   * already, and returns the recorded value. `value` null forgets it (returns null).
   */
  claimSetting(name: string, value: string | null): Promise<string | null>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  /** The applied schema version. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
