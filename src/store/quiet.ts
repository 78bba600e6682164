/**
 * Quiet by design (docs/clinical-rules.md §6): a card a clinician answered is not repeated while its
 * finding is the same. State lives in the store (`quiet_state`, keyed by the pseudonymous patient key and
 * the card's finding key), so every instance on one PostgreSQL database shares it.
 *
 * - Hook path: ONE store read per call (`quietEntries`, a primary-key prefix lookup by patient key),
 *   and only when something can be quieted: patient-view (started at once, beside the FHIR reads: the
 *   rules need the answered flagged results), order-sign (only when it has cards); never for order-select.
 * - Feedback path: after the feedback is committed, its card is resolved (uuid → kind, keys) from an
 *   in-memory map written synchronously when the card was issued, else from the card log; the
 *   suppression entries are written before the EHR gets its 200.
 * - Card-log path: a card logged after its feedback arrived (another instance answered before this one
 *   flushed) is resolved when the card log is written.
 */
import type { Config } from '../config.js';
import type { CardFacts, IssuedCard } from '../model/cdsResponse.js';
import { NOTHING_ANSWERED, type AnsweredResults } from '../model/cdsService.js';
import { DAY_MS, HOUR_MS } from '../model/duration.js';
import type { HookName } from '../model/hookRequest.js';
import { ADDRESS_LATER, ALREADY_ADDRESSED, NOT_RELEVANT } from '../model/overrideReasons.js';
import { STORE_WAIT_ON_REQUEST_PATH_MS, withinMs } from '../model/storeWait.js';
import type { Pseudonymizer } from './pseudonym.js';
import { REASON_NOT_OFFERED, type CardLogEntry, type FeedbackEntry, type LoggedCard, type QuietEntry, type QuietPolicy, type Store, type StoredAnswer } from './store.js';
import type { StoreHealth } from './storeHealth.js';

export type QuietSettings = Config['quiet'];

/** The kind of the entries that mark a flagged result answered (§3.2). */
const FLAG_ANSWERED_KIND = 'flagged-result';
/**
 * The kind of the entry a later answer that answers no result ("will address later", a dismiss, accepted)
 * writes over a result's answered entry (the same row): the answer given last is in force. A kind of its
 * own, not a reason, so that a version of the service that knows only FLAG_ANSWERED_KIND (a rollback, or
 * instances of two versions on one database) reads it as not answered too.
 */
const FLAG_UNANSWERED_KIND = 'flagged-result-unanswered';
/**
 * The kind prefix of the entry an answer that quiets nothing (accepted) writes over the card's finding: it
 * quiets nothing either (its kind is no card kind, so no version of the service reads it as quieting), but as
 * the answer given last it ends the quieting of an earlier answer, and it outlives any period such an earlier
 * answer could still claim, so that answer sent again cannot come back.
 */
const CLEARED = 'cleared:';
/** How far a client's clock may run ahead of ours and its answers still keep their own order. */
const CLIENT_CLOCK_AHEAD_MS = 5 * 60_000;
/** The patient-level reasons that answer a flagged result (§3.2); "will address later" answers none. */
const ANSWERS_A_FLAG: readonly string[] = [ALREADY_ADDRESSED, NOT_RELEVANT];
const PATIENT_LEVEL: readonly string[] = ['screening-incomplete', 'screening-abnormal', 'current-medication'];
const NON_DRUG = 'non-pharmacological-treatment';
/** Cards resolved from memory when their feedback comes; older ones are looked up in the card log. */
const DEFAULT_MAX_RECENT = 20_000;
const PRUNE_EVERY_MS = HOUR_MS;

/** How an answer to this card quiets it; null = never (order-sign cards, unknown kinds). */
export function quietPolicy(hook: HookName, issued: IssuedCard): QuietPolicy | null {
  if (hook === 'order-select') return issued.orderRef !== undefined ? 'order-select' : null;
  if (hook !== 'patient-view') return null;
  if (PATIENT_LEVEL.includes(issued.kind)) return 'patient';
  if (issued.kind === NON_DRUG) return issued.facts.phase === 'established' ? 'nonpharm-repeat' : 'nonpharm';
  return null;
}

/** A screening-abnormal card's flagged results ("observationId:value"), from its facts. */
function flagFacts(facts: CardFacts): string[] {
  const flagged = facts.flagged;
  return Array.isArray(flagged) ? flagged.map(String) : [];
}

/** The keyed hash of one flagged result of a patient (the same result = same id and value). */
function flagKey(pseudonyms: Pseudonymizer, patientId: string, flag: string): string {
  return pseudonyms.findingKey(patientId, FLAG_ANSWERED_KIND, { flag });
}

/**
 * When the clinician answered: the answer's own `outcomeTimestamp`, never later than it was received. An
 * answer's quiet period runs from it (a client clock ahead cannot lengthen it); which answer is in force is
 * answerOrder's.
 */
export function answeredAt(answer: Pick<StoredAnswer, 'outcomeTimestamp' | 'receivedAt'>): number {
  const t = Date.parse(answer.outcomeTimestamp);
  return Number.isNaN(t) ? answer.receivedAt : Math.min(t, answer.receivedAt);
}

/**
 * Where an answer stands among the answers to its card (the entries' `setAt`; the later wins): its own
 * `outcomeTimestamp` — not when it was received, so an earlier answer sent again (a retry) neither undoes a
 * later one nor restarts its own period, and two answers from a clock a minute ahead keep the order the
 * clinician gave them in — but never more than CLIENT_CLOCK_AHEAD_MS after it was received (a clock far ahead
 * cannot make one answer outlast every later one; the price: within those minutes such an answer wins over a
 * later one from a clock that is right). Its period still runs from answeredAt.
 */
export function answerOrder(answer: Pick<StoredAnswer, 'outcomeTimestamp' | 'receivedAt'>): number {
  const t = Date.parse(answer.outcomeTimestamp);
  return Number.isNaN(t) ? answer.receivedAt : Math.min(t, answer.receivedAt + CLIENT_CLOCK_AHEAD_MS);
}

/**
 * The entries one answer writes (docs/clinical-rules.md §6). Patient-level cards: an override with a
 * reason quiets for QUIET_DAYS ("will address later": QUIET_LATER_DAYS), without a reason (a plain
 * dismiss) for QUIET_DISMISS_HOURS; accepting a suggestion quiets nothing (the orders it creates change
 * the finding) and writes a CLEARED entry that ends an earlier answer's quieting. A screening-abnormal card
 * overridden "already addressed" / "not relevant" also marks each of its flagged results answered, with no
 * expiry (a new or changed result has another key); any other answer to it marks them unanswered
 * (FLAG_UNANSWERED_KIND). The non-drug card: any answer, until the finding changes (established phase:
 * NONPHARM_REPEAT_DAYS). An order-select card overridden quiets the same card at order-sign for
 * ORDERING_SESSION_HOURS; accepted, it quiets nothing (a CLEARED entry): its suggestion removes or changes
 * the order, so the same order reaching order-sign unchanged means the suggestion was not carried out.
 */
export function entriesForAnswer(card: LoggedCard, answer: Pick<StoredAnswer, 'outcome' | 'reason' | 'outcomeTimestamp' | 'receivedAt'>, settings: QuietSettings): QuietEntry[] {
  if (!settings.enabled || card.quietPolicy === null) return [];
  const at = answeredAt(answer);
  const setAt = answerOrder(answer);
  const entry = (reason: string, quietUntil: number | null, kind = card.kind): QuietEntry => ({ patientKey: card.patientKey, entryKey: card.findingKey, kind, reason, quietUntil, setAt });
  const out: QuietEntry[] = [];
  // A reason no card offers was not kept (REASON_NOT_OFFERED): such an answer is a plain dismiss.
  const code = answer.reason === null || answer.reason.code === REASON_NOT_OFFERED ? null : answer.reason.code;
  const quietsCard = !settings.disabledKinds.includes(card.kind);
  switch (card.quietPolicy) {
    case 'patient':
      if (quietsCard) {
        if (answer.outcome !== 'overridden') out.push(entry(`${CLEARED}${answer.outcome}`, at + Math.max(settings.days * DAY_MS, settings.laterDays * DAY_MS, settings.dismissHours * HOUR_MS), `${CLEARED}${card.kind}`));
        else if (code === null) out.push(entry('dismissed', at + settings.dismissHours * HOUR_MS));
        else out.push(entry(`override:${code}`, at + (code === ADDRESS_LATER ? settings.laterDays : settings.days) * DAY_MS));
      }
      // The answered flag is the clinician's answer (§3.2), not a quieting: it holds even when the kind is never
      // quieted. Any other answer, given later, leaves the results unanswered again (the answer given last is in force).
      if (card.kind === 'screening-abnormal') {
        const answers = answer.outcome === 'overridden' && code !== null && ANSWERS_A_FLAG.includes(code);
        const kind = answers ? FLAG_ANSWERED_KIND : FLAG_UNANSWERED_KIND;
        const reason = answers ? `flag-answered:${code}` : `flag-unanswered:${code ?? answer.outcome}`;
        for (const k of card.itemKeys) out.push({ patientKey: card.patientKey, entryKey: k, kind, reason, quietUntil: null, setAt });
      }
      break;
    case 'nonpharm':
      if (quietsCard) out.push(entry(`answered:${answer.outcome}`, null));
      break;
    case 'nonpharm-repeat':
      if (quietsCard) out.push(entry(`answered:${answer.outcome}`, at + settings.nonpharmRepeatDays * DAY_MS));
      break;
    case 'order-select':
      if (!quietsCard) break;
      if (answer.outcome === 'overridden') out.push(entry(`order-select:${answer.outcome}`, at + settings.orderingSessionHours * HOUR_MS));
      // Accepted after an override: the same order at order-sign must show its card again.
      else out.push(entry(`${CLEARED}order-select:${answer.outcome}`, at + settings.orderingSessionHours * HOUR_MS, `${CLEARED}${card.kind}`));
      break;
  }
  return out;
}

/**
 * Only an answer from where the card went acts on it: sent to the service that issued it (an issuer trusted
 * for one service cannot quiet another's cards), by the caller it was issued to (issuer and tenant: another
 * EHR trusted for the same service cannot quiet this one's cards by their uuids). Without caller verification
 * both keys are null. The answer is stored either way (the report counts it).
 */
function answersItsCard(card: LoggedCard, answer: { serviceId: string; callerKey: string | null }): boolean {
  return card.serviceId === answer.serviceId && card.callerKey === answer.callerKey;
}

/** A card-log entry as quieting reads a logged card (the same fields the store's `loggedCards` gives back). */
function loggedCardOf(e: CardLogEntry, quietPolicy: QuietPolicy): LoggedCard {
  return {
    cardUuid: e.cardUuid,
    serviceId: e.serviceId,
    kind: e.kind,
    patientKey: e.patientKey,
    findingKey: e.findingKey,
    quietPolicy,
    itemKeys: [...(e.itemKeys ?? [])],
    callerKey: e.callerKey ?? null,
  };
}

/** What a suppression entry quiets: drug entries (from order-select) only at order-sign, the others only at patient-view. */
function applies(entry: QuietEntry, hook: HookName): boolean {
  if (entry.kind === FLAG_ANSWERED_KIND || entry.kind === FLAG_UNANSWERED_KIND || entry.kind.startsWith(CLEARED)) return false;
  return entry.reason.startsWith('order-select:') ? hook === 'order-sign' : hook === 'patient-view';
}

/** One hook call's view of the patient's suppressions: read at most once. */
export class QuietCall {
  private entries: Promise<Map<string, QuietEntry>> | null = null;

  constructor(
    private readonly quiet: QuietByDesign,
    private readonly hook: HookName,
    private readonly patientId: string,
    private readonly now: number,
  ) {}

  /** Whether this call can quiet anything (and so may read the store). */
  get active(): boolean {
    return this.quiet.settings.enabled && (this.hook === 'patient-view' || this.hook === 'order-sign');
  }

  /** Starts the call's one read (patient-view starts it before the FHIR reads). */
  start(): void {
    void this.read();
  }

  private read(): Promise<Map<string, QuietEntry>> {
    if (!this.active) return Promise.resolve(new Map());
    this.entries ??= this.quiet.readEntries(this.patientId, this.now);
    return this.entries;
  }

  /** The answered flagged results, for the rules (§3.2, §3.4). */
  async answered(): Promise<AnsweredResults> {
    if (!this.active || this.hook !== 'patient-view') return NOTHING_ANSWERED;
    const entries = await this.read();
    if (entries.size === 0) return NOTHING_ANSWERED;
    const pseudonyms = this.quiet.pseudonyms;
    return {
      isFlagAnswered: (flag) => {
        const e = entries.get(flagKey(pseudonyms, this.patientId, flag));
        return e !== undefined && e.kind === FLAG_ANSWERED_KIND;
      },
      isCardQuiet: (kind, facts) => this.quiets(entries, kind, facts),
    };
  }

  /** Whether the entries quiet a card of this kind and facts in this call. */
  private quiets(entries: ReadonlyMap<string, QuietEntry>, kind: string, facts: CardFacts): boolean {
    if (this.quiet.settings.disabledKinds.includes(kind)) return false;
    const entry = entries.get(this.quiet.pseudonyms.findingKey(this.patientId, kind, facts));
    return entry !== undefined && entry.kind === kind && applies(entry, this.hook);
  }

  /** Splits the service's cards into those shown and those quieted. */
  async filter(cards: readonly IssuedCard[]): Promise<{ shown: IssuedCard[]; suppressed: IssuedCard[] }> {
    if (!this.active || cards.length === 0) return { shown: [...cards], suppressed: [] };
    const entries = await this.read();
    // Most patients have no suppression: no finding key to compute (a keyed hash of each card's facts).
    if (entries.size === 0) return { shown: [...cards], suppressed: [] };
    const shown: IssuedCard[] = [];
    const suppressed: IssuedCard[] = [];
    for (const c of cards) {
      if (this.quiets(entries, c.kind, c.facts)) suppressed.push(c);
      else shown.push(c);
    }
    return { shown, suppressed };
  }
}

export class QuietByDesign {
  private readonly recent = new Map<string, LoggedCard>();
  private lastPrune = -Infinity;

  constructor(
    private readonly deps: {
      store: Store;
      health: StoreHealth;
      pseudonyms: Pseudonymizer;
      settings: QuietSettings;
      clock: () => number;
      maxRecent?: number;
    },
  ) {}

  get settings(): QuietSettings {
    return this.deps.settings;
  }

  get pseudonyms(): Pseudonymizer {
    return this.deps.pseudonyms;
  }

  forCall(hook: HookName, patientId: string, now: number): QuietCall {
    return new QuietCall(this, hook, patientId, now);
  }

  /** The one read; a store that cannot answer quiets nothing (cards matter more than their quieting). */
  async readEntries(patientId: string, now: number): Promise<Map<string, QuietEntry>> {
    try {
      const rows = await this.deps.health.track('quiet-read', () =>
        withinMs(this.deps.store.quietEntries(this.deps.pseudonyms.patientKey(patientId), now), STORE_WAIT_ON_REQUEST_PATH_MS, 'the quiet-by-design read'),
      );
      return new Map(rows.map((r) => [r.entryKey, r]));
    } catch {
      return new Map();
    }
  }

  /** What the card log keeps for quieting: the policy and the item keys (screening-abnormal's flagged results). */
  describe(hook: HookName, patientId: string, issued: IssuedCard): { quietPolicy: QuietPolicy | null; itemKeys: string[] } {
    const policy = quietPolicy(hook, issued);
    const itemKeys = issued.kind === 'screening-abnormal' ? flagFacts(issued.facts).map((f) => flagKey(this.deps.pseudonyms, patientId, f)) : [];
    return { quietPolicy: policy, itemKeys };
  }

  /** Issue time, synchronously: cards that can be quieted, so feedback right after resolves without the card log. */
  remember(entries: readonly CardLogEntry[]): void {
    const max = this.deps.maxRecent ?? DEFAULT_MAX_RECENT;
    for (const e of entries) {
      if (e.suppressed || !e.quietPolicy) continue;
      this.recent.set(e.cardUuid, loggedCardOf(e, e.quietPolicy));
    }
    // Oldest first out (a Map keeps insertion order).
    for (const uuid of this.recent.keys()) {
      if (this.recent.size <= max) break;
      this.recent.delete(uuid);
    }
  }

  /**
   * Feedback committed → its suppressions written (rejects when the store fails: the EHR retries, and
   * feedback is idempotent). Cards neither remembered nor logged yet are resolved when they are logged.
   */
  async onFeedback(items: readonly FeedbackEntry[]): Promise<void> {
    if (!this.deps.settings.enabled || items.length === 0) return;
    const cards = new Map<string, LoggedCard>();
    const missing: string[] = [];
    for (const f of items) {
      const c = this.recent.get(f.cardUuid);
      if (c) cards.set(c.cardUuid, c);
      else missing.push(f.cardUuid);
    }
    if (missing.length > 0) {
      for (const c of await this.deps.health.track('quiet-resolve', () => this.deps.store.loggedCards([...new Set(missing)]))) cards.set(c.cardUuid, c);
    }
    const entries = items.flatMap((f) => {
      const card = cards.get(f.cardUuid);
      return card && answersItsCard(card, f) ? entriesForAnswer(card, f, this.deps.settings) : [];
    });
    if (entries.length > 0) await this.deps.health.track('quiet-write', () => this.deps.store.putQuiet(entries));
    this.prune();
  }

  /** Card log written: answers that came before (another instance, before this flush) now take effect. */
  async onCardsLogged(entries: readonly CardLogEntry[]): Promise<void> {
    if (!this.deps.settings.enabled) return;
    const byUuid = new Map(entries.filter((e) => !e.suppressed && e.quietPolicy).map((e) => [e.cardUuid, e]));
    if (byUuid.size === 0) return;
    try {
      const answers = await this.deps.health.track('quiet-resolve', () => this.deps.store.answersFor([...byUuid.keys()]));
      const out = answers.flatMap((a) => {
        const e = byUuid.get(a.cardUuid);
        if (!e?.quietPolicy) return [];
        const card = loggedCardOf(e, e.quietPolicy);
        return answersItsCard(card, a) ? entriesForAnswer(card, a, this.deps.settings) : [];
      });
      if (out.length > 0) await this.deps.health.track('quiet-write', () => this.deps.store.putQuiet(out));
    } catch {
      // Counted and logged by health; the card simply is not quieted.
    }
  }

  /** Expired suppressions are deleted at most once an hour, off the request path. */
  private prune(): void {
    const now = this.deps.clock();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.deps.store.pruneQuiet(now).catch((err: unknown) => this.deps.health.failed('quiet-prune', err));
  }
}
