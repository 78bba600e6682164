/** The EHR's FHIR version as a patient-view call shows it, for the orders its suggestions create (src/data/ehrFhirVersion.ts). */
import { olderEhrVersion } from '../../src/data/ehrFhirVersion.js';

const r = (resourceType: string): fhir4.Resource => ({ resourceType, id: `${resourceType}-1` }) as fhir4.Resource;

describe('olderEhrVersion', () => {
  test('the server answered the open orders only as an older version: that version', () => {
    expect(olderEhrVersion({ resources: { serviceRequests: [] }, olderVersions: { serviceRequests: 'DSTU2' } })).toBe('DSTU2');
    expect(olderEhrVersion({ resources: { serviceRequests: [] }, olderVersions: { serviceRequests: 'STU3' } })).toBe('STU3');
  });

  test('prefetched open orders of an older type and no ServiceRequest: that version; a ServiceRequest among them: R4', () => {
    expect(olderEhrVersion({ resources: { serviceRequests: [r('DiagnosticOrder')] } })).toBe('DSTU2');
    expect(olderEhrVersion({ resources: { serviceRequests: [r('ProcedureRequest')] } })).toBe('STU3');
    expect(olderEhrVersion({ resources: { serviceRequests: [r('DiagnosticOrder'), r('ServiceRequest')] } })).toBeUndefined();
    expect(olderEhrVersion({ resources: { serviceRequests: [r('ServiceRequest')], medications: [r('MedicationOrder')] } })).toBeUndefined();
  });

  test('no sign in the open orders: the drug orders, DSTU2 when they are MedicationOrders (from the server or prefetched) and no MedicationRequest', () => {
    expect(olderEhrVersion({ resources: { serviceRequests: [], medications: [] }, olderVersions: { medications: 'DSTU2' } })).toBe('DSTU2');
    expect(olderEhrVersion({ resources: { medications: [r('MedicationOrder'), r('Medication')] } })).toBe('DSTU2');
    expect(olderEhrVersion({ resources: { medications: [r('MedicationOrder'), r('MedicationRequest')] } })).toBeUndefined();
    // A MedicationRequest says only "not DSTU2": STU3 has it too, so it is no sign of STU3.
    expect(olderEhrVersion({ resources: { medications: [r('MedicationRequest')] } })).toBeUndefined();
  });

  test('nothing to go by (no open orders, no drug orders, keys unavailable): R4', () => {
    expect(olderEhrVersion({ resources: {} })).toBeUndefined();
    expect(olderEhrVersion({ resources: { serviceRequests: [], medications: [] } })).toBeUndefined();
    expect(olderEhrVersion({ resources: { serviceRequests: undefined, medications: undefined } })).toBeUndefined();
  });
});
