import { projectPath } from '../projectRoot.js';
import { readValidatedCsv } from './dataFile.js';

/**
 * The drug kinds of the medication rules (docs/clinical-rules.md §3.3, §4): terminology/drug-kinds.csv is
 * the one table of each kind's recommendation, strength with its direction, indicator and behaviour.
 */

/** A card kind of the medication rules, as listed in terminology/drug-kinds.csv. */
export type DrugKind = string;

export type StrengthGrade = 'strong' | 'weak' | 'good-practice' | 'none';
export type StrengthDirection = 'for' | 'against' | 'none';
export type DrugKindRule = 'opioid-without-dual-action' | 'daytime-dosing' | 'plain';

export interface DrugKindEntry {
  kind: DrugKind;
  recommendation: string;
  strength: StrengthGrade;
  direction: StrengthDirection;
  indicator: 'info' | 'warning';
  opioid: boolean;
  rule: DrugKindRule;
  /** No card when the drug is prescribed for depression or anxiety. */
  depressionExempt: boolean;
  offLabel: boolean;
  painNotDepression: boolean;
  otherTreatmentFirst: boolean;
  /** The line on the Authority's guidance on dependence-producing drugs. */
  dependenceGuidance: boolean;
}

interface DrugKindRow {
  kind: string;
  recommendation: string;
  strength: StrengthGrade;
  direction: StrengthDirection;
  indicator: 'info' | 'warning';
  opioid: 'yes' | 'no';
  rule: DrugKindRule;
  depression_exempt: 'yes' | 'no';
  off_label: 'yes' | 'no';
  pain_not_depression: 'yes' | 'no';
  other_treatment_first: 'yes' | 'no';
  dependence_guidance: 'yes' | 'no';
  source: string;
}

/** The table, in its row order (the order cards list kinds in). */
export class DrugKinds {
  private readonly byKind = new Map<DrugKind, DrugKindEntry>();

  constructor(readonly entries: readonly DrugKindEntry[]) {
    for (const e of entries) {
      if (this.byKind.has(e.kind)) throw new Error(`drug-kinds.csv: kind ${e.kind} is listed twice`);
      this.byKind.set(e.kind, e);
    }
  }

  has(kind: string): boolean {
    return this.byKind.has(kind);
  }

  get(kind: DrugKind): DrugKindEntry {
    const e = this.byKind.get(kind);
    if (!e) throw new Error(`unknown drug kind ${kind}`);
    return e;
  }

  /** The kinds present in `kinds`, in table order. */
  ordered(kinds: Iterable<DrugKind>): DrugKind[] {
    const present = new Set(kinds);
    return this.entries.filter((e) => present.has(e.kind)).map((e) => e.kind);
  }

  /** Sort position (unknown kinds last). */
  indexOf(kind: DrugKind): number {
    const i = this.entries.findIndex((e) => e.kind === kind);
    return i === -1 ? this.entries.length : i;
  }
}

export function loadDrugKinds(dir: string = projectPath('terminology')): DrugKinds {
  const yes = (v: 'yes' | 'no'): boolean => v === 'yes';
  const rows = readValidatedCsv<DrugKindRow>(dir, 'drug-kinds.csv', 'drug-kinds');
  return new DrugKinds(
    rows.map((r) => ({
      kind: r.kind,
      recommendation: r.recommendation,
      strength: r.strength,
      direction: r.direction,
      indicator: r.indicator,
      opioid: yes(r.opioid),
      rule: r.rule,
      depressionExempt: yes(r.depression_exempt),
      offLabel: yes(r.off_label),
      painNotDepression: yes(r.pain_not_depression),
      otherTreatmentFirst: yes(r.other_treatment_first),
      dependenceGuidance: yes(r.dependence_guidance),
    })),
  );
}
