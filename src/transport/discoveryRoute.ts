import type { RequestHandler } from 'express';
import { discoveryEntry, type CdsService } from '../model/cdsService.js';

/** GET /cds-services: open to all (cds-hooks-2.0.md §1), computed once. */
export function discoveryRoute(services: readonly CdsService[]): RequestHandler {
  const body = JSON.stringify({ services: services.map(discoveryEntry) });
  return (_req, res) => {
    res.type('application/json').send(body);
  };
}
