import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { projectPath } from '../projectRoot.js';
import { badRequest, type HttpError } from './operationOutcome.js';

// ajv-formats is CommonJS; its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type SchemaName = 'discovery' | 'request' | 'response' | 'feedback';

function loadSchema(name: SchemaName): object {
  return JSON.parse(readFileSync(projectPath('schemas', `${name}.schema.json`), 'utf8')) as object;
}

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

/** The CDS Hooks JSON Schemas in schemas/, compiled once. */
export class SchemaValidator {
  private readonly validators: Record<SchemaName, ValidateFunction>;

  constructor() {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
    addFormats(ajv);
    this.validators = {
      discovery: ajv.compile(loadSchema('discovery')),
      request: ajv.compile(loadSchema('request')),
      response: ajv.compile(loadSchema('response')),
      feedback: ajv.compile(loadSchema('feedback')),
    };
  }

  /** Human-readable problems, empty when valid. */
  problems(name: SchemaName, data: unknown): string[] {
    const v = this.validators[name];
    return v(data) ? [] : informative(v.errors ?? []).map(describe);
  }

  /** Throws 400 with an OperationOutcome naming the first offending field. */
  assertValid(name: SchemaName, data: unknown): void {
    const v = this.validators[name];
    if (v(data)) return;
    const errors = informative(v.errors ?? []).slice(0, 10);
    const first = errors[0];
    const err: HttpError = badRequest(
      first ? `Invalid ${name}: ${describe(first)}` : `Invalid ${name}`,
      first ? [expressionOf(first)] : undefined,
    );
    for (const e of errors.slice(1)) {
      err.issues.push({ severity: 'error', code: 'invalid', diagnostics: describe(e), expression: [expressionOf(e)] });
    }
    throw err;
  }
}
