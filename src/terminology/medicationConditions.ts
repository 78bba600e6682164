import { codingsOf } from '../model/codeableConcept.js';
import type { ConditionStatuses } from '../model/conditionStatus.js';
import { isObject } from '../model/json.js';
import { loadConditionStatuses } from './conditionStatusWords.js';
import { diagnosisCodeKey, diagnosisSystem, type CodeSystemName, type CodeSystems } from './codeSystems.js';
import { readValidatedJson } from './dataFile.js';
import { ReasonTextReader, type PreparedReasonTextGroup, type ReasonTextSettings } from './reasonText.js';

/**
 * The diagnosis groups of the medication rules (docs/clinical-rules.md §4): depression or anxiety (no pain
 * card for a drug prescribed for it) and opioid dependence. Codes, systems and reason-text words live in
 * terminology/medication-conditions.json; a coding's system is matched through the one code-system table.
 */

export type MedicationConditionGroup = 'depression-anxiety' | 'opioid-dependence';

type GroupSystem = 'icd10' | 'sks' | 'snomed' | 'icd11' | 'icpc2';

interface CodeRow {
  system: GroupSystem;
  code: string;
  match: 'exact' | 'prefix';
  display: string;
  status: 'verified' | 'unverified';
  source: string;
}

interface GroupRow {
  reasonTextWords: string[];
  reasonTextPhrases: string[];
  codes: CodeRow[];
}

interface ConditionsFile {
  reasonText: ReasonTextSettings;
  groups: Record<MedicationConditionGroup, GroupRow>;
}

interface Group {
  exact: Set<string>;
  prefixes: Array<{ system: CodeSystemName; code: string }>;
  text: PreparedReasonTextGroup;
}

/** A normalised code of a system in the group: listed exactly, or under one of its prefixes. */
function inGroup(g: Group, system: string, code: string): boolean {
  return g.exact.has(`${system}|${code}`) || g.prefixes.some((p) => p.system === system && code.startsWith(p.code));
}

/** A diagnosis code written in a text ("f321", "df321", "p76"): the group's as ICD-10, SKS or ICPC-2. */
function textCodeIn(g: Group, word: string): boolean {
  const code = diagnosisCodeKey(word);
  return [diagnosisSystem('icd10', code), diagnosisSystem('sks', code), { system: 'icpc2', code }].some((c) => inGroup(g, c.system, c.code));
}

export class MedicationConditionCodes {
  private readonly groups = new Map<MedicationConditionGroup, Group>();
  private readonly reasonText: ReasonTextReader;

  /** `readIcpc2`: ICPC-2 codes count only when ICPC-2 is read (ICPC2_L18 not off). */
  constructor(
    file: ConditionsFile,
    private readonly systems: CodeSystems,
    readIcpc2: boolean,
    /** How a Condition's status is read (terminology/condition-status-words.json). */
    readonly statuses: ConditionStatuses,
  ) {
    this.reasonText = new ReasonTextReader(file.reasonText);
    for (const name of ['depression-anxiety', 'opioid-dependence'] as const) {
      const row = file.groups[name];
      const g: Group = { exact: new Set(), prefixes: [], text: this.reasonText.prepare({ words: row.reasonTextWords, phrases: row.reasonTextPhrases }) };
      for (const c of file.groups[name].codes) {
        if (c.system === 'icpc2' && !readIcpc2) continue;
        if (c.match === 'exact') g.exact.add(`${c.system}|${diagnosisCodeKey(c.code)}`);
        else g.prefixes.push({ system: c.system, code: diagnosisCodeKey(c.code) });
      }
      this.groups.set(name, g);
    }
  }

  private group(name: MedicationConditionGroup): Group {
    const g = this.groups.get(name);
    if (!g) throw new Error(`unknown group ${name}`);
    return g;
  }

  /** A concept (read leniently) with a coding in the group. */
  hasCode(name: MedicationConditionGroup, concept: unknown): boolean {
    if (!isObject(concept)) return false;
    const g = this.group(name);
    for (const coding of codingsOf(concept)) {
      const named = this.systems.nameOf(coding.system);
      if (!named || typeof coding.code !== 'string') continue;
      const { system, code } = diagnosisSystem(named, diagnosisCodeKey(coding.code));
      if (code !== '' && inGroup(g, system, code)) return true;
    }
    return false;
  }

  /** Free text naming the group, read as src/terminology/reasonText.ts says (docs/clinical-rules.md §4.10). */
  textNames(name: MedicationConditionGroup, text: string): boolean {
    const g = this.group(name);
    return this.reasonText.names(g.text, text, (word) => textCodeIn(g, word));
  }

  /** Free text that mentions the group among other things ("depression og smerter"; src/terminology/reasonText.ts). */
  textMentions(name: MedicationConditionGroup, text: string): boolean {
    const g = this.group(name);
    return this.reasonText.mentions(g.text, text, (word) => textCodeIn(g, word));
  }
}

export function loadMedicationConditionCodes(systems: CodeSystems, readIcpc2: boolean, statuses: ConditionStatuses = loadConditionStatuses()): MedicationConditionCodes {
  return new MedicationConditionCodes(readValidatedJson<ConditionsFile>('medication-conditions.json', 'medication-conditions'), systems, readIcpc2, statuses);
}
