import { appended, isObject, nonBlank, objectList, type JsonObject } from './json.js';

/**
 * Reading CodeableConcepts from JSON of any shape (docs/clinical-rules.md §7): every reader of a
 * `code`, `reasonCode`, `interpretation` … goes through here, so they all accept the same shapes —
 * `coding` as an array, as one object (STU3/DSTU2 leftovers) or missing; items that are not objects
 * dropped; fields that are not strings ignored.
 */

const NO_CODINGS: readonly JsonObject[] = Object.freeze([]);

/**
 * The codings of a concept: `coding` as a list of objects (one object counts; anything else is none). Read
 * only: the usual array of objects is returned as sent, not copied (read for every condition, order and result).
 */
export function codingsOf(concept: unknown): readonly JsonObject[] {
  if (!isObject(concept)) return NO_CODINGS;
  const raw = concept.coding;
  if (Array.isArray(raw) && raw.every(isObject)) return raw;
  return objectList(raw);
}

/**
 * A concept a reader can tell something from: an object with a coding object or a text. Not one (a
 * string, `{}`, `{"coding": "R52"}`) makes a resource whose code it is unreadable, not merely irrelevant
 * (docs/clinical-rules.md §7). Cheap: nothing is copied.
 */
export function isReadableConcept(v: unknown): boolean {
  return isObject(v) && (codingsOf(v).length > 0 || nonBlank(v.text) !== undefined);
}

/** One coding with string system/code/display only, in that key order; null when it is dropped. */
function readCoding(c: JsonObject, complete: boolean): fhir4.Coding | null {
  const system = nonBlank(c.system);
  const code = nonBlank(c.code);
  const display = nonBlank(c.display);
  if (complete ? !system || !code : !system && !code && !display) return null;
  const out: fhir4.Coding = {};
  if (system) out.system = system;
  if (code) out.code = code;
  if (display) out.display = display;
  return out;
}

/**
 * A concept as a well-formed fhir4.CodeableConcept: codings with string system/code/display only (a
 * coding with none of them dropped), and text. `complete`: keep only codings with both system and code
 * (what goes out in a suggested resource). null when nothing is left. Read for every order, reason and
 * result of every call, so written without intermediate arrays or spreads.
 */
export function readConcept(v: unknown, options?: { complete?: boolean }): fhir4.CodeableConcept | null {
  if (!isObject(v)) return null;
  const complete = options?.complete === true;
  let coding: fhir4.Coding[] | undefined;
  const raw = v.coding;
  if (Array.isArray(raw)) {
    for (const c of raw) {
      const read = isObject(c) ? readCoding(c, complete) : null;
      if (read) coding = appended(coding, read);
    }
  } else if (isObject(raw)) {
    const read = readCoding(raw, complete);
    if (read) coding = [read];
  }
  const text = nonBlank(v.text);
  if (!coding && !text) return null;
  // No empty `coding` array (FHIR JSON has no empty arrays).
  const out: fhir4.CodeableConcept = {};
  if (coding) out.coding = coding;
  if (text) out.text = text;
  return out;
}

/**
 * One reason from a reasonReference: the referenced Condition's code, with the reference's display as its
 * text; the display alone when the code is not known; nothing without either. One reason, not two, so a
 * rule over every reason of an order (docs/clinical-rules.md §4.10) reads it once, wherever the Condition was.
 */
export function reasonOfReference(code: fhir4.CodeableConcept | null | undefined, display: string | null | undefined): fhir4.CodeableConcept | undefined {
  if (code) return display ? { ...code, text: display } : code;
  return display ? { text: display } : undefined;
}
