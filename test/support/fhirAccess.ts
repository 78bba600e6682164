import { randomUUID } from 'node:crypto';

/**
 * Settings shared by the integration tests that call a real FHIR server. The production timeouts (300 ms a
 * query, 450 ms a request) would make them depend on how busy the CI machine is.
 */
export const GENEROUS_FHIR_TIMEOUTS = { FHIR_QUERY_TIMEOUT_MS: '5000', FHIR_REQUEST_DEADLINE_MS: '8000' };

/** A CDS Hooks fhirAuthorization object carrying this access token. */
export const fhirAuthorization = (accessToken: string) => ({
  access_token: accessToken,
  token_type: 'Bearer',
  expires_in: 300,
  scope: 'patient/*.read',
  subject: 'nkr-pain-cds',
});

/**
 * An order call of a pregabalin draft that names its Medication by reference, with no prefetch: every
 * read (the draft's Medication, the patient's data) goes to `fhirServer` with this token.
 */
export function referencedDraftOrderBody(hook: 'order-select' | 'order-sign', fhirServer: string, accessToken: string, patientId: string): Record<string, unknown> {
  return {
    hook,
    hookInstance: randomUUID(),
    fhirServer,
    fhirAuthorization: fhirAuthorization(accessToken),
    context: {
      userId: 'Practitioner/example',
      patientId,
      ...(hook === 'order-select' ? { selections: ['MedicationRequest/draft-1'] } : {}),
      draftOrders: {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          {
            resource: {
              resourceType: 'MedicationRequest',
              id: 'draft-1',
              status: 'draft',
              intent: 'order',
              subject: { reference: `Patient/${patientId}` },
              medicationReference: { reference: 'Medication/integration-fm-1-pregabalin-75' },
            },
          },
        ],
      },
    },
  };
}
