import type { MedicationTerminology } from '../../src/guideline/drugOrderFindings.js';
import { loadCodeSystems } from '../../src/terminology/codeSystems.js';
import { loadDrugCodes } from '../../src/terminology/drugCodes.js';
import { loadDrugKinds } from '../../src/terminology/drugKinds.js';
import { loadMedicationConditionCodes } from '../../src/terminology/medicationConditions.js';
import { loadConditionStatuses } from '../../src/terminology/conditionStatusWords.js';
import { loadDosingTimes } from '../../src/terminology/dosingTimes.js';

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const ATC = 'http://www.whocc.no/atc';

/** The medication terminology as the service registry builds it (ICPC-2 read only when asked). */
export function medicationTerminology(readIcpc2 = false): MedicationTerminology {
  const systems = loadCodeSystems();
  return { drugs: loadDrugCodes(loadDrugKinds(), systems), conditions: loadMedicationConditionCodes(systems, readIcpc2), times: loadDosingTimes() };
}

/** The Condition status rules as the service reads them (terminology/condition-status-words.json). */
export const statuses = loadConditionStatuses();

/** The daytime rule's settings as the services build them: the default window (06:00–17:00) and the dosing times. */
export const daytimeSettings = { daytimeFromMinutes: 6 * 60, daytimeToMinutes: 17 * 60, times: loadDosingTimes() };
