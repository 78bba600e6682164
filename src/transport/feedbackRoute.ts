import type { RequestHandler } from 'express';
import type { FeedbackRecord, FeedbackStore } from '../feedback/feedbackStore.js';
import type { Logger } from '../observability/logger.js';
import type { CdsService } from '../services/cdsService.js';
import type { SchemaValidator } from './schemaValidation.js';
import { findService } from './serviceRoute.js';

interface FeedbackBody {
  feedback: Array<{
    card: string;
    outcome: 'accepted' | 'overridden';
    acceptedSuggestions?: Array<{ id: string }>;
    overrideReason?: { reason?: { system?: string; code: string }; userComment?: string };
    outcomeTimestamp: string;
  }>;
}

/**
 * POST /cds-services/{id}/feedback → 200 {}. Idempotent; an unknown card uuid is still answered 200
 * (saying otherwise would leak which cards exist). The user's comment is free text and may hold patient
 * data: only whether there was one is kept.
 */
export function feedbackRoute(services: readonly CdsService[], deps: { validator: SchemaValidator; store: FeedbackStore; logger: Logger; clock: () => number }): RequestHandler {
  const lookup = findService(services);
  return async (req, res) => {
    const service = lookup(req);
    deps.validator.assertValid('feedback', req.body);
    const body = req.body as FeedbackBody;
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
    deps.logger.info(
      { serviceId: service.id, feedback: records.map((r) => ({ card: r.card, outcome: r.outcome, reason: r.overrideReason?.code })), added },
      'feedback received',
    );
    res.type('application/json').send('{}');
  };
}
