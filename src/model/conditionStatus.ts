import { codingsOf } from './codeableConcept.js';
import { isObject } from './json.js';

/**
 * A Condition's clinical and verification status, read leniently: R4 CodeableConcepts, a bare Coding in
 * their place, and the plain strings of STU3/DSTU2 ("active", "confirmed"). Without a code, a coding's display
 * or the concept's text counts when it is one of the status codes in words ("Resolved", "Entered in Error") or
 * one of the other words terminology/condition-status-words.json lists for it ("Afkræftet"); other text is no
 * status. docs/clinical-rules.md §2 and §7.
 */

/** The codes of each status, which a text or display may also spell out ("Resolved", "Entered in Error"). */
const CLINICAL_CODES = ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'] as const;
const VERIFICATION_CODES = ['unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error'] as const;

/** Words for each status code besides the code itself (terminology/condition-status-words.json). */
export interface ConditionStatusWords {
  readonly clinical: Readonly<Record<(typeof CLINICAL_CODES)[number], readonly string[]>>;
  readonly verification: Readonly<Record<(typeof VERIFICATION_CODES)[number], readonly string[]>>;
}

/** "Entered in Error", "ikke  aktiv" → "entered-in-error", "ikke-aktiv": words compared alike whatever their spacing. */
function wordKey(text: string): string {
  return text.normalize('NFC').trim().toLowerCase().replace(/[\s_-]+/g, '-');
}

function wordIndex(codes: readonly string[], words: Readonly<Record<string, readonly string[]>>): ReadonlyMap<string, string> {
  const index = new Map<string, string>();
  for (const code of codes) index.set(wordKey(code), code);
  for (const code of codes) {
    for (const w of words[code] ?? []) {
      // A word listed for two statuses would let the file's order decide: refused at start.
      const taken = index.get(wordKey(w));
      if (taken !== undefined && taken !== code) throw new Error(`condition status word "${w}" is listed for both ${taken} and ${code}`);
      index.set(wordKey(w), code);
    }
  }
  return index;
}

/** The status a text names, if it is one of the words of `index`. */
function statusWord(text: unknown, index: ReadonlyMap<string, string>): string | undefined {
  return typeof text === 'string' ? index.get(wordKey(text)) : undefined;
}

function statusCode(v: unknown, index: ReadonlyMap<string, string>): string | undefined {
  // A plain string (STU3/DSTU2) is a code, or one of the words ("Afkræftet", "Entered in Error").
  if (typeof v === 'string') return index.get(wordKey(v)) ?? (v.trim().toLowerCase() || undefined);
  if (!isObject(v)) return undefined;
  // A bare Coding where FHIR has a CodeableConcept ({system, code}): read as the coding it is, never as no status.
  if (v.coding === undefined && typeof v.code === 'string' && v.code.trim() !== '') return v.code.trim().toLowerCase();
  const codings = codingsOf(v);
  for (const coding of codings) {
    if (typeof coding.code === 'string' && coding.code.trim() !== '') return coding.code.trim().toLowerCase();
  }
  for (const coding of codings) {
    const word = statusWord(coding.display, index);
    if (word !== undefined) return word;
  }
  return statusWord(v.text, index);
}

/** abatement[x] (DSTU2's abatementBoolean: only when true): the condition has ended. */
function hasAbated(condition: Record<string, unknown>): boolean {
  if (condition.abatementBoolean === true) return true;
  return ['abatementDateTime', 'abatementAge', 'abatementPeriod', 'abatementRange', 'abatementString'].some((k) => condition[k] !== undefined && condition[k] !== null);
}

const EXCLUDED_VERIFICATION = new Set(['entered-in-error', 'refuted']);
const ACTIVE_CLINICAL = new Set(['active', 'recurrence', 'relapse']);
const UNCONFIRMED_VERIFICATION = new Set(['provisional', 'differential', 'unconfirmed']);

/** The status rules, with the status words of terminology/condition-status-words.json (loaded once at start). */
export class ConditionStatuses {
  private readonly clinicalWords: ReadonlyMap<string, string>;
  private readonly verificationWords: ReadonlyMap<string, string>;

  constructor(words: ConditionStatusWords) {
    this.clinicalWords = wordIndex(CLINICAL_CODES, words.clinical);
    this.verificationWords = wordIndex(VERIFICATION_CODES, words.verification);
  }

  private verificationOf(condition: unknown): string | undefined {
    return isObject(condition) ? statusCode(condition.verificationStatus, this.verificationWords) : undefined;
  }

  private clinicalOf(condition: unknown): string | undefined {
    return isObject(condition) ? statusCode(condition.clinicalStatus, this.clinicalWords) : undefined;
  }

  /**
   * The one "active condition" rule: not refuted or entered in error, and clinically active, recurrence or
   * relapse — or with no clinical status at all and no abatement (FHIR's con-4: an abated condition is
   * inactive, resolved or in remission).
   */
  isActive(condition: unknown): boolean {
    if (this.isRefutedOrInError(condition)) return false;
    const clinical = this.clinicalOf(condition);
    if (clinical === undefined) return !(isObject(condition) && hasAbated(condition));
    return ACTIVE_CLINICAL.has(clinical);
  }

  /** In remission (and neither refuted nor entered in error): for dependence, still on record (maintenance treatment). */
  isInRemission(condition: unknown): boolean {
    return !this.isRefutedOrInError(condition) && this.clinicalOf(condition) === 'remission';
  }

  /** Refuted or entered in error: the Condition says nothing about the patient. */
  isRefutedOrInError(condition: unknown): boolean {
    return EXCLUDED_VERIFICATION.has(this.verificationOf(condition) ?? '');
  }

  /** Provisional, differential or unconfirmed (a work-up diagnosis). */
  isUnconfirmed(condition: unknown): boolean {
    return UNCONFIRMED_VERIFICATION.has(this.verificationOf(condition) ?? '');
  }
}
