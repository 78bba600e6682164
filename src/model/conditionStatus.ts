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
const CLINICAL_CODE_SET: ReadonlySet<string> = new Set(CLINICAL_CODES);
const VERIFICATION_CODE_SET: ReadonlySet<string> = new Set(VERIFICATION_CODES);

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

/**
 * The status a value gives. A coding's code counts when it is one of FHIR's status codes, whatever its
 * system; a code that is not (a local system's "3" displayed "Afkræftet") gives way to the displays and
 * the text, so a local coding is read by its words rather than taken for an unknown status. Only when
 * nothing is readable does the first such code stand, as a status that is none of the known ones.
 */
function statusCode(v: unknown, index: ReadonlyMap<string, string>, codes: ReadonlySet<string>): string | undefined {
  // A plain string (STU3/DSTU2) is a code, or one of the words ("Afkræftet", "Entered in Error").
  if (typeof v === 'string') return index.get(wordKey(v)) ?? (v.trim().toLowerCase() || undefined);
  if (!isObject(v)) return undefined;
  // A bare Coding where FHIR has a CodeableConcept ({system, code}): read as the coding it is.
  const codings = v.coding === undefined && typeof v.code === 'string' ? [v] : codingsOf(v);
  let unknownCode: string | undefined;
  for (const coding of codings) {
    const code = typeof coding.code === 'string' ? coding.code.trim().toLowerCase() : '';
    if (codes.has(code)) return code;
    if (code !== '') unknownCode ??= code;
  }
  for (const coding of codings) {
    const word = statusWord(coding.display, index);
    if (word !== undefined) return word;
  }
  return statusWord(v.text, index) ?? unknownCode;
}

/** abatement[x] (DSTU2's abatementBoolean: only when true; DSTU2's abatementQuantity is R4's abatementAge): the condition has ended. */
function hasAbated(condition: Record<string, unknown>): boolean {
  if (condition.abatementBoolean === true) return true;
  return ['abatementDateTime', 'abatementAge', 'abatementQuantity', 'abatementPeriod', 'abatementRange', 'abatementString'].some((k) => condition[k] !== undefined && condition[k] !== null);
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
    return isObject(condition) ? statusCode(condition.verificationStatus, this.verificationWords, VERIFICATION_CODE_SET) : undefined;
  }

  private clinicalOf(condition: unknown): string | undefined {
    return isObject(condition) ? statusCode(condition.clinicalStatus, this.clinicalWords, CLINICAL_CODE_SET) : undefined;
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
