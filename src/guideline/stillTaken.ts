import type { MedicationOrderView } from '../model/medicationOrder.js';
import { parseFhirDateEnd } from './fhirDates.js';

/**
 * An active order or statement that is still taken (docs/clinical-rules.md §3.3, §7): not one whose end has
 * passed (a statement's effectivePeriod.end, DSTU2 dateEnded; FMK statements keep status active with an
 * end date), and not a statement that says the drug is not taken. An end date runs to its last instant
 * ("2026-12-06": the whole day; "2026-12": the month). An end that cannot be read is no end.
 */
export function isStillTaken(order: MedicationOrderView, now: number): boolean {
  if (order.notTaken) return false;
  const end = parseFhirDateEnd(order.endedAt ?? undefined);
  return end === undefined || end >= now;
}
