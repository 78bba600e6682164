/**
 * A CDS Hooks request as transport hands it on, after schemas/request.schema.json accepted it and its
 * `hook` matched the service's (https://cds-hooks.hl7.org/2.0/#http-request). One typed context per hook,
 * so no stage casts `context`. Only what the schema guarantees is typed; unknown fields (`extension`) stay.
 */

export type HookName = 'patient-view' | 'order-select' | 'order-sign';

export interface FhirAuthorization {
  access_token: string;
  token_type?: string;
  /** Not read; some EHRs send it as text. */
  expires_in?: number | string;
  scope?: string;
  subject?: string;
  patient?: string;
}

/** `context.draftOrders`: a Bundle whose entries are objects; nothing else about them is assumed. */
export interface DraftOrdersBundle {
  resourceType: 'Bundle';
  entry?: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

interface ContextBase {
  userId: string;
  patientId: string;
  /** Not read: any text is accepted. */
  encounterId?: string;
  [field: string]: unknown;
}

/** https://cds-hooks.org/hooks/patient-view/ */
export type PatientViewContext = ContextBase;

/**
 * https://cds-hooks.org/hooks/order-select/ — `selections` and `draftOrders` come together or not at all
 * (the sandbox re-sends a context of only patientId and userId when its active tab is clicked again).
 */
export interface OrderSelectContext extends ContextBase {
  selections?: string[];
  draftOrders?: DraftOrdersBundle;
}

/** https://cds-hooks.org/hooks/order-sign/ */
export interface OrderSignContext extends ContextBase {
  draftOrders?: DraftOrdersBundle;
}

export interface HookContexts {
  'patient-view': PatientViewContext;
  'order-select': OrderSelectContext;
  'order-sign': OrderSignContext;
}

/** What every hook's request has beside its context. `prefetch: null` means no prefetch at all. */
export interface HookRequestEnvelope {
  hook: string;
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: FhirAuthorization;
  prefetch?: Record<string, unknown> | null;
  context: ContextBase;
}

/** The request of hook H; `HookRequest` (all hooks) is a union discriminated by `hook`. */
export type HookRequest<H extends HookName = HookName> = {
  [K in H]: HookRequestEnvelope & { hook: K; context: HookContexts[K] };
}[H];
