/**
 * What one hook call read, for its one request log line: FHIR reads (key, time, outcome) and the keys
 * that were unavailable. Keys and timings only — never a URL, a token or a data value.
 */
export interface FhirRead {
  /** The prefetch key (or `medication0`… for referenced Medications). */
  key: string;
  ms: number;
  /** `ok`, or why it failed (`timeout`, `http-status`, …). */
  outcome: string;
  /** Resources read, when ok. */
  resources?: number;
}

export interface CallTrace {
  fhirReads: FhirRead[];
  /** Optional keys that could not be read (the cards that need them degrade). */
  unavailable: string[];
  /** Keys whose answer said some resources were withheld by consent or access rules (the cards say so). */
  withheld?: string[];
}

export function newCallTrace(): CallTrace {
  return { fhirReads: [], unavailable: [] };
}
