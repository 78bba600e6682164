import { codingsOf } from './codeableConcept.js';
import { isObject } from './json.js';

/**
 * A Condition's clinical and verification status, read leniently: R4 CodeableConcepts, a bare Coding in
 * their place, and the plain strings of STU3/DSTU2 ("active", "confirmed"). Without a code, a coding's display or the concept's text
 * counts when it is one of the status codes in words ("Resolved", "Entered in Error"); other text is no
 * status. docs/clinical-rules.md §2 and §7.
 */

/** The codes of each status, which a text or display may also spell out ("Resolved", "Entered in Error"). */
const CLINICAL_WORDS: ReadonlySet<string> = new Set(['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved']);
const VERIFICATION_WORDS: ReadonlySet<string> = new Set(['unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error']);

/** "Entered in Error" → "entered-in-error", if it is one of `words`. */
function statusWord(text: unknown, words: ReadonlySet<string>): string | undefined {
  if (typeof text !== 'string') return undefined;
  const word = text.trim().toLowerCase().replace(/[\s_]+/g, '-');
  return words.has(word) ? word : undefined;
}

function statusCode(v: unknown, words: ReadonlySet<string>): string | undefined {
  if (typeof v === 'string') return v.trim().toLowerCase() || undefined;
  if (!isObject(v)) return undefined;
  // A bare Coding where FHIR has a CodeableConcept ({system, code}): read as the coding it is, never as no status.
  if (v.coding === undefined && typeof v.code === 'string' && v.code.trim() !== '') return v.code.trim().toLowerCase();
  const codings = codingsOf(v);
  for (const coding of codings) {
    if (typeof coding.code === 'string' && coding.code.trim() !== '') return coding.code.trim().toLowerCase();
  }
  for (const coding of codings) {
    const word = statusWord(coding.display, words);
    if (word !== undefined) return word;
  }
  return statusWord(v.text, words);
}

/** abatement[x] (DSTU2's abatementBoolean: only when true): the condition has ended. */
function hasAbated(condition: Record<string, unknown>): boolean {
  if (condition.abatementBoolean === true) return true;
  return ['abatementDateTime', 'abatementAge', 'abatementPeriod', 'abatementRange', 'abatementString'].some((k) => condition[k] !== undefined && condition[k] !== null);
}

const EXCLUDED_VERIFICATION = new Set(['entered-in-error', 'refuted']);
const ACTIVE_CLINICAL = new Set(['active', 'recurrence', 'relapse']);
const UNCONFIRMED_VERIFICATION = new Set(['provisional', 'differential', 'unconfirmed']);

function verificationStatusOf(condition: unknown): string | undefined {
  return isObject(condition) ? statusCode(condition.verificationStatus, VERIFICATION_WORDS) : undefined;
}

function clinicalStatusOf(condition: unknown): string | undefined {
  return isObject(condition) ? statusCode(condition.clinicalStatus, CLINICAL_WORDS) : undefined;
}

/**
 * The one "active condition" rule: not refuted or entered in error, and clinically active, recurrence or
 * relapse — or with no clinical status at all and no abatement (FHIR's con-4: an abated condition is
 * inactive, resolved or in remission).
 */
export function isActiveCondition(condition: unknown): boolean {
  const verification = verificationStatusOf(condition);
  if (verification !== undefined && EXCLUDED_VERIFICATION.has(verification)) return false;
  const clinical = clinicalStatusOf(condition);
  if (clinical === undefined) return !(isObject(condition) && hasAbated(condition));
  return ACTIVE_CLINICAL.has(clinical);
}

/** In remission (and neither refuted nor entered in error): for dependence, still on record (maintenance treatment). */
export function isInRemission(condition: unknown): boolean {
  return !isRefutedOrInError(condition) && clinicalStatusOf(condition) === 'remission';
}

/** Refuted or entered in error: the Condition says nothing about the patient. */
export function isRefutedOrInError(condition: unknown): boolean {
  return EXCLUDED_VERIFICATION.has(verificationStatusOf(condition) ?? '');
}

/** Provisional, differential or unconfirmed (a work-up diagnosis). */
export function isUnconfirmed(condition: unknown): boolean {
  return UNCONFIRMED_VERIFICATION.has(verificationStatusOf(condition) ?? '');
}
