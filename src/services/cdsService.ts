import type { Language } from '../config.js';
import type { HookRequestData, PrefetchTemplateSpec } from '../data/prefetchResolver.js';
import type { ServiceAnswer } from '../model/cdsResponse.js';
import type { HookName, HookRequest } from '../transport/hookRequest.js';

export interface ServiceCall {
  request: HookRequest;
  lang: Language;
  /** Epoch ms; injected so rules are testable at any date. */
  now: number;
}

/** One CDS service: what discovery announces, and how a call becomes cards. */
export interface CdsService {
  id: string;
  hook: HookName;
  title: string;
  description: string;
  usageRequirements?: string;
  prefetch: readonly PrefetchTemplateSpec[];
  call(call: ServiceCall): Promise<ServiceAnswer>;
}

/** The discovery entry (cds-hooks-2.0.md §1): optional fields omitted when empty. */
export function discoveryEntry(s: CdsService): Record<string, unknown> {
  const entry: Record<string, unknown> = { hook: s.hook, title: s.title, description: s.description, id: s.id };
  if (s.prefetch.length > 0) entry.prefetch = Object.fromEntries(s.prefetch.map((p) => [p.key, p.query]));
  if (s.usageRequirements) entry.usageRequirements = s.usageRequirements;
  return entry;
}

/** The request as the data stage reads it (a `prefetch: null` means no prefetch at all). */
export function requestData(request: HookRequest): HookRequestData {
  const data: HookRequestData = { context: request.context };
  if (request.fhirServer) data.fhirServer = request.fhirServer;
  if (request.fhirAuthorization) data.fhirAuthorization = request.fhirAuthorization;
  if (request.prefetch) data.prefetch = request.prefetch;
  return data;
}
