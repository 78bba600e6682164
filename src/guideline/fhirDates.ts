import { BoundedMemo } from '../model/boundedMemo.js';
import { danishWallTimeToEpoch, startOfDanishDate } from '../model/danishTime.js';
import type { PreciseDate } from '../model/datePrecision.js';

/**
 * FHIR date and dateTime values → epoch milliseconds. Partial dates ("2024", "2024-03") count from
 * their first instant, except where a date ends something (parseFhirDateEnd); a value that is not a date
 * gives undefined (treated as "no date"). Read leniently as real EHRs write them: a space or "t" for the
 * "T", "z" for "Z", a zone without its colon ("+0100") or of hours only ("+02"), and a time without a zone, which FHIR does not allow and which is read
 * as Danish time (a Danish lab system's clock; read as UTC, "23:30" in summer would be the next day).
 */
const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;

/**
 * Values already parsed, by their text: a patient's results share a handful of dates and every call reads
 * them all again (the match was ~0.4 µs a value, 200 results a patient-view). Only texts as short as a
 * dateTime are kept (a longer one is no FHIR date); bounded (src/model/boundedMemo.ts). The precision is
 * kept with the instant, so reading it again costs nothing (one small object a new text, where the instant
 * alone was a heap number anyway).
 */
const MEMO_MAX_TEXT = 40;
const memo = new BoundedMemo<PreciseDate | undefined>(4096);

/** The date's first instant (epoch ms); for comparing and sorting. */
export function parseFhirDate(value: unknown): number | undefined {
  return readFhirDate(value)?.at;
}

/**
 * The date's first instant and the precision it was written at ("2026": year, "2026-08": month, a full date
 * or a dateTime: day), for a date a card shows (docs/clinical-rules.md §5); undefined for anything but such a text.
 * The object is shared (memoised), so reading it allocates nothing.
 */
export function readFhirDate(value: unknown): PreciseDate | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > MEMO_MAX_TEXT ? parse(value) : memo.get(value, parse);
}

function parse(value: string): PreciseDate | undefined {
  const m = FHIR_DATE.exec(value.trim());
  if (!m) return undefined;
  const at = parseMatch(m);
  if (at === undefined) return undefined;
  return { at, precision: m[3] !== undefined ? 'day' : m[2] !== undefined ? 'month' : 'year' };
}

function parseMatch(m: RegExpExecArray): number | undefined {
  const [, y, mo = '01', d = '01', h, mi = '00', s = '00', zone] = m;
  // "z" is "Z"; a zone of hours only ("+02") is whole hours.
  const tz = zone === undefined ? undefined : zone === 'z' ? 'Z' : zone.length === 3 ? `${zone}00` : zone;
  if (h === undefined) {
    // A month or day out of range is no date ("2024-13" is not January 2025), as for dateTimes below.
    if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
    return Date.UTC(Number(y), Number(mo) - 1, Number(d));
  }
  // Fast path (every Observation has one or two of these): the fields are in range, so Date.UTC gives
  // what Date.parse would, without building and re-parsing an ISO string.
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const inRange = year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && minute <= 59 && second <= 59 && (hour < 24 || (hour === 24 && minute === 0 && second === 0));
  if (inRange && tz === 'Z') return Date.UTC(year, month - 1, day, hour, minute, second);
  if (inRange && tz === undefined && year >= 1000) return danishWallTimeToEpoch(year, month, day, hour, minute, second);
  if (inRange && tz !== undefined) {
    const tzHours = Number(tz.slice(1, 3));
    const tzMinutes = Number(tz.slice(-2));
    if (tzHours > 23 || tzMinutes > 59) return undefined;
    const offsetMs = (tz.startsWith('-') ? -1 : 1) * (tzHours * 60 + tzMinutes) * 60_000;
    return Date.UTC(year, month - 1, day, hour, minute, second) - offsetMs;
  }
  // Out of range (Date.parse refuses it) or a year below 100 (Date.UTC would read it as 19xx).
  const isoZone = tz === undefined ? 'Z' : tz.length === 5 ? `${tz.slice(0, 3)}:${tz.slice(3)}` : tz;
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${isoZone}`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * A date that ends something (a drug's end date) → the last millisecond it covers in Danish time: "2026-12"
 * runs to the end of December, "2026-12-06" to the end of that day (23:59:59.999 in Denmark). Read from its first instant, a drug whose course
 * ends this month or today would count as stopped already and drop out of the cards (docs §7.1).
 * A dateTime with a time is that instant.
 */
export function parseFhirDateEnd(value: string | undefined): number | undefined {
  const start = parseFhirDate(value);
  if (start === undefined || value === undefined) return start;
  const m = FHIR_DATE.exec(value.trim());
  if (m === null || m[4] !== undefined) return start;
  const [, y, mo, d] = m;
  const year = Number(y);
  // Date.UTC reads years below 100 as 19xx; such a date ends nothing a patient takes today.
  if (year < 100) return start;
  // The end of that Danish day, month or year (an FMK end date is a Danish date): the instant the next one begins, less 1 ms.
  const next = d !== undefined ? startOfDanishDate(year, Number(mo), Number(d) + 1) : mo !== undefined ? startOfDanishDate(year, Number(mo) + 1, 1) : startOfDanishDate(year + 1, 1, 1);
  return next - 1;
}

