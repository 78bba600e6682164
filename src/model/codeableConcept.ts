import { isObject, nonBlank, objectList, type JsonObject } from './json.js';

/**
 * Reading CodeableConcepts from JSON of any shape (docs/clinical-rules.md §7): every reader of a
 * `code`, `reasonCode`, `interpretation` … goes through here, so they all accept the same shapes —
 * `coding` as an array, as one object (STU3/DSTU2 leftovers) or missing; items that are not objects
 * dropped; fields that are not strings ignored.
 */

/** The codings of a concept: `coding` as a list of objects (one object counts; anything else is none). */
export function codingsOf(concept: unknown): JsonObject[] {
  return isObject(concept) ? objectList(concept.coding) : [];
}

/**
 * A concept as a well-formed fhir4.CodeableConcept: codings with string system/code/display only (a
 * coding with none of them dropped), and text. `complete`: keep only codings with both system and code
 * (what goes out in a suggested resource). null when nothing is left.
 */
export function readConcept(v: unknown, options: { complete?: boolean } = {}): fhir4.CodeableConcept | null {
  if (!isObject(v)) return null;
  const coding: fhir4.Coding[] = [];
  for (const c of codingsOf(v)) {
    const system = nonBlank(c.system);
    const code = nonBlank(c.code);
    const display = nonBlank(c.display);
    if (options.complete ? !system || !code : !system && !code && !display) continue;
    coding.push({ ...(system ? { system } : {}), ...(code ? { code } : {}), ...(display ? { display } : {}) });
  }
  const text = nonBlank(v.text);
  if (coding.length === 0 && !text) return null;
  // No empty `coding` array (FHIR JSON has no empty arrays).
  return { ...(coding.length > 0 ? { coding } : {}), ...(text ? { text } : {}) };
}
