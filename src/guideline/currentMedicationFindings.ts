import type { MedicationOrderView } from '../model/medicationOrder.js';
import type { DrugKind, DrugKindEntry } from '../terminology/drugKinds.js';
import { assessDaytimeDosing, type DaytimeSettings } from './dosageTiming.js';
import { classifyOrder, medicationCodesOf, namedOnlyByCode, unidentifiable } from './drugClassification.js';
import { effectiveKinds, type MedicationTerminology } from './drugOrderFindings.js';
import { patientConditions } from './medicationReasons.js';

/**
 * patient-view's current medication (docs/clinical-rules.md §3.3): the active MedicationRequests and
 * MedicationStatements the guideline speaks about, grouped by kind in table order, after the same
 * exclusions as order cards (substitution treatment; prescribed for depression or anxiety).
 */

export interface CurrentMedicationDrug {
  reference: string | null;
  drugText: string;
  /** drugText is only a code: the card names the drug by `ingredients` instead. */
  namedByCode: boolean;
  ingredients: Array<{ nameEn: string; nameDa: string }>;
  /** The daytime-dosing rule (amitriptyline): dosed in the daytime. */
  daytime: boolean;
}

export interface CurrentMedicationClass {
  kind: DrugKind;
  entry: DrugKindEntry;
  drugs: CurrentMedicationDrug[];
}

export interface CurrentMedicationFinding {
  kind: 'current-medication';
  /** warning when any drug of the opioid-without-dual-action rule is active, else info. */
  indicator: 'info' | 'warning';
  classes: CurrentMedicationClass[];
  /** An opioid is listed and the patient has opioid dependence on record. */
  opioidDependence: boolean;
  /** Facts: the kinds and the medication codes listed, sorted. */
  kinds: DrugKind[];
  medicationCodes: string[];
  /**
   * What of the patient's medication could not be read, so the card may be incomplete: orders and statements
   * unreadable or whose drug cannot be identified (a Medication neither sent nor readable), and which whole
   * list could not be had: the orders, the shared medication record (statements).
   */
  notRead: { entries: number; ordersUnavailable: boolean; recordUnavailable: boolean; withheld: boolean };
  /**
   * Some Conditions were withheld from the user (§7) and an opioid is listed with no opioid dependence on record:
   * it may be substitution treatment for a dependence the user cannot see (which would not be listed, §3.3).
   */
  diagnosesWithheld: boolean;
}

export interface CurrentMedicationInput {
  activeMedications: readonly MedicationOrderView[];
  /** Active orders and statements skipped as unreadable by the data stage (no status, Medication not found …). */
  unreadable: number;
  /** `medications` could not be had. */
  ordersUnavailable: boolean;
  /** `medicationStatements` could not be had. */
  recordUnavailable: boolean;
  /** Some orders or statements were withheld from the user by consent or access rules (§7). */
  withheld?: boolean;
  /** Some Conditions were withheld likewise (§7). */
  diagnosesWithheld?: boolean;
  conditions: readonly unknown[];
  settings: DaytimeSettings;
  terminology: MedicationTerminology;
}

/** MedicationRequest intents that authorize nothing (FHIR R4): a suggestion or a plan, not a prescription. */
const NOT_PRESCRIBED_INTENTS: ReadonlySet<string> = new Set(['proposal', 'plan', 'option']);

/** null when nothing active is of a kind the guideline speaks about. */
export function findCurrentMedication(input: CurrentMedicationInput): CurrentMedicationFinding | null {
  const { terminology } = input;
  // Each classified once; a substitution product the patient takes (Suboxone, Buvidal …) is opioid dependence on
  // record too, as on the order cards (docs/clinical-rules.md §4.10): methadone beside it is substitution treatment.
  const classified = input.activeMedications.map((med) => ({ med, cls: classifyOrder(med, terminology.drugs) }));
  const onRecord = patientConditions(input.conditions, terminology.conditions);
  const onSubstitution = classified.some(({ cls }) => cls.outOfScope === 'opioid-substitution');
  const patient = onSubstitution && !onRecord.opioidDependence ? { ...onRecord, opioidDependence: true } : onRecord;
  // Per kind, the drugs listed by their text, compared trimmed and in lower case: one Map, not a scan per drug.
  const byKind = new Map<DrugKind, Map<string, CurrentMedicationDrug>>();
  const codes = new Set<string>();
  let opioidDependence = false;
  let unidentified = 0;
  for (const { med, cls } of classified) {
    // A proposal or plan is no drug prescribed: not listed as current medication (the opioid check still counts it, the safe side).
    if (med.intent !== null && NOT_PRESCRIBED_INTENTS.has(med.intent)) continue;
    if (unidentifiable(med, cls, terminology.drugs)) unidentified++;
    const effective = effectiveKinds(med, cls, patient, terminology);
    for (const kind of effective.kinds) {
      const drugs = byKind.get(kind) ?? new Map<string, CurrentMedicationDrug>();
      byKind.set(kind, drugs);
      const drugText = med.drugText ?? '';
      const key = drugText.trim().toLowerCase();
      const daytime = terminology.drugs.kinds.get(kind).rule === 'daytime-dosing' && assessDaytimeDosing(med.dosageInstruction, input.settings).daytime;
      const listed = drugs.get(key);
      // The same drug from two orders, or from the EHR's order and the shared medication record, is listed once:
      // dosed in the daytime when either is (the safe side), with the codes of both, whichever the EHR sent first.
      if (listed) listed.daytime ||= daytime;
      else drugs.set(key, { reference: med.reference, drugText, namedByCode: namedOnlyByCode(med), ingredients: cls.ingredients.map((i) => ({ nameEn: i.nameEn, nameDa: i.nameDa })), daytime });
      for (const c of medicationCodesOf(med)) codes.add(c);
      if (terminology.drugs.kinds.get(kind).opioid && effective.opioidDependence) opioidDependence = true;
    }
  }
  const kinds = terminology.drugs.kinds.ordered(byKind.keys());
  if (kinds.length === 0) return null;
  // In the order of their texts, not of the EHR's lists: the same record gives the same card.
  const classes = kinds.map((kind) => ({ kind, entry: terminology.drugs.kinds.get(kind), drugs: [...(byKind.get(kind) ?? new Map<string, CurrentMedicationDrug>()).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d) }));
  return {
    kind: 'current-medication',
    indicator: classes.some((c) => c.entry.rule === 'opioid-without-dual-action') ? 'warning' : 'info',
    classes,
    opioidDependence,
    kinds: [...kinds].sort(),
    medicationCodes: [...codes].sort(),
    notRead: { entries: input.unreadable + unidentified, ordersUnavailable: input.ordersUnavailable, recordUnavailable: input.recordUnavailable, withheld: input.withheld === true },
    diagnosesWithheld: input.diagnosesWithheld === true && !opioidDependence && classes.some((c) => terminology.drugs.kinds.get(c.kind).opioid),
  };
}
