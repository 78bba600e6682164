import type { MedicationOrderView } from '../model/medicationOrder.js';
import { isObject } from '../model/json.js';
import { parseFhirDateEnd } from './fhirDates.js';

/**
 * An active order or statement that is still taken (docs/clinical-rules.md §3.3, §7): not one whose end has
 * passed (a statement's effectivePeriod.end, DSTU2 dateEnded; FMK statements keep status active with an
 * end date; else the dosage's own end, `timing.repeat.boundsPeriod.end`, when every dosage instruction has
 * one: the latest counts), and not a statement that says the drug is not taken. An end date runs to its last
 * instant ("2026-12-06": the whole day; "2026-12": the month). An end that cannot be read is no end.
 * (A prescription's `dispenseRequest.validityPeriod` is when it may be dispensed, not when it is taken: not read.)
 */
export function isStillTaken(order: MedicationOrderView, now: number): boolean {
  if (order.notTaken) return false;
  const end = order.endedAt !== null ? parseFhirDateEnd(order.endedAt) : dosageEnd(order.dosageInstruction);
  return end === undefined || end >= now;
}

/** The last instant the dosage instructions cover, when every one of them ends; else undefined (open-ended). */
function dosageEnd(dosages: readonly fhir4.Dosage[]): number | undefined {
  let latest: number | undefined;
  for (const d of dosages) {
    const bounds = isObject(d.timing) && isObject(d.timing.repeat) ? d.timing.repeat.boundsPeriod : undefined;
    const end = isObject(bounds) && typeof bounds.end === 'string' ? parseFhirDateEnd(bounds.end) : undefined;
    if (end === undefined) return undefined;
    latest = latest === undefined ? end : Math.max(latest, end);
  }
  return latest;
}
