import { readTerminologyJson } from './dataFile.js';

interface GsbFile {
  codes: Array<{ system: string; code: string }>;
  prefixes: Array<{ systems: string[]; prefix: string }>;
  sksSystems: string[];
}

/** The SNOMED, ICD-10 and ICD-11 systems a bare extra code (GSB_EXTRA_CONDITION_CODES) may come in. */
const CONDITION_SYSTEMS = [
  'http://snomed.info/sct',
  'http://hl7.org/fhir/sid/icd-10',
  'http://hl7.dk/fhir/core/CodeSystem/icd10-da',
  'http://hl7.org/fhir/sid/icd-10-cm',
  'http://id.who.int/icd/release/11/mms',
];

/**
 * The GSB value set (guideline-rules §2) plus the deployment's extra codes. SKS codes match their
 * sub-codes (DM797 matches DM797A), as SKS extends ICD-10 codes by appending characters.
 */
export class GsbValueSet {
  private readonly exact = new Set<string>();
  private readonly prefixes: Array<{ systems: Set<string>; prefix: string }> = [];

  constructor(file: GsbFile, extraCodes: readonly string[]) {
    for (const c of file.codes) this.exact.add(`${c.system}|${c.code}`);
    for (const p of file.prefixes) this.prefixes.push({ systems: new Set(p.systems), prefix: p.prefix });
    const sks = new Set(file.sksSystems);
    for (const extra of extraCodes) {
      const bar = extra.lastIndexOf('|');
      if (bar >= 0) {
        const system = extra.slice(0, bar);
        const code = extra.slice(bar + 1);
        if (sks.has(system)) this.prefixes.push({ systems: new Set([system]), prefix: code });
        else this.exact.add(`${system}|${code}`);
      } else if (/^D[A-Z]\d/.test(extra)) {
        // A bare SKS diagnosis code (D + ICD-10 without dot), e.g. DR522.
        this.prefixes.push({ systems: sks, prefix: extra });
      } else {
        for (const system of CONDITION_SYSTEMS) this.exact.add(`${system}|${extra}`);
      }
    }
  }

  hasCoding(coding: fhir4.Coding): boolean {
    if (!coding.system || !coding.code) return false;
    const code = coding.code.trim();
    if (this.exact.has(`${coding.system}|${code}`)) return true;
    return this.prefixes.some((p) => p.systems.has(coding.system as string) && code.startsWith(p.prefix));
  }

  has(concept: fhir4.CodeableConcept | undefined): boolean {
    return !!concept?.coding?.some((c) => this.hasCoding(c));
  }
}

export function loadGsbValueSet(extraCodes: readonly string[]): GsbValueSet {
  return new GsbValueSet(readTerminologyJson('gsb-conditions.json') as GsbFile, extraCodes);
}
