import { asList, finiteNumber, isObject, type JsonObject } from '../model/json.js';
import type { ResourceJson } from '../model/medicationOrder.js';
import type { DoseRate } from '../guideline/dosageTiming.js';

/**
 * The draft amitriptyline order moved to one dose at bedtime, for the `update` suggestion of a daytime
 * dosing (docs/clinical-rules.md §4.5): the first instruction is kept and taken at HS as often as `rate` says
 * (the guideline's `bedtimeRate`: as often as before when that was at most once a day — every other day or
 * weekly never becomes daily —, else once a day); other instructions, timeOfDay/offset/frequencyMax/periodMax,
 * timing.code and the now wrong free text (`text`, `patientInstruction`, `additionalInstruction`, which may
 * name the old time of day) are removed. The dose quantity is kept: the card's label asks the clinician to
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
  for (const keep of ['bounds', 'boundsDuration', 'boundsRange', 'boundsPeriod', 'count', 'countMax', 'duration', 'durationMax', 'durationUnit', 'durationUnits', 'dayOfWeek']) {
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
  timing.repeat = repeat;
  d.timing = timing;
  delete d.text;
  delete d.patientInstruction;
  // Coded or written instructions ("tages om morgenen", "with breakfast") may name the old time of day.
  delete d.additionalInstruction;
  if (finiteNumber(d.sequence) !== undefined) d.sequence = 1;
  copy.dosageInstruction = [d];
  return copy;
}
