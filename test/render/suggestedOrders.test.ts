/** The orders a suggestion creates, in the EHR's FHIR version (src/render/suggestedOrders.ts, docs/clinical-rules.md §7.1). */
import { labTestOrder, procedureOrder } from '../../src/render/suggestedOrders.js';

const tsh = { coding: [{ system: 'http://loinc.org', code: '3016-3' }], text: 'TSH' };
const reason = { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] };
const education = { coding: [{ system: 'http://snomed.info/sct', code: '311401005' }], text: 'Patient education' };
const subject = { reference: 'Patient/p1' };

describe('labTestOrder', () => {
  test('R4: a draft ServiceRequest that proposes the test, with its reason', () => {
    expect(labTestOrder(undefined, { patientId: 'p1', code: tsh, reason })).toEqual({ resourceType: 'ServiceRequest', status: 'draft', intent: 'proposal', subject, code: tsh, reasonCode: [reason] });
  });
  test('STU3: the same as a ProcedureRequest (STU3 orders lab tests so)', () => {
    expect(labTestOrder('STU3', { patientId: 'p1', code: tsh, reason })).toEqual({ resourceType: 'ProcedureRequest', status: 'draft', intent: 'proposal', subject, code: tsh, reasonCode: [reason] });
  });
  test('DSTU2: a proposed DiagnosticOrder with the test as its one item (DSTU2 has no intent)', () => {
    expect(labTestOrder('DSTU2', { patientId: 'p1', code: tsh, reason })).toEqual({ resourceType: 'DiagnosticOrder', status: 'proposed', subject, item: [{ code: tsh }], reason: [reason] });
    expect(labTestOrder('DSTU2', { patientId: 'p1', code: tsh })).not.toHaveProperty('reason');
  });
});

describe('procedureOrder', () => {
  test('R4 ServiceRequest, STU3 ProcedureRequest, DSTU2 a proposed ProcedureRequest', () => {
    expect(procedureOrder(undefined, { patientId: 'p1', code: education })).toEqual({ resourceType: 'ServiceRequest', status: 'draft', intent: 'proposal', subject, code: education });
    expect(procedureOrder('STU3', { patientId: 'p1', code: education })).toEqual({ resourceType: 'ProcedureRequest', status: 'draft', intent: 'proposal', subject, code: education });
    expect(procedureOrder('DSTU2', { patientId: 'p1', code: education, reason })).toEqual({ resourceType: 'ProcedureRequest', status: 'proposed', subject, code: education, reasonCodeableConcept: reason });
  });
});
