import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { Language } from '../model/language.js';
import { newCallTrace } from '../model/callTrace.js';
import type { CdsService } from '../model/cdsService.js';
import type { HookName } from '../model/hookRequest.js';
import { SkippedResources } from '../model/skipped.js';
import type { IssuedCard, ServiceAnswer } from '../model/cdsResponse.js';
import { sendJson } from './httpResponse.js';
import { pickLanguage } from './language.js';
import { notFound } from './operationOutcome.js';
import { countKinds, summaryOf, type RequestSummary } from './requestSummary.js';
import type { Metrics } from '../observability/metrics.js';
import type { CardLog } from '../store/cardLog.js';
import type { QuietByDesign } from '../store/quiet.js';
import type { SchemaValidator } from './schemaValidation.js';

export interface ServiceRouteDeps {
  config: Config;
  validator: SchemaValidator;
  clock: () => number;
  /** Validate every response against schemas/response.schema.json (tests and development). */
  checkResponses: boolean;
  /** Every issued card is logged (off the request path: an in-memory batch, written by a timer). */
  cardLog?: CardLog;
  metrics?: Metrics;
  /** Quiet by design (docs/clinical-rules.md §6): answered cards are not repeated. */
  quiet?: QuietByDesign;
}

/** Resolves a path's service id to a service or 404, before authentication and body parsing. */
export function findService(services: readonly CdsService[]): (id: string) => CdsService {
  const byId = new Map(services.map((s) => [s.id, s]));
  return (id) => {
    const service = byId.get(id);
    if (!service) throw notFound(`Unknown CDS service "${id.slice(0, 100)}"`);
    return service;
  };
}

/** Why the call's deadline aborted its FHIR reads. */
class CallDeadlinePassed extends Error {
  constructor() {
    super('the request deadline passed before the FHIR server answered');
    this.name = 'CallDeadlinePassed';
  }
}

/**
 * One hook call: the typed request of the service's hook, ONE deadline (FHIR_REQUEST_DEADLINE_MS) for
 * every FHIR read of the call, the request's logger, and the service's answer. The deadline is aborted
 * when the call ends, so no read outlives its request (e.g. the other reads after a 412); a call that
 * reads nothing from the FHIR server never creates it.
 */
async function callService<H extends HookName>(
  service: CdsService<H>,
  req: IncomingMessage,
  body: unknown,
  summary: RequestSummary,
  deps: ServiceRouteDeps,
): Promise<{ answer: ServiceAnswer; suppressed: IssuedCard[]; lang: Language; patientId: string; now: number }> {
  const request = deps.validator.parseRequest(service.hook, service.id, body);
  const trace = newCallTrace();
  summary.data = trace;
  const skipped = new SkippedResources();
  // The deadline counts from here, but its AbortController and timer are made only when a FHIR read
  // asks for the signal: most calls are answered from prefetch alone (measured with `npm run bench`).
  const startedAt = performance.now();
  let deadline: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const signal = (): AbortSignal => {
    if (deadline === undefined) {
      const controller = new AbortController();
      deadline = controller;
      const left = Math.max(0, deps.config.fhir.requestDeadlineMs - (performance.now() - startedAt));
      timer = setTimeout(() => controller.abort(new CallDeadlinePassed()), left);
    }
    return deadline.signal;
  };
  const lang = pickLanguage(deps.config.language, req.headers['accept-language']);
  const now = deps.clock();
  const patientId = request.context.patientId;
  // Quiet by design: at most one store read per call; patient-view starts it beside its FHIR reads.
  const quiet = deps.quiet?.forCall(service.hook, patientId, now);
  if (quiet && service.hook === 'patient-view') quiet.start();
  try {
    const answer = await service.call({
      request,
      lang,
      now,
      // Both made on first use: the request's child logger and the deadline cost nothing when unused.
      get log() {
        return req.log;
      },
      get signal() {
        return signal();
      },
      trace,
      skipped,
      ...(quiet ? { answered: () => quiet.answered() } : {}),
    });
    if (!quiet) return { answer, suppressed: [], lang, patientId, now };
    const { shown, suppressed } = await quiet.filter(answer.cards);
    if (suppressed.length > 0) summary.quieted = suppressed.length;
    return { answer: { ...answer, cards: shown }, suppressed, lang, patientId, now };
  } finally {
    if (deadline !== undefined) {
      clearTimeout(timer);
      if (!deadline.signal.aborted) deadline.abort(new Error('the call is over'));
    }
    if (skipped.items.length > 0) {
      summary.skipped = skipped.items.length;
      req.log.warn({ skipped: skipped.items }, 'resources skipped as unreadable (type and id named)');
    }
  }
}

/** A hook call to one service: the request, its response, and its parsed JSON body. */
export type ServiceCallHandler = (service: CdsService, req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<void>;

/** POST /cds-services/{id} (routed by src/transport/hookPosts.ts): validate, call the service, answer with cards. */
export function serviceRoute(deps: ServiceRouteDeps): ServiceCallHandler {
  return async (service, req, res, body) => {
    const summary = summaryOf(res);
    summary.serviceId = service.id;
    const { answer, suppressed, lang, patientId, now } = await callService(service, req, body, summary, deps);
    const response = { cards: answer.cards.map((c) => c.card) };
    deps.cardLog?.record({ serviceId: service.id, language: lang, patientId, cards: answer.cards, now, hook: service.hook, suppressed });
    for (const c of suppressed) deps.metrics?.cardsQuieted.inc({ kind: c.kind });
    for (const c of answer.cards) deps.metrics?.cards.inc({ kind: c.kind, indicator: c.card.indicator });
    if (deps.checkResponses) {
      const problems = deps.validator.problems('response', response);
      if (problems.length > 0) req.log.error({ serviceId: service.id, problems }, 'response does not match the response schema');
    }
    summary.cards = countKinds(answer.cards.map((c) => c.kind));
    summary.cardCount = answer.cards.length;
    sendJson(res, 200, JSON.stringify(response), { 'Cache-Control': 'no-store' });
  };
}
