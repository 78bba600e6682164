import type { MedicationOrderView } from '../model/medicationOrder.js';
import { DAY_MS, timeUnit, UCUM_TIME_UNIT_DAYS } from '../model/duration.js';
import { finiteNumber, isObject, nonBlank } from '../model/json.js';
import { parseFhirDate, parseFhirDateEnd } from './fhirDates.js';

/**
 * An active order or statement that is still taken (docs/clinical-rules.md §3.3, §7): not one whose end has
 * passed (a statement's effectivePeriod.end, DSTU2 dateEnded; FMK statements keep status active with an
 * end date; else the dosage's own end, `timing.repeat.boundsPeriod.end`, or a `boundsDuration` ("10 d") from
 * its `boundsPeriod.start`, else from the order's start — when every dosage instruction has one: the latest
 * counts), and not a statement that says the drug is not taken. An end date runs to its last
 * instant ("2026-12-06": the whole day; "2026-12": the month). An end that cannot be read is no end.
 * (A prescription's `dispenseRequest.validityPeriod` is when it may be dispensed, not when it is taken: not read.)
 */
export function isStillTaken(order: MedicationOrderView, now: number): boolean {
  if (order.notTaken) return false;
  const end = order.endedAt !== null ? parseFhirDateEnd(order.endedAt) : dosageEnd(order.dosageInstruction, order.startedAt);
  return end === undefined || end >= now;
}

/** A `boundsDuration` in milliseconds; undefined when its value or unit cannot be read. */
function durationMs(duration: unknown): number | undefined {
  if (!isObject(duration)) return undefined;
  const value = finiteNumber(duration.value);
  // UCUM's code, else the words an EHR writes in `unit` ("10 dage").
  const unit = timeUnit(duration.code) ?? timeUnit(duration.unit);
  const days = unit !== undefined ? UCUM_TIME_UNIT_DAYS[unit] : undefined;
  return value !== undefined && value >= 0 && days !== undefined ? value * days * DAY_MS : undefined;
}

/** The last instant the dosage instructions cover, when every one of them ends; else undefined (open-ended). */
function dosageEnd(dosages: readonly fhir4.Dosage[], startedAt: string | null): number | undefined {
  let latest: number | undefined;
  for (const d of dosages) {
    const repeat = isObject(d.timing) && isObject(d.timing.repeat) ? d.timing.repeat : undefined;
    const bounds = repeat?.boundsPeriod;
    let end = isObject(bounds) && typeof bounds.end === 'string' ? parseFhirDateEnd(bounds.end) : undefined;
    if (end === undefined && repeat !== undefined) {
      // A course of a length: from its own start, else the order's (a 10-day course written 1 January ends 11 January).
      const start = parseFhirDate(nonBlank(isObject(bounds) ? bounds.start : undefined) ?? startedAt ?? undefined);
      const length = durationMs(repeat.boundsDuration);
      if (start !== undefined && length !== undefined) end = start + length;
    }
    if (end === undefined) return undefined;
    latest = latest === undefined ? end : Math.max(latest, end);
  }
  return latest;
}
