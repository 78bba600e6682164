import { readTerminologyJson } from './dataFile.js';

export interface NonPharmacologicalCodes {
  system: string;
  interventions: Array<{ id: string; code: string; display: string; onlyAfterMonths?: number }>;
}

export function loadNonPharmacologicalCodes(): NonPharmacologicalCodes {
  return readTerminologyJson('non-pharmacological.json') as NonPharmacologicalCodes;
}
