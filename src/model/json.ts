/**
 * Reading JSON that came from outside (prefetch, FHIR servers, EHR drafts): nothing about its shape is
 * assumed. One small module so every stage reads leniently the same way (FHIR R4, STU3 and DSTU2
 * leftovers send single objects where R4 has arrays, strings where R4 has CodeableConcepts).
 */

import { mayHoldCprNumber } from './cprNumber.js';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as a list: an array as is, a single value as a list of one, nothing as empty. */
export function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** The objects of a field that should be an array of objects (a single object counts; other items are dropped). */
export function objectList(v: unknown): JsonObject[] {
  return asList(v).filter(isObject);
}

/**
 * `list` with `item` appended; no list yet: a one-item list. For lists read per resource that usually hold
 * one item or none: V8 reserves 17 slots on the first push to `[]`, a literal of one holds one.
 */
export function appended<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}

/** A non-blank string, or undefined. */
export function nonBlank(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** A code as written, in any case and spacing (" ACTIVE" → "active"): for status, intent and gender codes; undefined when blank. */
export function lowerCode(v: unknown): string | undefined {
  return nonBlank(v)?.trim().toLowerCase();
}

/** A finite number, or undefined. */
export function finiteNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A finite number, also written as plain decimal text ("2", " 0.5 "), as some EHRs send counts; else undefined. */
export function numberOrNumericText(v: unknown): number | undefined {
  if (typeof v === 'string' && /^\s*\d{1,9}(?:\.\d{1,9})?\s*$/.test(v)) return Number(v);
  return finiteNumber(v);
}

/**
 * Whether `s` is a usable FHIR id (https://hl7.org/fhir/R4/datatypes.html#id: 1–64 of A–Z, a–z, 0–9, `-`,
 * `.`) — and not one made only of dots: `.` and `..` are path segments, so `Patient/..` in a URL is the
 * server's base and `Patient/.` a search of every patient, never one resource. (schemas/request.schema.json's
 * `fhirId` says the same for the request.)
 */
export function isFhirId(s: string): boolean {
  return /^[A-Za-z0-9\-.]{1,64}$/.test(s) && !isDotSegment(s);
}

/**
 * A generated UUID (what CDS Hooks' `hookInstance` and a card's `uuid` are): RFC 9562's text form, either letter
 * case, with a version (1–8) and its variant, as UUID generators make them —
 * not a number padded into that shape ("00000000-0000-0000-0000-000101801234": a CPR number). What the log may
 * quote of a caller's ids.
 */
export function isGeneratedUuid(s: string): boolean {
  return /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[1-8][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$/.test(s);
}

/** A caller's UUID the log may quote: generated (isGeneratedUuid) and holding no CPR number (mayHoldCprNumber). */
export function isQuotableUuid(s: string): boolean {
  return isGeneratedUuid(s) && !mayHoldCprNumber(s);
}

/** A value that is a dot segment in a URL path (`.`, `..`, …), spaces around it aside: never a resource's id. */
export function isDotSegment(s: string): boolean {
  return /^\s*\.+\s*$/.test(s);
}

/**
 * A FHIR id (`isFhirId`), trimmed, or undefined. Only such an id may go into a reference the service sends
 * back (a `delete` action's resourceId) or into a FHIR read's path.
 */
export function fhirId(v: unknown): string | undefined {
  const s = nonBlank(v)?.trim();
  return s !== undefined && isFhirId(s) ? s : undefined;
}

/**
 * `table[key]` for a key that came from outside: only the table's own entries, so `constructor`,
 * `toString` or `__proto__` read nothing from Object.prototype.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Whether two JSON values hold the same data, whatever the order of their objects' keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}
