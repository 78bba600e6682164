import type { RequestHandler } from 'express';
import { discoveryEntry, type CdsService } from '../model/cdsService.js';

/** GET /cds-services: open to all (https://cds-hooks.hl7.org/2.0/#discovery), computed once. */
export function discoveryRoute(services: readonly CdsService[]): RequestHandler {
  const body = JSON.stringify({ services: services.map(discoveryEntry) });
  return (_req, res) => {
    res.type('application/json').send(body);
  };
}
