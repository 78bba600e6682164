import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { derivedSchemaValidator, schemaValidator } from '../jsonSchemas.js';
import { draftsOfAnotherPatient, draftsSharingAName, unmatchedSelections } from '../data/draftOrders.js';
import type { HookName, HookRequest } from '../model/hookRequest.js';
import { isObject } from '../model/json.js';
import { badRequest, type HttpError } from './operationOutcome.js';

/**
 * order-select's `selections` must name entries of `draftOrders` (CDS Hooks: "they reference entries in
 * draftOrders"). One that names none is the EHR's error: answered 400 rather than an empty answer that
 * looks like "no advice" (a draft without an id is named by its `fullUrl`). The answer and the log line
 * name the selections by their place in the list, never by what they say (free text the caller sent).
 */
function assertSelectionsNameDrafts(context: unknown): void {
  if (!isObject(context) || !Array.isArray(context.selections)) return;
  const unmatched = unmatchedSelections(context.draftOrders, context.selections);
  if (unmatched.length === 0) return;
  throw fieldsBadRequest(
    unmatched.map((i) => `context.selections[${i}]`),
    'names no entry of draftOrders (by Type/id or fullUrl)',
  );
}

/** 400 naming the first three fields by their place (and how many more), never quoting what they hold. */
function fieldsBadRequest(fields: readonly string[], problem: string): HttpError {
  const named = fields.slice(0, 3);
  return badRequest(`${named.join(', ')}${fields.length > 3 ? ` and ${fields.length - 3} more` : ''}: ${problem}`, named);
}

/**
 * A draft order for another patient than `context.patientId` is the EHR's error: its card would weigh it
 * against this patient's diagnoses and medication. 400 naming the drafts by their place, as prefetched
 * resources of another patient are refused (412 naming the key).
 */
function assertDraftsAreThePatients(context: unknown): void {
  if (!isObject(context)) return;
  const fields = draftsOfAnotherPatient(context.draftOrders, context.patientId);
  if (fields.length > 0) throw fieldsBadRequest(fields, 'an order for another patient than context.patientId');
}

/**
 * Two different medication orders by one name (their id, whichever order type, or fullUrl) are the EHR's error:
 * selections and the cards' suggestions (change or delete this order) name an order by it. 400 naming the
 * later ones by their place. The same order listed twice is read once (src/data/draftOrders.ts).
 */
function assertDraftNamesAreUnique(context: unknown): void {
  if (!isObject(context)) return;
  const fields = draftsSharingAName(context.draftOrders);
  if (fields.length > 0) throw fieldsBadRequest(fields, 'another medication order by the same id or fullUrl as an earlier entry');
}

/** Optional fields of CDS Hooks 2.0 that an EHR's serializer may write as `null`: read as absent (`prefetch: null` is its own case). */
const NULLABLE_FIELDS = ['fhirServer', 'fhirAuthorization', 'extension'] as const;
const NULLABLE_CONTEXT_FIELDS = ['encounterId'] as const;

/**
 * The request with an optional field sent as `null` ("fhirServer": null, "encounterId": null, as .NET and Java
 * serializers write an unset field), or a blank fhirServer, left out, so it reads as absent rather than failing the call. The body
 * itself is not changed; a copy is made only when there is such a field.
 */
function withoutNullOptionals(body: unknown): unknown {
  if (!isObject(body)) return body;
  // An empty fhirServer ("", as serializers write an unset text) is no server, as null is.
  const nullTop = NULLABLE_FIELDS.filter((k) => body[k] === null || (k === 'fhirServer' && typeof body[k] === 'string' && body[k].trim() === ''));
  const context = body.context;
  const nullContext = isObject(context) ? NULLABLE_CONTEXT_FIELDS.filter((k) => context[k] === null) : [];
  if (nullTop.length === 0 && nullContext.length === 0) return body;
  const out = { ...body };
  for (const k of nullTop) delete out[k];
  if (isObject(context) && nullContext.length > 0) {
    const ctx = { ...context };
    for (const k of nullContext) delete ctx[k];
    out.context = ctx;
  }
  return out;
}

export type SchemaName = 'discovery' | 'request' | 'response' | 'feedback';

/** JSON Pointer "/context/patientId" → FHIRPath-like "context.patientId" for OperationOutcome.expression. */
function expressionOf(e: ErrorObject): string {
  const parts = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = e.keyword === 'required' || e.keyword === 'dependentRequired' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
  if (missing) parts.push(missing);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(body)';
}

function describe(e: ErrorObject): string {
  return `${expressionOf(e)}: ${e.message ?? 'is invalid'}`;
}

/** Errors that only say "must match then/if schema" repeat a deeper one; keep the informative ones. */
function informative(errors: ErrorObject[]): ErrorObject[] {
  const useful = errors.filter((e) => !['if', 'allOf', 'oneOf', 'anyOf'].includes(e.keyword));
  return useful.length > 0 ? useful : errors;
}

/** A feedback body after schemas/feedback.schema.json accepted it (https://cds-hooks.hl7.org/2.0/#feedback). */
export interface FeedbackBody {
  feedback: Array<{
    card: string;
    outcome: 'accepted' | 'overridden';
    acceptedSuggestions?: Array<{ id: string }>;
    overrideReason?: { reason?: { system?: string; code: string; display?: string }; userComment?: string };
    outcomeTimestamp: string;
  }>;
}

const REQUEST_SCHEMA_ID = 'urn:nkr-pain-cds:schema:request';

/** The request schema with `hook` fixed, one object per hook (so each is compiled once). */
const fixedHook = (hook: HookName): object => ({ allOf: [{ $ref: REQUEST_SCHEMA_ID }], properties: { hook: { const: hook } } });
const REQUEST_OF_HOOK: { [H in HookName]: object } = {
  'patient-view': fixedHook('patient-view'),
  'order-select': fixedHook('order-select'),
  'order-sign': fixedHook('order-sign'),
};

/** The CDS Hooks JSON Schemas in schemas/, compiled once. */
export class SchemaValidator {
  private readonly validators: Record<SchemaName, ValidateFunction>;
  /** The request schema with `hook` fixed: a request that passes is the typed request of that hook. */
  private readonly requestOf: { [H in HookName]: ValidateFunction<HookRequest<H>> };
  private readonly feedbackBody: ValidateFunction<FeedbackBody>;

  constructor() {
    this.feedbackBody = schemaValidator<FeedbackBody>('feedback');
    this.validators = {
      discovery: schemaValidator('discovery'),
      request: schemaValidator('request'),
      response: schemaValidator('response'),
      feedback: this.feedbackBody,
    };
    const forHook = <H extends HookName>(hook: H): ValidateFunction<HookRequest<H>> =>
      derivedSchemaValidator<HookRequest<H>>(REQUEST_OF_HOOK[hook], ['request']);
    this.requestOf = { 'patient-view': forHook('patient-view'), 'order-select': forHook('order-select'), 'order-sign': forHook('order-sign') };
  }

  /**
   * The request of a service answering `hook`, typed: 400 naming the first offending field when the body
   * does not match schemas/request.schema.json, or when it was sent for another hook (the sandbox may
   * send a stale `hook`: we route by service id and refuse a mismatch).
   */
  parseRequest<H extends HookName>(hook: H, serviceId: string, body: unknown): HookRequest<H> {
    const data = withoutNullOptionals(body);
    this.assertValid('request', data);
    const validate: ValidateFunction<HookRequest<H>> = this.requestOf[hook];
    if (validate(data)) {
      if (hook === 'order-select') assertSelectionsNameDrafts(data.context);
      if (hook !== 'patient-view') {
        assertDraftsAreThePatients(data.context);
        assertDraftNamesAreUnique(data.context);
      }
      return data;
    }
    // The sent hook is named only when it is one of ours (the sandbox's stale order-select): any other text the
    // caller sent is not quoted, in the answer or the log line.
    const sent = isObject(data) && typeof data.hook === 'string' && Object.hasOwn(REQUEST_OF_HOOK, data.hook) ? `"${data.hook}"` : 'another hook';
    throw badRequest(`Service ${serviceId} answers hook "${hook}", not ${sent}`, ['hook']);
  }

  /** A feedback body, typed; 400 as `assertValid` when it does not match schemas/feedback.schema.json. */
  parseFeedback(data: unknown): FeedbackBody {
    if (this.feedbackBody(data)) return data;
    throw invalid('feedback', this.feedbackBody);
  }

  /** Human-readable problems, empty when valid. */
  problems(name: SchemaName, data: unknown): string[] {
    const v = this.validators[name];
    return v(data) ? [] : informative(v.errors ?? []).map(describe);
  }

  /** Throws 400 with an OperationOutcome naming the first offending field. */
  assertValid(name: SchemaName, data: unknown): void {
    const v = this.validators[name];
    if (!v(data)) throw invalid(name, v);
  }
}

/** 400 with an OperationOutcome naming the first offending field (and up to nine more as extra issues). */
function invalid(name: SchemaName, v: ValidateFunction): HttpError {
  const errors = informative(v.errors ?? []).slice(0, 10);
  const first = errors[0];
  const err: HttpError = badRequest(first ? `Invalid ${name}: ${describe(first)}` : `Invalid ${name}`, first ? [expressionOf(first)] : undefined);
  for (const e of errors.slice(1)) {
    err.issues.push({ severity: 'error', code: 'invalid', diagnostics: describe(e), expression: [expressionOf(e)] });
  }
  return err;
}
