import { projectPath } from '../projectRoot.js';
import { readValidatedCsv } from './dataFile.js';

/**
 * The times of day of FHIR's EventTiming codes (`timing.repeat.when`), from terminology/dosing-times.csv, as the
 * amitriptyline rule reads them (docs/clinical-rules.md §4.5). Read once at start and injected into the rules.
 */
export interface DosingTimes {
  /** Codes of a dose taken in the daytime (MORN, NOON, CM …). */
  daytime: ReadonlySet<string>;
  /** Codes of a dose taken in the evening or at night (EVE, HS …). */
  evening: ReadonlySet<string>;
  /** Every code by its lower case ("morn" → "MORN"): EHRs send them in either case. */
  byLowerCase: ReadonlyMap<string, string>;
}

interface DosingTimeRow {
  code: string;
  time_of_day: 'daytime' | 'evening';
  meaning: string;
}

export function loadDosingTimes(dir: string = projectPath('terminology')): DosingTimes {
  const daytime = new Set<string>();
  const evening = new Set<string>();
  const byLowerCase = new Map<string, string>();
  for (const r of readValidatedCsv<DosingTimeRow>(dir, 'dosing-times.csv', 'dosing-times')) {
    if (byLowerCase.has(r.code.toLowerCase())) throw new Error(`dosing-times.csv: ${r.code} is listed twice`);
    (r.time_of_day === 'daytime' ? daytime : evening).add(r.code);
    byLowerCase.set(r.code.toLowerCase(), r.code);
  }
  return { daytime, evening, byLowerCase };
}
