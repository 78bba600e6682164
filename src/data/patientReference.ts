import { isObject } from '../model/json.js';

/**
 * Whether a resource belongs to another patient than the call's (docs/clinical-rules.md §7). Read
 * leniently, decided safely: only a reference that clearly names another patient id counts — `subject`
 * or `patient` (DSTU2/STU3) as `Patient/{id}`, an absolute `…/Patient/{id}`, with or without
 * `/_history/{version}` — and a Patient resource whose own id is another. A resource with no patient
 * reference (many EHRs leave it out of prefetch), a `urn:uuid:`, contained (`#…`), identifier-only or
 * conditional reference, or a Group subject is kept: it names no other patient.
 */

// "Patient" in any case, a trailing slash or a query after the id: still a Patient reference.
const PATIENT_REFERENCE = /(?:^|\/)[Pp][Aa][Tt][Ii][Ee][Nn][Tt]\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/?#]+)?\/?(?:[?#].*)?$/;

/** The id a `Patient/{id}` reference names (relative or absolute), else undefined. */
function patientIdOf(reference: unknown): string | undefined {
  return typeof reference === 'string' ? PATIENT_REFERENCE.exec(reference.trim())?.[1] : undefined;
}

/** The call's patient id; an EHR that sends `Patient/p1` in context.patientId means `p1`. */
export function contextPatientId(patientId: unknown): string | undefined {
  if (typeof patientId !== 'string' || patientId.trim() === '') return undefined;
  return patientIdOf(patientId) ?? patientId.trim();
}

/** The test for one call's patient: `Patient/{id}` as sent, the usual case, is told without a regular expression. */
export function anotherPatientTest(patientId: string): (resource: unknown) => boolean {
  const own = `Patient/${patientId}`;
  const namesOther = (reference: unknown): boolean => {
    if (!isObject(reference) || reference.reference === own) return false;
    const id = patientIdOf(reference.reference);
    return id !== undefined && id !== patientId;
  };
  return (resource) => {
    if (!isObject(resource)) return false;
    if (resource.resourceType === 'Patient') return typeof resource.id === 'string' && resource.id.trim() !== '' && resource.id.trim() !== patientId;
    return namesOther(resource.subject) || namesOther(resource.patient);
  };
}
