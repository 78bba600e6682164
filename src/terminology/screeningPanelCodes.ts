import { loadCodeSystems, type CodeSystems } from './codeSystems.js';
import { readValidatedJson } from './dataFile.js';

export type LabCodeSystem = 'npu' | 'loinc';
export type FlagDirection = 'high' | 'low' | 'abnormal';

interface PanelAnalyte {
  id: string;
  codes: readonly string[];
  /** Overrides the group's offScaleLowIsLow (vitamin D2: undetectable is usual, not a deficiency). */
  offScaleLowIsLow?: boolean;
}

export interface PanelGroup {
  /** Stable id, e.g. `tsh`; card texts name the group by it (cards/analytes.yaml). */
  id: string;
  npu: readonly string[];
  loinc: readonly string[];
  /** The code a suggested order uses, per code system; absent: listed, not ordered in that system. */
  primary: Readonly<Partial<Record<LabCodeSystem, string>>>;
  /** A `<` result with no reference range counts as low (docs/clinical-rules.md §3.2). */
  offScaleLowIsLow?: boolean;
  /** Analytes assessed one by one (the differential count's cell types, calcium's and vitamin D's measurements); absent: the group is one analyte. */
  analytes?: readonly PanelAnalyte[];
}

export interface OrderPanel {
  system: LabCodeSystem;
  code: string;
  display: string;
  /** Group ids an open order with this code covers. */
  covers: readonly string[];
}

/** How an interpretation is read (terminology/interpretation-words.json). */
export interface InterpretationWords {
  codes: Readonly<Record<FlagDirection | 'normal' | 'offScaleBelow' | 'offScaleAbove', readonly string[]>>;
  words: Readonly<Record<FlagDirection, readonly string[]>>;
  negations: readonly string[];
  directionless: readonly string[];
  /** Results in words ("neg", "ikke påvist"): a valueString that is one of them is a value, not a lab comment. */
  resultWords: readonly string[];
  /** The words and codes a reference range's `appliesTo` names a sex by ("male", SNOMED CT 248153007, "kvinde"). */
  rangeSex: Readonly<Record<'male' | 'female', readonly string[]>>;
  /** Words a valueString may begin with in place of a comparator ("over 100", "mindre end 0,5"). */
  comparatorWords: Readonly<Record<'>' | '<', readonly string[]>>;
}

interface PanelFile {
  groups: PanelGroup[];
}

interface OrderPanelFile {
  panels: OrderPanel[];
}

export interface CodeHit {
  group: PanelGroup;
  /** The analyte within the group: the group id unless the group lists analytes. */
  analyteId: string;
  system: LabCodeSystem;
}

/**
 * The screening panel (docs/clinical-rules.md §3.1) with lookups built once: a request maps an
 * Observation coding to its group and analyte with one Map read. Code systems are matched through the
 * one table of code-system URIs (terminology/code-systems.json), so every NPU and LOINC alias counts.
 */
export class ScreeningPanelCodes {
  readonly groups: readonly PanelGroup[];
  readonly orderPanels: readonly OrderPanel[];
  readonly interpretation: InterpretationWords;
  /** Per system, so that a lookup (every coding of every Observation) builds no `system|code` string. */
  private readonly byCode: Record<LabCodeSystem, Map<string, CodeHit>> = { npu: new Map(), loinc: new Map() };
  private readonly panelByCode = new Map<string, OrderPanel>();
  private readonly resultWords: ReadonlySet<string>;
  /** The codes a lab may write after a value in text ("45 H"). */
  private readonly valueFlags: ReadonlySet<string>;
  private readonly sexByWord = new Map<string, 'male' | 'female'>();
  /** Comparator words, longest first, each with the symbol it stands for. */
  private readonly comparatorWords: ReadonlyArray<readonly [string, '>' | '<']>;

  constructor(
    file: PanelFile,
    private readonly codeSystems: CodeSystems,
    orderPanels: OrderPanelFile = { panels: [] },
    interpretation: InterpretationWords = EMPTY_WORDS,
  ) {
    this.groups = file.groups;
    this.orderPanels = orderPanels.panels;
    this.interpretation = interpretation;
    this.resultWords = new Set(interpretation.resultWords.map(resultWordKey));
    const { high, low, abnormal, normal } = interpretation.codes;
    this.valueFlags = new Set([...high, ...low, ...abnormal, ...normal, ...interpretation.directionless]);
    for (const sex of ['male', 'female'] as const) for (const w of interpretation.rangeSex[sex]) this.sexByWord.set(w.trim().toLowerCase(), sex);
    this.comparatorWords = (['>', '<'] as const)
      .flatMap((symbol) => interpretation.comparatorWords[symbol].map((w) => [w.trim().toLowerCase().replace(/\s+/g, ' '), symbol] as const))
      .sort((a, b) => b[0].length - a[0].length);
    const ids = new Set(file.groups.map((g) => g.id));
    for (const group of file.groups) {
      const analyteOf = new Map<string, string>();
      for (const a of group.analytes ?? []) for (const c of a.codes) analyteOf.set(c, a.id);
      for (const kind of ['npu', 'loinc'] as const) {
        for (const code of group[kind]) {
          if (this.byCode[kind].has(code.toUpperCase())) throw new Error(`screening-panel.json: code ${code} is in two groups`);
          const analyteId = analyteOf.get(code) ?? group.id;
          if (group.analytes && !analyteOf.has(code)) throw new Error(`screening-panel.json: ${group.id} code ${code} belongs to no analyte`);
          this.byCode[kind].set(code.toUpperCase(), { group, analyteId, system: kind });
        }
      }
    }
    for (const p of this.orderPanels) {
      for (const id of p.covers) if (!ids.has(id)) throw new Error(`lab-order-panels.json: ${p.code} covers unknown group ${id}`);
      this.panelByCode.set(`${p.system}|${p.code.toUpperCase()}`, p);
    }
  }

  private kindOf(system: unknown): LabCodeSystem | undefined {
    const name = this.codeSystems.nameOf(system);
    return name === 'npu' || name === 'loinc' ? name : undefined;
  }

  /**
   * Which group (and analyte) a coding belongs to, matching system and code; the code in any case ("npu03577":
   * NPU's letters are its prefix, LOINC's codes have none, so no two codes differ only in case).
   */
  groupOf(coding: { system?: unknown; code?: unknown }): CodeHit | undefined {
    if (typeof coding.code !== 'string') return undefined;
    const kind = this.kindOf(coding.system);
    return kind ? this.byCode[kind].get(coding.code.trim().toUpperCase()) : undefined;
  }

  /** The groups a panel order code covers (a blood count panel covers haemoglobin, leukocytes, platelets …). */
  panelOf(coding: { system?: unknown; code?: unknown }): OrderPanel | undefined {
    if (typeof coding.code !== 'string') return undefined;
    const kind = this.kindOf(coding.system);
    return kind ? this.panelByCode.get(`${kind}|${coding.code.trim().toUpperCase()}`) : undefined;
  }

  /** An interpretation coding's system the rules read: v3-ObservationInterpretation, v2-0078, or none. */
  isInterpretationSystem(uri: unknown): boolean {
    if (uri === undefined || uri === null || (typeof uri === 'string' && uri.trim() === '')) return true;
    const name = this.codeSystems.nameOf(uri);
    return name === 'v3-interpretation' || name === 'v2-0078';
  }

  /** NPU or LOINC for a system URI (any alias), else undefined. */
  systemKindOf(uri: unknown): LabCodeSystem | undefined {
    return this.kindOf(uri);
  }

  /** The URI the service writes for a code system. */
  uriOf(kind: LabCodeSystem): string {
    return this.codeSystems.uriOf(kind);
  }

  /** The text as written, when it is, whole, a result in words ("neg", "Ikke påvist."); else undefined. */
  resultInWords(text: unknown): string | undefined {
    return typeof text === 'string' && text.length <= 40 && this.resultWords.has(resultWordKey(text)) ? text.trim() : undefined;
  }

  /**
   * A valueString that begins with a comparator word and then a number ("Over 100", "mindre end 0,5"), written
   * with the comparator's symbol instead (">100"); undefined for any other text.
   */
  withComparatorSymbol(text: string): string | undefined {
    if (text.length > 60) return undefined;
    const written = text.trim().replace(/\s+/g, ' ');
    const t = written.toLowerCase();
    for (const [word, symbol] of this.comparatorWords) {
      // The number and its unit as written ("mg/L" stays so on the card).
      if (t.startsWith(`${word} `) && /^\d/.test(t.slice(word.length + 1))) return `${symbol}${written.slice(word.length + 1)}`;
    }
    return undefined;
  }

  /**
   * A valueString with the lab's flag written after the value ("45 H", "5,2 mmol/L L", "45 (H)", "120 *", or
   * "120*": no unit is a star): the text before it and the flag, when the last word is, exactly, an
   * interpretation code in capitals or a flag without direction (interpretation-words.json `codes`,
   * `directionless`), alone or in brackets; else undefined. "45 H" read whole would take "H" as its unit. A
   * code glued to the number ("45H") is not read: "5L" may be a unit.
   */
  withoutTrailingFlag(text: string): { value: string; flag: string } | undefined {
    if (text.length > 60) return undefined;
    const written = text.trim();
    const star = /\d(\*{1,2})$/.exec(written);
    if (star?.[1] !== undefined && this.valueFlags.has(star[1])) return { value: written.slice(0, -star[1].length), flag: star[1] };
    const cut = written.search(/\s\S+$/);
    if (cut <= 0) return undefined;
    const last = written.slice(cut + 1);
    const flag = /^\(.+\)$/.test(last) ? last.slice(1, -1) : last;
    const value = written.slice(0, cut).trim();
    // "mmol / L": the end of the unit, spaced out, not a flag.
    return this.valueFlags.has(flag) && !value.endsWith('/') ? { value, flag } : undefined;
  }

  /** The sex a reference range's `appliesTo` word or code names (any case), if it names one (interpretation-words.json `rangeSex`). */
  sexOfRangeWord(word: string): 'male' | 'female' | undefined {
    return this.sexByWord.get(word.trim().toLowerCase());
  }

  /**
   * Every code of the panel, bare (without system), and every panel order code: the prefetch template searches
   * by these. A blood count sent as one Observation coded as its panel (57021-8) with the results in
   * components is found only by the panel's code (a token search on `code` does not look into components).
   */
  allCodes(): string[] {
    return [...new Set([...this.groups.flatMap((g) => [...g.npu, ...g.loinc]), ...this.orderPanels.map((p) => p.code)])];
  }
}

/** "Ikke  påvist." → "ikke påvist": case, spacing and a final full stop aside. */
function resultWordKey(text: string): string {
  return text.normalize('NFC').trim().toLowerCase().replace(/\.$/, '').replace(/\s+/g, ' ');
}

const EMPTY_WORDS: InterpretationWords = {
  codes: { high: [], low: [], abnormal: [], normal: [], offScaleBelow: [], offScaleAbove: [] },
  words: { high: [], low: [], abnormal: [] },
  negations: [],
  directionless: [],
  resultWords: [],
  rangeSex: { male: [], female: [] },
  comparatorWords: { '>': [], '<': [] },
};

export function loadScreeningPanelCodes(codeSystems: CodeSystems = loadCodeSystems()): ScreeningPanelCodes {
  return new ScreeningPanelCodes(
    readValidatedJson<PanelFile>('screening-panel.json', 'screening-panel'),
    codeSystems,
    readValidatedJson<OrderPanelFile>('lab-order-panels.json', 'lab-order-panels'),
    readValidatedJson<InterpretationWords>('interpretation-words.json', 'interpretation-words'),
  );
}
