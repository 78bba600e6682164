import type { Logger } from 'pino';
import type { CallTrace } from './callTrace.js';
import type { CardFacts, ServiceAnswer } from './cdsResponse.js';
import type { HookName, HookRequest } from './hookRequest.js';
import type { OlderFhirVersion } from './fhirVersion.js';
import type { Language } from './language.js';
import type { SkippedResources } from './skipped.js';

/**
 * The contract between transport and the services (types only, so transport needs no service code):
 * what discovery announces, and one hook call in, cards out.
 */

/** A key's search as an older FHIR version writes it (PrefetchTemplateSpec.olderVersions). */
export interface OlderVersionSearch {
  version: OlderFhirVersion;
  query: string;
  fhirServerQuery?: string;
}

/** One prefetch template (https://cds-hooks.hl7.org/2.0/#prefetch-template) and whether the service can answer without it. */
export interface PrefetchTemplateSpec {
  key: string;
  /** The prefetch template discovery announces (the spec's recommended query subset: no `_include`). */
  query: string;
  /**
   * The template to run against fhirServer when the key was not prefetched, if not `query`: the same
   * matches plus what saves a second round trip (`_include` of referenced resources). A server that
   * refuses it (HTTP 400) is asked `query` instead.
   */
  fhirServerQuery?: string;
  /**
   * The same search in older FHIR versions, each with its own fhirServerQuery (DSTU2 MedicationOrder where R4
   * and STU3 have MedicationRequest; DSTU2 DiagnosticOrder and STU3 ProcedureRequest where R4 has
   * ServiceRequest): asked from fhirServer in this order, each only after the server answered that it does not
   * know the resource type of the search before it (HTTP 404, or 400 saying so), within the same deadline.
   * Never announced.
   */
  olderVersions?: readonly OlderVersionSearch[];
  /** Required: unavailable → 412. Optional: unavailable → the key is left out and the cards that need it degrade. */
  required: boolean;
  /** Human words for 412 messages, e.g. "the patient's Conditions". */
  description: string;
}

/**
 * What clinicians already answered for this patient (quiet by design, docs/clinical-rules.md §6), read
 * from the store once per hook call. A flagged result is named by its card fact "observationId:value".
 */
export interface AnsweredResults {
  /** Its screening-abnormal card was overridden as "already addressed" or "not relevant" (§3.2). */
  isFlagAnswered(flag: string): boolean;
  /**
   * Whether a patient-view card of this kind and these facts would be quieted in this call (§6): a card
   * that lists what no quieted card may hide (the not-assessable results) must know it before it is built.
   */
  isCardQuiet(kind: string, facts: CardFacts): boolean;
}

export const NOTHING_ANSWERED: AnsweredResults = { isFlagAnswered: () => false, isCardQuiet: () => false };

export interface ServiceCall<H extends HookName = HookName> {
  request: HookRequest<H>;
  lang: Language;
  /** Epoch ms; injected so rules are testable at any date. */
  now: number;
  /** The request's logger (its lines carry the request id); never give it tokens or patient data. */
  log: Logger;
  /** The call's one deadline (FHIR_REQUEST_DEADLINE_MS): every FHIR read of the call stops when it aborts. */
  signal: AbortSignal;
  /** What the data stage read, for the request's log line. */
  trace: CallTrace;
  /** Resources readers could not read; transport logs them in one warning line. */
  skipped: SkippedResources;
  /** Quiet by design (§6): the patient's answered results (one store read, started by transport); absent = none. */
  answered?: () => Promise<AnsweredResults>;
}

/** One CDS service: what discovery announces, and how a call becomes cards. */
export interface CdsService<H extends HookName = HookName> {
  id: string;
  hook: H;
  title: string;
  description: string;
  usageRequirements?: string;
  prefetch: readonly PrefetchTemplateSpec[];
  call(call: ServiceCall<H>): Promise<ServiceAnswer>;
}

/** The discovery entry (https://cds-hooks.hl7.org/2.0/#response): optional fields omitted when empty. */
export function discoveryEntry(s: CdsService): Record<string, unknown> {
  const entry: Record<string, unknown> = { hook: s.hook, title: s.title, description: s.description, id: s.id };
  if (s.prefetch.length > 0) entry.prefetch = Object.fromEntries(s.prefetch.map((p) => [p.key, p.query]));
  if (s.usageRequirements) entry.usageRequirements = s.usageRequirements;
  return entry;
}
