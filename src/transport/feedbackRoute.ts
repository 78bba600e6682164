import type { RequestHandler } from 'express';
import type { FeedbackRecord, FeedbackStore } from '../feedback/feedbackStore.js';
import type { CdsService } from '../model/cdsService.js';
import { summaryOf } from './requestSummary.js';
import type { SchemaValidator } from './schemaValidation.js';
import { findService } from './serviceRoute.js';

/**
 * POST /cds-services/{id}/feedback → 200 {}. Idempotent; an unknown card uuid is still answered 200
 * (saying otherwise would leak which cards exist). The user's comment is free text and may hold patient
 * data: only whether there was one is kept.
 */
export function feedbackRoute(services: readonly CdsService[], deps: { validator: SchemaValidator; store: FeedbackStore; clock: () => number }): RequestHandler {
  const lookup = findService(services);
  return async (req, res) => {
    const service = lookup(req);
    const body = deps.validator.parseFeedback(req.body);
    const receivedAt = new Date(deps.clock()).toISOString();
    const records: FeedbackRecord[] = body.feedback.map((f) => {
      const r: FeedbackRecord = {
        serviceId: service.id,
        card: f.card,
        outcome: f.outcome,
        acceptedSuggestions: (f.acceptedSuggestions ?? []).map((s) => s.id),
        hasUserComment: typeof f.overrideReason?.userComment === 'string' && f.overrideReason.userComment !== '',
        outcomeTimestamp: f.outcomeTimestamp,
        receivedAt,
      };
      const reason = f.overrideReason?.reason;
      if (reason) r.overrideReason = reason.system ? { system: reason.system, code: reason.code } : { code: reason.code };
      return r;
    });
    const added = await deps.store.record(records);
    const summary = summaryOf(res);
    summary.feedbackAdded = added;
    summary.serviceId = service.id;
    summary.feedback = records.map((r) => (r.overrideReason ? { card: r.card, outcome: r.outcome, reason: r.overrideReason.code } : { card: r.card, outcome: r.outcome }));
    res.type('application/json').send('{}');
  };
}
