import type { ServerResponse } from 'node:http';
import type { Metrics } from '../observability/metrics.js';
import type { CdsService } from '../model/cdsService.js';
import { canonicalJson, sha256 } from '../store/pseudonym.js';
import type { CardLog } from '../store/cardLog.js';
import type { QuietByDesign } from '../store/quiet.js';
import { REASON_NOT_OFFERED, SUGGESTION_NOT_OURS, type FeedbackEntry, type Store } from '../store/store.js';
import { isGeneratedUuid, isQuotableUuid } from '../model/json.js';
import { OFFERED_OVERRIDE_REASON_CODES, OVERRIDE_REASON_SYSTEM } from '../model/overrideReasons.js';
import type { StoreHealth } from '../store/storeHealth.js';
import { sendJson } from './httpResponse.js';
import { HttpError } from './operationOutcome.js';
import { summaryOf } from './requestSummary.js';
import type { SchemaValidator } from './schemaValidation.js';
import { callerIdentity } from './serviceRoute.js';
import type { VerifiedCaller } from './auth/verifier.js';

export interface FeedbackRouteDeps {
  validator: SchemaValidator;
  store: Store;
  health: StoreHealth;
  metrics: Metrics;
  clock: () => number;
  /** Written first, so a card this instance issued moments ago is in the log when its feedback is. */
  cardLog?: CardLog;
  /** Quiet by design (docs/clinical-rules.md §6): an answer quiets its card. */
  quiet?: QuietByDesign;
}

/** Feedback items named in the request's log line (the rest are counted). */
const LOGGED_ITEMS = 20;

/**
 * The identity of a feedback item: the same answer sent again has the same key (stored once). The caller is
 * part of it: the same words from another caller are another answer (stored, acting on nothing), and cannot
 * stand in for the card's own caller's.
 */
function feedbackKey(serviceId: string, f: Omit<FeedbackEntry, 'feedbackKey' | 'serviceId' | 'receivedAt' | 'hasUserComment'>): string {
  const parts: unknown[] = [serviceId, f.cardUuid, f.outcome, f.outcomeTimestamp, [...f.acceptedSuggestions].sort(), f.reason?.system ?? null, f.reason?.code ?? null];
  // Without caller verification the key is what it always was.
  if (f.callerKey !== null) parts.push(f.callerKey);
  return sha256(canonicalJson(parts));
}

/**
 * An override reason as kept: one the cards offer (its code, and the system when the EHR sent it), else
 * REASON_NOT_OFFERED — an EHR's own code or text ("Mette Hansen, CPR …, refuses") may hold patient data, and
 * the store, the report and the log line keep no free text.
 */
function offeredReason(reason: { system?: string; code: string }): FeedbackEntry['reason'] {
  const system = reason.system ?? null;
  if (OFFERED_OVERRIDE_REASON_CODES.has(reason.code) && (system === null || system === OVERRIDE_REASON_SYSTEM)) return { system, code: reason.code };
  return { system: null, code: REASON_NOT_OFFERED };
}

/**
 * POST /cds-services/{id}/feedback (routed by src/transport/hookPosts.ts; https://cds-hooks.hl7.org/2.0/#feedback) → 200 {} once every item
 * is committed to the store, joined to its card through the card uuid (the card log may be written
 * later: the join happens when the report reads). Idempotent. An unknown card uuid is still answered
 * 200 (saying otherwise would leak which cards exist). A store that cannot commit → 503, so the EHR
 * may send it again. The user's comment is free text and may hold patient data: only whether there
 * was one is kept.
 */
export function feedbackRoute(deps: FeedbackRouteDeps): (service: CdsService, res: ServerResponse, json: unknown, caller: VerifiedCaller | null) => Promise<void> {
  return async (service, res, json, caller) => {
    const body = deps.validator.parseFeedback(json);
    const receivedAt = deps.clock();
    // Only the caller a card was issued to can quiet it (docs/clinical-rules.md §6).
    const callerKey = deps.cardLog?.callerKey(callerIdentity(caller)) ?? null;
    const entries: FeedbackEntry[] = body.feedback.map((f) => {
      const reason = f.overrideReason?.reason;
      const item = {
        // The uuids the service issued are lower case; an EHR that sends them in upper case means the same card.
        cardUuid: f.card.toLowerCase(),
        outcome: f.outcome,
        // A suggestion's id is a UUID the service made; any other text is the caller's own and is not kept.
        acceptedSuggestions: [...new Set((f.acceptedSuggestions ?? []).map((s) => (isGeneratedUuid(s.id) ? s.id.toLowerCase() : SUGGESTION_NOT_OURS)))],
        reason: reason ? offeredReason(reason) : null,
        outcomeTimestamp: f.outcomeTimestamp,
        callerKey,
      };
      return {
        ...item,
        feedbackKey: feedbackKey(service.id, item),
        serviceId: service.id,
        hasUserComment: typeof f.overrideReason?.userComment === 'string' && f.overrideReason.userComment !== '',
        receivedAt,
      };
    });
    let fresh: boolean[];
    await deps.cardLog?.flush(); // never rejects; a failed write stays pending
    try {
      fresh = await deps.health.track('feedback', () => deps.store.recordFeedback(entries));
    } catch {
      for (const e of entries) deps.metrics.feedback.inc({ outcome: e.outcome, result: 'failed' });
      res.setHeader('Retry-After', '30');
      throw new HttpError(503, 'transient', 'The feedback could not be stored now; send it again later');
    }
    try {
      // After the commit (so a card logged meanwhile finds it), before the 200: the next chart opening is quiet.
      // Every item, also a repeated one: a retry after a failed write here completes it (the writes are idempotent).
      await deps.quiet?.onFeedback(entries);
    } catch {
      // The feedback is kept; its quieting is not (health has counted and logged it): the EHR sends it again.
      res.setHeader('Retry-After', '30');
      throw new HttpError(503, 'transient', 'The feedback was kept, but its effect could not be stored now; send it again later');
    }
    entries.forEach((e, i) => deps.metrics.feedback.inc({ outcome: e.outcome, result: fresh[i] ? 'stored' : 'duplicate' }));
    // The request's one log line says what came (no comments: free text may hold patient data).
    const summary = summaryOf(res);
    summary.serviceId = service.id;
    summary.feedbackAdded = fresh.filter(Boolean).length;
    // Bounded whatever a caller sends: the first items (their reasons are the cards' own codes), and how many there were.
    summary.feedbackItems = entries.length;
    summary.feedback = entries
      .slice(0, LOGGED_ITEMS)
      .map((e) => {
        const card = isQuotableUuid(e.cardUuid) ? e.cardUuid : '(withheld)';
        return e.reason ? { card, outcome: e.outcome, reason: e.reason.code } : { card, outcome: e.outcome };
      });
    sendJson(res, 200, '{}');
  };
}
