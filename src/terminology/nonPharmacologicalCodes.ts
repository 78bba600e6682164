import { isObject } from '../model/json.js';
import { readValidatedTerminologyJson } from './validatedDataFile.js';

/** The non-drug treatment suggestions and their SNOMED CT codes (docs/clinical-rules.md §3.4). */
export interface NonPharmacologicalCodes {
  system: string;
  interventions: Array<{ id: string; code: string; display: string; onlyAfterMonths?: number }>;
}

function isCodes(v: unknown): v is NonPharmacologicalCodes {
  return isObject(v) && typeof v.system === 'string' && Array.isArray(v.interventions);
}

export function loadNonPharmacologicalCodes(): NonPharmacologicalCodes {
  return readValidatedTerminologyJson('non-pharmacological.json', 'non-pharmacological.schema.json', isCodes);
}
