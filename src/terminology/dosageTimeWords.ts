import { readValidatedJson } from './dataFile.js';

/** Words read in a dosage given only as text (terminology/dosage-time-words.json; docs/clinical-rules.md §4.5). */
export interface DosageTimeWords {
  readonly daytime: ReadonlySet<string>;
  readonly negations: ReadonlySet<string>;
}

interface DosageTimeWordsFile {
  daytime: string[];
  negations: string[];
}

export function loadDosageTimeWords(): DosageTimeWords {
  const file = readValidatedJson<DosageTimeWordsFile>('dosage-time-words.json', 'dosage-time-words');
  return { daytime: new Set(file.daytime), negations: new Set(file.negations) };
}
