import type { Request, RequestHandler } from 'express';
import type { Config } from '../config.js';
import { nonBlank } from '../model/json.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { pickLanguage } from '../render/language.js';
import type { CdsService } from '../services/cdsService.js';
import type { CardLog } from '../store/cardLog.js';
import type { HookRequest } from './hookRequest.js';
import { badRequest, notFound } from './operationOutcome.js';
import type { SchemaValidator } from './schemaValidation.js';

export interface ServiceRouteDeps {
  config: Config;
  logger: Logger;
  validator: SchemaValidator;
  clock: () => number;
  /** Validate every response against schemas/response.schema.json (tests and development). */
  checkResponses: boolean;
  /** Every issued card is logged (off the request path: an in-memory batch, written by a timer). */
  cardLog?: CardLog;
  metrics?: Metrics;
}

/** Resolves `:id` to a service or 404, before authentication and body parsing. */
export function findService(services: readonly CdsService[]): (req: Request) => CdsService {
  const byId = new Map(services.map((s) => [s.id, s]));
  return (req) => {
    const id = String(req.params.id ?? '');
    const service = byId.get(id);
    if (!service) throw notFound(`Unknown CDS service "${id.slice(0, 100)}"`);
    return service;
  };
}

/** POST /cds-services/{id}: validate, route by service id, answer with cards. */
export function serviceRoute(services: readonly CdsService[], deps: ServiceRouteDeps): RequestHandler {
  const lookup = findService(services);
  return async (req, res) => {
    const service = lookup(req);
    const body: unknown = req.body;
    deps.validator.assertValid('request', body);
    const request = body as HookRequest;
    // The sandbox may send a stale `hook` (cds-hooks-2.0.md §3.4): route by id, refuse a mismatch.
    if (request.hook !== service.hook) {
      throw badRequest(`Service ${service.id} answers hook "${service.hook}", not "${request.hook.slice(0, 100)}"`, ['hook']);
    }
    const started = process.hrtime.bigint();
    const lang = pickLanguage(deps.config.language, req.get('accept-language'));
    const answer = await service.call({ request, lang, now: deps.clock() });
    const response = { cards: answer.cards.map((c) => c.card) };
    deps.cardLog?.record({ serviceId: service.id, language: lang, patientId: nonBlank(request.context.patientId), cards: answer.cards, now: deps.clock() });
    for (const c of answer.cards) deps.metrics?.cards.inc({ kind: c.kind, indicator: c.card.indicator });
    if (deps.checkResponses) {
      const problems = deps.validator.problems('response', response);
      if (problems.length > 0) deps.logger.error({ serviceId: service.id, problems }, 'response does not match the response schema');
    }
    deps.logger.info(
      { serviceId: service.id, hook: service.hook, cards: response.cards.map((c) => c.source.topic?.code), ms: Number(process.hrtime.bigint() - started) / 1e6 },
      'cds call answered',
    );
    res.set('Cache-Control', 'no-store').type('application/json').send(JSON.stringify(response));
  };
}
