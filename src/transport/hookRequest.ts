/** A CDS Hooks request body after schemas/request.schema.json accepted it. */
export interface HookRequest {
  hook: string;
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: { access_token: string; token_type?: string; expires_in?: number; scope?: string; subject?: string; patient?: string };
  context: Record<string, unknown>;
  prefetch?: Record<string, unknown> | null;
}

export type HookName = 'patient-view' | 'order-select' | 'order-sign';
