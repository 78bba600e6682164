import { asList, finiteNumber, isObject, nonBlank, type JsonObject } from '../model/json.js';
import type { ResourceJson } from '../model/medicationOrder.js';
import type { DoseRate } from '../guideline/dosageTiming.js';

/**
 * The draft amitriptyline order moved to one dose at bedtime, for the `update` suggestion of a daytime
 * dosing (docs/clinical-rules.md §4.5): the first instruction is kept and taken at HS as often as `rate` says
 * (the guideline's `bedtimeRate`: as often as before when that was at most once a day — every other day or
 * weekly never becomes daily —, else once a day); other instructions, timeOfDay/offset/frequencyMax/periodMax,
 * timing.code, timing.event (the doses' own times) and the now wrong free text (`text`, `patientInstruction`, `additionalInstruction` — DSTU2's
 * `additionalInstructions` —, which may name the old time of day) are removed; the order-level `note` is kept
 * (it may say more than the time of day: the card asks to check it, `hasOrderNote`). The dose quantity is kept: the card's label asks the clinician to
 * check the daily dose. A DSTU2 MedicationOrder keeps its shape (`periodUnits`, `when` as one code).
 */
export function moveDosageToEvening(resource: ResourceJson, rate: DoseRate): ResourceJson {
  const copy = structuredClone(resource);
  const dstu2 = copy.resourceType === 'MedicationOrder';
  const first = asList(copy.dosageInstruction).find(isObject);
  if (!first) return copy;
  const d: JsonObject = { ...first };
  const timing: JsonObject = isObject(d.timing) ? { ...d.timing } : {};
  const old: JsonObject = isObject(timing.repeat) ? timing.repeat : {};
  const repeat: JsonObject = {};
  for (const keep of ['id', 'extension', 'modifierExtension', 'bounds', 'boundsDuration', 'boundsQuantity', 'boundsRange', 'boundsPeriod', 'count', 'countMax', 'duration', 'durationMax', 'durationUnit', 'durationUnits', 'dayOfWeek']) {
    if (old[keep] !== undefined) repeat[keep] = old[keep];
  }
  repeat.frequency = rate.frequency;
  repeat.period = rate.period;
  if (dstu2) {
    repeat.periodUnits = rate.periodUnit;
    repeat.when = 'HS';
  } else {
    repeat.periodUnit = rate.periodUnit;
    repeat.when = ['HS'];
  }
  delete timing.code;
  // Dates and times of the doses ("2026-11-26T08:00") would contradict the bedtime.
  delete timing.event;
  timing.repeat = repeat;
  d.timing = timing;
  delete d.text;
  delete d.patientInstruction;
  // Coded or written instructions ("tages om morgenen", "with breakfast") may name the old time of day:
  // R4/STU3 `additionalInstruction`, DSTU2 `additionalInstructions` (one CodeableConcept).
  delete d.additionalInstruction;
  delete d.additionalInstructions;
  if (finiteNumber(d.sequence) !== undefined) d.sequence = 1;
  copy.dosageInstruction = [d];
  return copy;
}

/**
 * The draft has an order-level note — R4/STU3 `note` (Annotations), DSTU2 MedicationOrder `note` (text) — that
 * the bedtime update keeps: it may hold more than the time of day, so it is not removed, but it may name the
 * old time of day ("tages om morgenen"), so the card asks the clinician to check it (§4.5).
 */
export function hasOrderNote(resource: ResourceJson): boolean {
  return asList(resource.note).some((n) => (typeof n === 'string' ? nonBlank(n) !== undefined : isObject(n) && nonBlank(n.text) !== undefined));
}

/**
 * The draft's dosage carries free text or additional instructions (`text`, `patientInstruction`,
 * `additionalInstruction`, DSTU2 `additionalInstructions`) that the bedtime update removes, as they may name the
 * old time of day: the card says so, since they may also hold what still applies, such as a warning (§4.5).
 */
export function hasDosageText(resource: ResourceJson): boolean {
  return asList(resource.dosageInstruction).some(
    (d) => isObject(d) && (nonBlank(d.text) !== undefined || nonBlank(d.patientInstruction) !== undefined || asList(d.additionalInstruction).some(isObject) || isObject(d.additionalInstructions)),
  );
}
