import type { CallTrace } from '../model/callTrace.js';

/**
 * What the one log line of a request says beyond method, path, status and duration: the service, the
 * cards by kind, the FHIR reads, and why a 4xx was refused. Routes and the error handler fill it in;
 * the request log line (src/observability/requestLog.ts) writes it when the response is finished. Ids, kinds, counts and our own words only —
 * never a token or patient data.
 */
export interface RequestSummary {
  serviceId?: string;
  /** The EHR's id of this hook call (CDS Hooks `hookInstance`), to match the line with the EHR's own logs. */
  hookInstance?: string;
  /** Card kinds and how many of each. */
  cards?: Record<string, number>;
  cardCount?: number;
  /** Cards quieted by design (made, not sent; docs/clinical-rules.md §6). */
  quieted?: number;
  /** FHIR reads (key, ms, outcome) and the optional keys that were unavailable. */
  data?: CallTrace;
  /** Resources skipped as unreadable or another patient's (named in their own warning line). */
  skipped?: number;
  /** Feedback outcomes received (the first 20): card uuid, outcome, override reason code. */
  feedback?: Array<{ card: string; outcome: string; reason?: string }>;
  /** How many feedback items the request held. */
  feedbackItems?: number;
  /** Feedback records that were new (feedback is idempotent). */
  feedbackAdded?: number;
  /** A 4xx's reason: the OperationOutcome's first diagnostics. */
  reason?: string;
}

const summaries = new WeakMap<object, RequestSummary>();

/** The summary of the request this response answers (created on first use). */
export function summaryOf(res: object): RequestSummary {
  let summary = summaries.get(res);
  if (summary === undefined) {
    summary = {};
    summaries.set(res, summary);
  }
  return summary;
}

/** Kind → count, e.g. `{ "screening-incomplete": 1, "tramadol": 2 }`. */
export function countKinds(kinds: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of kinds) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}
