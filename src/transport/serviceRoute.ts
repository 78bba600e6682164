import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { Language } from '../model/language.js';
import { newCallTrace } from '../model/callTrace.js';
import type { AnsweredResults, CdsService, ServiceCall } from '../model/cdsService.js';
import type { HookName, HookRequest } from '../model/hookRequest.js';
import { BoundedMemo } from '../model/boundedMemo.js';
import { isObject, isQuotableUuid } from '../model/json.js';
import { SkippedResources } from '../model/skipped.js';
import { fhirServerBase } from '../data/fhirServerAllowlist.js';
import type { IssuedCard, ServiceAnswer } from '../model/cdsResponse.js';
import { sendJson } from './httpResponse.js';
import { pickLanguage } from './language.js';
import { notFound } from './operationOutcome.js';
import { countKinds, summaryOf, type RequestSummary } from './requestSummary.js';
import type { Logger } from '../observability/logger.js';
import { requestLogger } from '../observability/requestLog.js';
import type { Metrics } from '../observability/metrics.js';
import type { CardLog } from '../store/cardLog.js';
import type { QuietByDesign } from '../store/quiet.js';
import type { SchemaValidator } from './schemaValidation.js';
import type { VerifiedCaller } from './auth/verifier.js';

export interface ServiceRouteDeps {
  config: Config;
  /** For a request the request log has not seen (its own logger is `requestLogger(req, …)`). */
  logger: Logger;
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
    // The id is not quoted: it is the caller's text, and the reason goes to the log (GET /cds-services lists ours).
    if (!service) throw notFound('Unknown CDS service: GET /cds-services lists the services of this server');
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
 * One hook call as the service sees it: the typed request of the service's hook, ONE deadline
 * (FHIR_REQUEST_DEADLINE_MS) for every FHIR read of the call, and the request's logger. The deadline's
 * AbortController and timer are made only when a FHIR read asks for the signal (most calls are answered
 * from prefetch alone), and `end()` aborts it, so no read outlives its request (e.g. the other reads after
 * a 412). A class with getters: an object literal with getters is made in dictionary mode on Node 20
 * (~0.6 µs a call, bench/README.md fourth round).
 */
class HookCall<H extends HookName> implements ServiceCall<H> {
  readonly trace = newCallTrace();
  readonly skipped = new SkippedResources();
  answered?: () => Promise<AnsweredResults>;
  private readonly startedAt = performance.now();
  private deadline: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly request: HookRequest<H>,
    readonly lang: Language,
    readonly now: number,
    private readonly req: IncomingMessage,
    private readonly deadlineMs: number,
    private readonly fallbackLog: Logger,
  ) {}

  get log(): Logger {
    return requestLogger(this.req, this.fallbackLog);
  }

  get signal(): AbortSignal {
    if (this.deadline === undefined) {
      const controller = new AbortController();
      this.deadline = controller;
      const left = Math.max(0, this.deadlineMs - (performance.now() - this.startedAt));
      this.timer = setTimeout(() => controller.abort(new CallDeadlinePassed()), left);
    }
    return this.deadline.signal;
  }

  /** The call is over: its deadline stops, and a FHIR read still running is aborted. */
  end(): void {
    if (this.deadline === undefined) return;
    clearTimeout(this.timer);
    if (!this.deadline.signal.aborted) this.deadline.abort(new Error('the call is over'));
  }
}

/** `fhirServer` as one text per server, as the allow-list reads it (an EHR sends the same few: kept). */
const serverTexts = new BoundedMemo<string>(256);
function serverText(fhirServer: string | undefined): string {
  if (fhirServer === undefined) return '';
  return serverTexts.get(fhirServer, (raw) => fhirServerBase(raw) ?? raw.trim());
}

/**
 * The patient as the store keys it (card log, quiet by design; hashed, never stored): the id within its
 * EHR. A FHIR id is unique only on its own server, so the issuer, its tenant and the fhirServer are part of
 * it: an answer for patient "123" of hospital A never quiets a card of patient "123" of hospital B.
 */
export function patientIdentity(caller: VerifiedCaller | null, fhirServer: string | undefined, patientId: string): string {
  return [caller?.iss ?? '', caller?.tenant ?? '', serverText(fhirServer), patientId].join('\u0000');
}

/**
 * The verified caller as the card log keeps it (hashed): the issuer and its tenant. Only an answer from the
 * same caller acts on a card (docs/clinical-rules.md §6); null without caller verification.
 */
export function callerIdentity(caller: VerifiedCaller | null): string | null {
  return caller === null ? null : [caller.iss, caller.tenant ?? ''].join('\u0000');
}

/** One hook call: the service's answer, quieted (§6), and what the log line and card log need. */
async function callService<H extends HookName>(
  service: CdsService<H>,
  req: IncomingMessage,
  body: unknown,
  caller: VerifiedCaller | null,
  summary: RequestSummary,
  deps: ServiceRouteDeps,
): Promise<{ answer: ServiceAnswer; suppressed: IssuedCard[]; lang: Language; patientId: string; now: number }> {
  // Before the request is checked, so a refused call's log line names it too. Only a UUID, as CDS Hooks has
  // it: any other text is the caller's own and could hold anything (the log promises no patient data).
  if (isObject(body) && typeof body.hookInstance === 'string') summary.hookInstance = isQuotableUuid(body.hookInstance) ? body.hookInstance : '(not a UUID)';
  const request = deps.validator.parseRequest(service.hook, service.id, body);
  const lang = pickLanguage(deps.config.language, req.headers['accept-language']);
  const now = deps.clock();
  const call = new HookCall(request, lang, now, req, deps.config.fhir.requestDeadlineMs, deps.logger);
  summary.data = call.trace;
  const patientId = patientIdentity(caller, request.fhirServer, request.context.patientId);
  // Quiet by design: at most one store read per call; patient-view starts it beside its FHIR reads.
  const quiet = deps.quiet?.forCall(service.hook, patientId, now);
  if (quiet) {
    if (service.hook === 'patient-view') quiet.start();
    call.answered = () => quiet.answered();
  }
  try {
    const answer = await service.call(call);
    if (!quiet) return { answer, suppressed: [], lang, patientId, now };
    const { shown, suppressed } = await quiet.filter(answer.cards);
    if (suppressed.length > 0) summary.quieted = suppressed.length;
    return { answer: { ...answer, cards: shown }, suppressed, lang, patientId, now };
  } finally {
    call.end();
    const { skipped } = call;
    if (skipped.count > 0) {
      summary.skipped = skipped.count;
      // Bounded: the first few named (type and id), every one counted by reader and reason.
      const line: Record<string, unknown> = { skipped: skipped.items };
      if (skipped.count > skipped.items.length) line.skippedCounts = Object.fromEntries(skipped.counts);
      call.log.warn(line, "resources skipped as unreadable or another patient's (type and id named)");
    }
  }
}

/** A hook call to one service: the request, its response, and its parsed JSON body. */
export type ServiceCallHandler = (service: CdsService, req: IncomingMessage, res: ServerResponse, body: unknown, caller: VerifiedCaller | null) => Promise<void>;

/** POST /cds-services/{id} (routed by src/transport/hookPosts.ts): validate, call the service, answer with cards. */
export function serviceRoute(deps: ServiceRouteDeps): ServiceCallHandler {
  return async (service, req, res, body, caller) => {
    const summary = summaryOf(res);
    summary.serviceId = service.id;
    const { answer, suppressed, lang, patientId, now } = await callService(service, req, body, caller, summary, deps);
    const response = { cards: answer.cards.map((c) => c.card) };
    deps.cardLog?.record({ serviceId: service.id, language: lang, patientId, cards: answer.cards, now, hook: service.hook, suppressed, callerId: callerIdentity(caller) });
    for (const c of suppressed) deps.metrics?.cardsQuieted.inc({ kind: c.kind });
    for (const c of answer.cards) deps.metrics?.cards.inc({ kind: c.kind, indicator: c.card.indicator });
    if (deps.checkResponses) {
      const problems = deps.validator.problems('response', response);
      if (problems.length > 0) requestLogger(req, deps.logger).error({ serviceId: service.id, problems }, 'response does not match the response schema');
    }
    summary.cards = countKinds(answer.cards.map((c) => c.kind));
    summary.cardCount = answer.cards.length;
    sendJson(res, 200, JSON.stringify(response), { 'Cache-Control': 'no-store' });
  };
}
