import { codingsOf } from '../model/codeableConcept.js';
import { isObject } from '../model/json.js';
import { diagnosisSystem, type CodeSystemName, type CodeSystems } from './codeSystems.js';
import { readValidatedJson } from './dataFile.js';

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
  reasonTextWordEndings: string[];
  codes: CodeRow[];
}

interface ConditionsFile {
  reasonTextNegations: string[];
  groups: Record<MedicationConditionGroup, GroupRow>;
}

interface Group {
  exact: Set<string>;
  prefixes: Array<{ system: CodeSystemName; code: string }>;
  /** Matched at the start of a word. */
  words: string[];
  /** Matched at the end of a word (compounds). */
  endings: string[];
}

/** Codes compared without dots and spaces, upper case (ICD-10 M79.7 = M797, ICD-11 6C43.2 = 6C432). */
function normalise(code: string): string {
  return code.replace(/[\s.]/g, '').toUpperCase();
}

export class MedicationConditionCodes {
  private readonly groups = new Map<MedicationConditionGroup, Group>();
  private readonly negations: Set<string>;

  /** `readIcpc2`: ICPC-2 codes count only when ICPC-2 is read (ICPC2_L18 not off). */
  constructor(
    file: ConditionsFile,
    private readonly systems: CodeSystems,
    readIcpc2: boolean,
  ) {
    this.negations = new Set(file.reasonTextNegations.map((w) => w.toLowerCase()));
    for (const name of ['depression-anxiety', 'opioid-dependence'] as const) {
      const row = file.groups[name];
      const g: Group = { exact: new Set(), prefixes: [], words: row.reasonTextWords.map((w) => w.toLowerCase()), endings: row.reasonTextWordEndings.map((w) => w.toLowerCase()) };
      for (const c of file.groups[name].codes) {
        if (c.system === 'icpc2' && !readIcpc2) continue;
        if (c.match === 'exact') g.exact.add(`${c.system}|${normalise(c.code)}`);
        else g.prefixes.push({ system: c.system, code: normalise(c.code) });
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
      const { system, code } = diagnosisSystem(named, normalise(coding.code));
      if (code === '') continue;
      if (g.exact.has(`${system}|${code}`)) return true;
      if (g.prefixes.some((p) => p.system === system && code.startsWith(p.code))) return true;
    }
    return false;
  }

  /**
   * Free text naming the group (case-insensitive): a word of the group at the start of a word ("depressiv",
   * "tvangstanker") or one of its endings at the end of a word (compounds: "vinterdepression", "panikangst",
   * "socialfobi"), never only inside one ("langstrakte" is not "angst"). A text with a negation word ("ikke
   * depression", "not for anxiety") names nothing: it cannot exempt an order, so the card is shown — the safe
   * side, as a negated lab flag is no flag (docs/clinical-rules.md §4.10).
   */
  textNames(name: MedicationConditionGroup, text: string): boolean {
    const g = this.group(name);
    if (g.words.length === 0 && g.endings.length === 0) return false;
    const tokens = text.normalize('NFC').toLowerCase().split(/[^a-z0-9æøåäöü]+/).filter((t) => t !== '');
    if (tokens.some((t) => this.negations.has(t))) return false;
    return tokens.some((t) => g.words.some((w) => t.startsWith(w)) || g.endings.some((e) => t.endsWith(e)));
  }
}

export function loadMedicationConditionCodes(systems: CodeSystems, readIcpc2: boolean): MedicationConditionCodes {
  return new MedicationConditionCodes(readValidatedJson<ConditionsFile>('medication-conditions.json', 'medication-conditions'), systems, readIcpc2);
}
