import express, { type RequestHandler } from 'express';
import { HttpError } from './operationOutcome.js';

/**
 * JSON body parsing with the configured limit, run after authentication so an unauthenticated caller
 * cannot make us parse 5 MB. A body that is not declared JSON is refused (415) rather than ignored.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!req.is(['application/json', 'application/*+json'])) {
      next(new HttpError(415, 'not-supported', 'The request body must be JSON (Content-Type: application/json)'));
      return;
    }
    next();
  };
  return [requireJson, express.json({ limit: limitBytes, type: ['application/json', 'application/*+json'], strict: true })];
}
