/**
 * Prefetch template tokens (https://cds-hooks.hl7.org/2.0/#prefetch-tokens): `{{context.X}}` for root-level primitive context
 * fields, and `{{userPractitionerId}}` & co. derived from `context.userId`. Values are URL-encoded so a
 * context value can never add query parameters or path segments (and one made only of dots, a path
 * segment of its own, is not used at all).
 */
import { isDotSegment } from '../model/json.js';

export type TemplateResult = { ok: true; query: string } | { ok: false; /** tokens that had no usable value */ unresolved: string[] };

const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** userId is a relative reference such as `Practitioner/abc`; each user token takes the id for one type. */
const USER_TOKENS: Record<string, string> = {
  userPractitionerId: 'Practitioner',
  userPractitionerRoleId: 'PractitionerRole',
  userPatientId: 'Patient',
  userRelatedPersonId: 'RelatedPerson',
};

function primitive(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

function tokenValue(token: string, context: Record<string, unknown>): string | undefined {
  if (token.startsWith('context.')) {
    const field = token.slice('context.'.length);
    // Only root-level fields: `context.a.b` is not a valid token (https://cds-hooks.hl7.org/2.0/#prefetch-tokens).
    if (field === '' || field.includes('.') || !Object.prototype.hasOwnProperty.call(context, field)) return undefined;
    return primitive(context[field]);
  }
  const type = USER_TOKENS[token];
  if (type === undefined) return undefined;
  const userId = primitive(context.userId);
  if (userId === undefined) return undefined;
  const m = /^([A-Za-z]+)\/([^/]+)$/.exec(userId);
  return m && m[1] === type ? m[2] : undefined;
}

/**
 * Replaces every token. An empty value counts as unresolved: `patient=` would search across all
 * patients. So does one made only of dots: in a path (`Patient/{{context.patientId}}`) `..` is the server's
 * base and `.` a search of every patient, never one resource. A template with an unresolved token cannot be run.
 */
export function substituteTemplate(template: string, context: Record<string, unknown>): TemplateResult {
  const unresolved: string[] = [];
  const query = template.replace(TOKEN, (_match, token: string) => {
    const value = tokenValue(token, context);
    if (value === undefined || isDotSegment(value)) {
      unresolved.push(token);
      return '';
    }
    return encodeURIComponent(value);
  });
  // A stray brace means a broken token such as `{{context.patientId}` that the pattern did not see.
  if (unresolved.length === 0 && /\{\{|\}\}/.test(query)) unresolved.push('(malformed token)');
  return unresolved.length > 0 ? { ok: false, unresolved } : { ok: true, query };
}
