import type { OlderFhirVersion } from '../model/fhirVersion.js';
import type { ResourceJson } from '../model/medicationOrder.js';

/**
 * The orders a suggestion creates, in the EHR's FHIR version (RenderContext.fhirVersion; docs/clinical-rules.md
 * §3.1, §3.4, §7.1), so that an STU3 or DSTU2 EHR can create them: a draft that proposes, for the patient, one
 * test or procedure. The types are those CDS Hooks names for each version's orders (order-select `draftOrders`):
 * - a lab test — R4 ServiceRequest (`status: draft`, `intent: proposal`); STU3 ProcedureRequest (the same
 *   fields); DSTU2 DiagnosticOrder (`status: proposed`, the test as its one `item`, the reason as `reason`);
 * - a procedure or referral (patient education, exercise, psychological treatment) — R4 ServiceRequest; STU3
 *   ProcedureRequest; DSTU2 ProcedureRequest (`status: proposed`, `reasonCodeableConcept`).
 */
export interface ProposedOrder {
  patientId: string;
  code: fhir4.CodeableConcept;
  reason?: fhir4.CodeableConcept;
}

function proposedRequest(resourceType: 'ServiceRequest' | 'ProcedureRequest', o: ProposedOrder): ResourceJson {
  const resource: ResourceJson = { resourceType, status: 'draft', intent: 'proposal', subject: { reference: `Patient/${o.patientId}` }, code: o.code };
  if (o.reason) resource.reasonCode = [o.reason];
  return resource;
}

/** A proposed lab test. */
export function labTestOrder(version: OlderFhirVersion | undefined, o: ProposedOrder): ResourceJson {
  if (version === undefined) return proposedRequest('ServiceRequest', o);
  if (version === 'STU3') return proposedRequest('ProcedureRequest', o);
  const resource: ResourceJson = { resourceType: 'DiagnosticOrder', status: 'proposed', subject: { reference: `Patient/${o.patientId}` }, item: [{ code: o.code }] };
  if (o.reason) resource.reason = [o.reason];
  return resource;
}

/** A proposed procedure or referral. */
export function procedureOrder(version: OlderFhirVersion | undefined, o: ProposedOrder): ResourceJson {
  if (version === undefined) return proposedRequest('ServiceRequest', o);
  if (version === 'STU3') return proposedRequest('ProcedureRequest', o);
  const resource: ResourceJson = { resourceType: 'ProcedureRequest', status: 'proposed', subject: { reference: `Patient/${o.patientId}` }, code: o.code };
  if (o.reason) resource.reasonCodeableConcept = o.reason;
  return resource;
}
