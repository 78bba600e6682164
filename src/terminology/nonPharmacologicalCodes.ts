import { readValidatedJson } from './dataFile.js';

/** The non-drug treatment suggestions and their SNOMED CT codes (docs/clinical-rules.md §3.4). */
export interface NonPharmacologicalCodes {
  system: string;
  interventions: Array<{ id: string; code: string; display: string; onlyAfterMonths?: number }>;
}

export function loadNonPharmacologicalCodes(): NonPharmacologicalCodes {
  return readValidatedJson<NonPharmacologicalCodes>('non-pharmacological.json', 'non-pharmacological');
}
