import type { IncomingMessage, ServerResponse } from 'node:http';
import bodyParser from 'body-parser';
import { heapAdmits, v8HeapUse, type HeapUseReader } from './heapAdmission.js';
import { HttpError } from './operationOutcome.js';

declare module 'http' {
  interface IncomingMessage {
    /** The parsed JSON body (body-parser); undefined when there is none or it is not JSON. */
    body?: unknown;
  }
}

/**
 * How deep a request body may nest (objects and arrays). A CDS Hooks request with FHIR resources stays
 * far below (prefetch → Bundle → entry → resource → component → referenceRange → appliesTo → coding is
 * about 15); deeper bodies would only overflow the stack of whatever walks them later (a copy of a
 * draft for an `update` suggestion, the response's serialisation) and are refused up front.
 */
export const MAX_BODY_DEPTH = 100;

/**
 * Whether `value` nests deeper than `max` levels. Recursive, but never more than `max` calls deep: the
 * walk stops at the first container below the limit. It walks every body, so it allocates nothing and
 * uses for-in rather than a list of values (~20 % faster than an explicit stack on a patient-view body).
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  return max < 1 || containsDeeperThan(value, max - 1);
}

/** Whether a container inside `container` has containers `levelsLeft` or more levels below it. */
function containsDeeperThan(container: object, levelsLeft: number): boolean {
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) {
      const child: unknown = container[i];
      if (child !== null && typeof child === 'object' && (levelsLeft === 0 || containsDeeperThan(child, levelsLeft - 1))) return true;
    }
    return false;
  }
  const record = container as Record<string, unknown>;
  for (const key in record) {
    const child = record[key];
    if (child !== null && typeof child === 'object' && (levelsLeft === 0 || containsDeeperThan(child, levelsLeft - 1))) return true;
  }
  return false;
}

/** The JSON media types the parser reads (as its `type` option): a request of these without a body is a 400, not a 415. */
const JSON_TYPE = /^\s*application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * A client that waits for "100 Continue" (`Expect: 100-continue`) before sending a body it declares larger than
 * the limit. Answered 413 at once, before a byte of the body is read (app.ts's `checkContinue`), and the
 * connection closed after it. Left to body-parser, it would be sent "100 Continue" and the whole declared body
 * read and thrown away (up to the request timeout) before the 413.
 */
export function waitsToSendTooMuch(req: IncomingMessage, limitBytes: number): boolean {
  const declared = Number(req.headers['content-length']);
  return declared > limitBytes && /100-continue/i.test(req.headers.expect ?? '');
}

/** Reads a request's JSON body: the parsed value, or an error for the error answer. */
export type JsonBodyReader = (req: IncomingMessage, res: ServerResponse) => Promise<unknown>;

/**
 * JSON body parsing (body-parser) with the configured limit, run after authentication so an
 * unauthenticated caller cannot make us parse 5 MB. A body that is not declared JSON (or absent) is
 * refused (415) rather than ignored; a body nested deeper than MAX_BODY_DEPTH is refused (400); a body the
 * heap has no room for now is refused (503 with Retry-After, src/transport/heapAdmission.ts).
 *
 * The parsed body is handed over and taken off `req` at once. An IncomingMessage that waited through a
 * young-generation collection (its body still arriving, or other calls ahead of it) lives in the old
 * generation, and whatever hangs off an old object survives every young collection until the next full
 * one, dead or not. Left on `req`, each parsed body (~350 KB for 200 Observations) was kept and copied
 * that way: at 10 connections young collections took ~6 ms instead of ~1 ms (bench/README.md).
 */
export function jsonBody(limitBytes: number, heapUse: HeapUseReader = v8HeapUse): JsonBodyReader {
  const parse = bodyParser.json({
    limit: limitBytes,
    type: ['application/json', 'application/*+json'],
    strict: true,
    // Called with the whole body, before it is parsed: a body the heap has no room for is refused (503).
    verify: (_req, res, buf) => {
      if (heapAdmits(buf.length, heapUse())) return;
      res.setHeader('Retry-After', '1');
      throw new HttpError(503, 'transient', 'The service is busy (its memory is taken by calls in flight): send the call again shortly');
    },
  });
  return (req, res) =>
    new Promise((resolve, reject) => {
      if (waitsToSendTooMuch(req, limitBytes)) {
        res.setHeader('Connection', 'close');
        // body-parser's own error for a body over the limit: answered as every 413 is (errorHandler).
        reject(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413 }));
        return;
      }
      parse(req, res, (err?: unknown) => {
        const body: unknown = req.body;
        req.body = undefined;
        if (err !== undefined && err !== null) reject(err);
        // body-parser leaves the body undefined when there is none or its type is not JSON: say which.
        else if (body === undefined && JSON_TYPE.test(req.headers['content-type'] ?? '')) reject(new HttpError(400, 'required', 'The request has no body: a JSON object is expected'));
        else if (body === undefined) reject(new HttpError(415, 'not-supported', 'The request body must be JSON (Content-Type: application/json)'));
        else if (nestsDeeperThan(body, MAX_BODY_DEPTH)) reject(new HttpError(400, 'structure', `The request body nests deeper than ${MAX_BODY_DEPTH} levels`));
        else resolve(body);
      });
    });
}
