import express, { type RequestHandler } from 'express';
import { HttpError } from './operationOutcome.js';

/**
 * How deep a request body may nest (objects and arrays). A CDS Hooks request with FHIR resources stays
 * far below (prefetch → Bundle → entry → resource → component → referenceRange → appliesTo → coding is
 * about 15); deeper bodies would only overflow the stack of whatever walks them later (a copy of a
 * draft for an `update` suggestion, the response's serialisation) and are refused up front.
 */
export const MAX_BODY_DEPTH = 100;

/** Whether `value` nests deeper than `max` levels; iterative, so any depth is measured without recursion. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push({ v: child, depth: depth + 1 });
    }
  }
  return false;
}

/**
 * JSON body parsing with the configured limit, run after authentication so an unauthenticated caller
 * cannot make us parse 5 MB. A body that is not declared JSON is refused (415) rather than ignored; a
 * body nested deeper than MAX_BODY_DEPTH is refused (400).
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!req.is(['application/json', 'application/*+json'])) {
      next(new HttpError(415, 'not-supported', 'The request body must be JSON (Content-Type: application/json)'));
      return;
    }
    next();
  };
  const limitNesting: RequestHandler = (req, _res, next) => {
    if (nestsDeeperThan(req.body, MAX_BODY_DEPTH)) {
      next(new HttpError(400, 'structure', `The request body nests deeper than ${MAX_BODY_DEPTH} levels`));
      return;
    }
    next();
  };
  return [requireJson, express.json({ limit: limitBytes, type: ['application/json', 'application/*+json'], strict: true }), limitNesting];
}
