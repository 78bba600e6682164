/**
 * The data stage's word for "required data cannot be had" (https://cds-hooks.hl7.org/2.0/#prefetch-template,
 * docs/clinical-rules.md §7): it names each key and why, and transport answers 412 Precondition Failed.
 * The data stage never decides an HTTP status itself.
 */
export interface UnavailableKey {
  key: string;
  /** Human words for the data, e.g. "the patient's Conditions". */
  description: string;
  /** Why it could not be read; our own words: no URL, no token, no data values. */
  why: string;
}

export class RequiredDataUnavailable extends Error {
  readonly missing: readonly UnavailableKey[];

  constructor(missing: readonly UnavailableKey[]) {
    super(`Required data is unavailable: ${missing.map((m) => m.description).join('; ')}`);
    this.name = 'RequiredDataUnavailable';
    this.missing = missing;
  }
}
