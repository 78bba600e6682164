import { isObject } from '../model/json.js';

/**
 * Whether a resource belongs to another patient than the call's (docs/clinical-rules.md §7). Read
 * leniently, decided safely: only a reference that clearly names another patient id counts — `subject`
 * or `patient` (DSTU2/STU3) as `Patient/{id}`, an absolute `…/Patient/{id}`, with or without
 * `/_history/{version}` — and a Patient resource whose own id is another. A resource with no patient
 * reference (many EHRs leave it out of prefetch), a `urn:uuid:`, contained (`#…`), identifier-only or
 * conditional reference, or a Group subject is kept: it names no other patient.
 */

// "Patient" in any case, a trailing slash or a query after the id: still a Patient reference. Tried only where
// it starts (sticky): at the start and after each slash.
const PATIENT_AT = /[Pp][Aa][Tt][Ii][Ee][Nn][Tt]\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/?#]+)?\/?/y;

/** Where the last character `.` does not match (a line terminator) is, or -1. */
function lastLineBreak(s: string): number {
  return Math.max(s.lastIndexOf('\n'), s.lastIndexOf('\r'), s.lastIndexOf('\u2028'), s.lastIndexOf('\u2029'));
}

/**
 * The id a `Patient/{id}` reference names (relative or absolute), else undefined: what
 * `/(?:^|\/)Patient\/(id)(?:\/_history\/[^/?#]+)?\/?(?:[?#].*)?$/` (any case) finds, without its cost. That one
 * regular expression ran from every slash to the end of the text (`.*$`), quadratic in a reference of many
 * `/Patient/x?` (30,000 characters took 0.14 s, a 1 MB one minutes): here each start reads only its own
 * `Patient/{id}/_history/{v}/`, and only the end is checked after it. Each part can end only one way (an id
 * or version cut short is followed by a character that fits nothing after it), so the greedy reading is
 * the only one that can match.
 */
function patientIdOf(reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined;
  const s = reference.trim();
  let lineBreak: number | undefined;
  for (let at = 0; ; ) {
    PATIENT_AT.lastIndex = at;
    const m = PATIENT_AT.exec(s);
    if (m) {
      const end = PATIENT_AT.lastIndex;
      if (end === s.length) return m[1];
      // A query or fragment runs to the end of the text, across no line terminator.
      if ((s[end] === '?' || s[end] === '#') && end > (lineBreak ??= lastLineBreak(s))) return m[1];
    }
    const slash = s.indexOf('/', at);
    if (slash === -1) return undefined;
    at = slash + 1;
  }
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
