import { codingsOf } from './codeableConcept.js';
import { isObject } from './json.js';

/**
 * A Condition's clinical and verification status, read leniently: R4 CodeableConcepts, and the plain
 * strings of STU3/DSTU2 ("active", "confirmed"). docs/clinical-rules.md §2 and §7.
 */

function statusCode(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim().toLowerCase() || undefined;
  if (!isObject(v)) return undefined;
  for (const coding of codingsOf(v)) {
    if (typeof coding.code === 'string' && coding.code.trim() !== '') return coding.code.trim().toLowerCase();
  }
  return undefined;
}

const EXCLUDED_VERIFICATION = new Set(['entered-in-error', 'refuted']);
const ACTIVE_CLINICAL = new Set(['active', 'recurrence', 'relapse']);
const UNCONFIRMED_VERIFICATION = new Set(['provisional', 'differential', 'unconfirmed']);

function verificationStatusOf(condition: unknown): string | undefined {
  return isObject(condition) ? statusCode(condition.verificationStatus) : undefined;
}

function clinicalStatusOf(condition: unknown): string | undefined {
  return isObject(condition) ? statusCode(condition.clinicalStatus) : undefined;
}

/**
 * The one "active condition" rule: not refuted or entered in error, and clinically active, recurrence or
 * relapse — or with no clinical status at all.
 */
export function isActiveCondition(condition: unknown): boolean {
  const verification = verificationStatusOf(condition);
  if (verification !== undefined && EXCLUDED_VERIFICATION.has(verification)) return false;
  const clinical = clinicalStatusOf(condition);
  return clinical === undefined || ACTIVE_CLINICAL.has(clinical);
}

/** Provisional, differential or unconfirmed (a work-up diagnosis). */
export function isUnconfirmed(condition: unknown): boolean {
  return UNCONFIRMED_VERIFICATION.has(verificationStatusOf(condition) ?? '');
}
