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
