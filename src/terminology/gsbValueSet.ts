import { codingsOf } from '../model/codeableConcept.js';
import type { ConditionStatuses } from '../model/conditionStatus.js';
import { isObject, nonBlank } from '../model/json.js';
import { diagnosisCodeKey, diagnosisSystem, type CodeSystemName, type CodeSystems } from './codeSystems.js';
import { loadConditionStatuses } from './conditionStatusWords.js';
import { readValidatedJson } from './dataFile.js';

type GsbSystem = Extract<CodeSystemName, 'snomed' | 'icd10' | 'sks' | 'icd11' | 'icpc2'>;

interface GsbFile {
  codes: Array<{ system: GsbSystem; code: string }>;
  prefixes: Array<{ system: GsbSystem; prefix: string }>;
  icpc2L18: { code: string; textPatterns: string[] };
}

/** ICPC-2 L18 (muscle pain) is opt-in: off, only when the text names GSB, or every L18 (docs/clinical-rules.md §2). */
export type Icpc2L18Setting = 'off' | 'text' | 'all';

/** The systems a bare extra code (GSB_EXTRA_CONDITION_CODES) may come in. */
const BARE_CODE_SYSTEMS: readonly GsbSystem[] = ['snomed', 'icd10', 'icd11'];

/**
 * The GSB value set (docs/clinical-rules.md §2) plus the deployment's extra codes. A coding's system is
 * named through the one code-system table (so OIDs and other aliases count); ICD-10 matches with or
 * without the dot; SKS codes match their sub-codes (DM797 matches DM797A). Reads leniently: a concept
 * of any shape is read, never trusted (a `coding` that is not an array is one coding or none).
 */
export class GsbValueSet {
  private readonly exact = new Set<string>();
  private readonly prefixes: Array<{ system: string; prefix: string }> = [];
  private readonly l18Code: string;
  private readonly l18Text: RegExp[];

  constructor(
    file: GsbFile,
    extraCodes: readonly string[],
    private readonly systems: CodeSystems,
    private readonly icpc2L18: Icpc2L18Setting,
    /** How a Condition's status is read (terminology/condition-status-words.json): scope asks it with the code. */
    readonly statuses: ConditionStatuses,
  ) {
    for (const c of file.codes) this.exact.add(`${c.system}|${diagnosisCodeKey(c.code)}`);
    for (const p of file.prefixes) this.prefixes.push({ system: p.system, prefix: diagnosisCodeKey(p.prefix) });
    this.l18Code = diagnosisCodeKey(file.icpc2L18.code);
    this.l18Text = file.icpc2L18.textPatterns.map((p) => new RegExp(p, 'iu'));
    for (const extra of extraCodes) {
      const bar = extra.lastIndexOf('|');
      if (bar >= 0) {
        const uri = extra.slice(0, bar);
        const system = systems.nameOf(uri) ?? uri;
        const code = diagnosisCodeKey(extra.slice(bar + 1));
        if (system === 'sks') this.prefixes.push({ system, prefix: code });
        else this.exact.add(`${system}|${code}`);
      } else if (/^D[A-Z]\d/.test(extra)) {
        // A bare SKS diagnosis code (D + ICD-10 without dot), e.g. DR522: matches its sub-codes.
        this.prefixes.push({ system: 'sks', prefix: diagnosisCodeKey(extra) });
      } else {
        for (const system of BARE_CODE_SYSTEMS) this.exact.add(`${system}|${diagnosisCodeKey(extra)}`);
      }
    }
  }

  private codingMatch(coding: unknown): 'yes' | 'l18' | 'no' {
    if (!isObject(coding)) return 'no';
    const rawCode = nonBlank(coding.code);
    if (rawCode === undefined || typeof coding.system !== 'string') return 'no';
    const named: string = this.systems.nameOf(coding.system) ?? coding.system.trim();
    const { system, code } = diagnosisSystem(named, diagnosisCodeKey(rawCode));
    if (this.exact.has(`${system}|${code}`)) return 'yes';
    if (this.prefixes.some((p) => p.system === system && code.startsWith(p.prefix))) return 'yes';
    if (system === 'icpc2' && code.startsWith(this.l18Code) && this.icpc2L18 !== 'off') return this.icpc2L18 === 'all' ? 'yes' : 'l18';
    return 'no';
  }

  /** Whether a CodeableConcept (read leniently) is in the value set. */
  has(concept: unknown): boolean {
    if (!isObject(concept)) return false;
    const codings = codingsOf(concept);
    let l18 = false;
    for (const c of codings) {
      const match = this.codingMatch(c);
      if (match === 'yes') return true;
      if (match === 'l18') l18 = true;
    }
    if (!l18) return false;
    // ICPC2_L18=text: L18 counts only when the condition's own words name GSB.
    const words = [concept.text, ...codings.map((c) => c.display)].filter((w): w is string => typeof w === 'string');
    return words.some((w) => this.l18Text.some((re) => re.test(w)));
  }
}

export function loadGsbValueSet(
  extraCodes: readonly string[],
  systems: CodeSystems,
  icpc2L18: Icpc2L18Setting = 'off',
  statuses: ConditionStatuses = loadConditionStatuses(),
): GsbValueSet {
  const file = readValidatedJson<GsbFile>('gsb-conditions.json', 'gsb-conditions');
  return new GsbValueSet(file, extraCodes, systems, icpc2L18, statuses);
}
