import type { DraftOrder, MedicationOrderView } from '../data/draftOrders.js';
import { hasMedication } from '../data/draftOrders.js';
import { ATC_SYSTEM, RXNORM_SYSTEM, drugCodes } from '../terminology/drugCodes.js';
import {
  DRUG_KINDS,
  classifyIngredientConcepts,
  classifyMedication,
  type ClassificationSource,
  type ClassifiedIngredient,
  type ClassifiedMedication,
  type DrugKind,
} from './drugClassification.js';
import { assessDaytimeDosing, moveDosageToEvening, type DaytimeAssessment, type DaytimeSettings, type ResourceJson } from './dosageTiming.js';

/**
 * Medication findings (guideline-rules §4 for order-select/order-sign, §3.3 for patient-view) as plain
 * data: what a card needs, no card text. One finding per (order, kind).
 */

export type Indicator = 'info' | 'warning';

/** The recommendation a kind rests on (tapentadol, other TCAs and venlafaxine cite a neighbouring one). */
export type MedicationRecommendationId =
  | 'opioid-without-dual-action'
  | 'tramadol'
  | 'amitriptyline'
  | 'duloxetine'
  | 'ssri'
  | 'gabapentinoid';

/** The guideline's strength; null when the guideline makes no recommendation for this drug. */
export type RecommendationStrength = 'good-practice-against' | 'weak-for' | 'weak-against' | null;

export const KIND_RECOMMENDATION: Readonly<
  Record<DrugKind, { recommendation: MedicationRecommendationId; strength: RecommendationStrength }>
> = {
  'opioid-without-dual-action': { recommendation: 'opioid-without-dual-action', strength: 'good-practice-against' },
  tramadol: { recommendation: 'tramadol', strength: 'weak-against' },
  tapentadol: { recommendation: 'tramadol', strength: null },
  ssri: { recommendation: 'ssri', strength: 'weak-against' },
  amitriptyline: { recommendation: 'amitriptyline', strength: 'weak-for' },
  'other-tca': { recommendation: 'amitriptyline', strength: null },
  duloxetine: { recommendation: 'duloxetine', strength: 'weak-for' },
  venlafaxine: { recommendation: 'duloxetine', strength: null },
  gabapentinoid: { recommendation: 'gabapentinoid', strength: 'weak-for' },
};

const BASE_INDICATOR: Readonly<Record<DrugKind, Indicator>> = {
  'opioid-without-dual-action': 'warning',
  tramadol: 'warning',
  tapentadol: 'info',
  ssri: 'warning',
  amitriptyline: 'info',
  'other-tca': 'info',
  duloxetine: 'info',
  venlafaxine: 'info',
  gabapentinoid: 'info',
};

const OPIOID_KINDS: ReadonlySet<DrugKind> = new Set(['opioid-without-dual-action', 'tramadol', 'tapentadol']);

export interface FindingIngredient {
  key: string;
  nameEn: string;
  nameDa: string;
  rxnormIngredient: string | null;
}

export interface OrderRef {
  /** `{resourceType}/{id}` as sent (MedicationOrder/… on DSTU2); null when the order has no id. */
  reference: string | null;
  resourceType: 'MedicationRequest' | 'MedicationOrder';
  id: string | null;
  /** The drug as ordered (text, else display, else code). */
  drugText: string;
  /** `system|code` of the classifying coding, else `text:<lower-case text>`: with the order id, keys suppression. */
  medicationKey: string;
  /** True when the draft holds more than one medication order; then `position` says which one (1-based). */
  multipleOrders: boolean;
  position: number;
}

interface DrugOrderFindingBase {
  indicator: Indicator;
  recommendation: MedicationRecommendationId;
  strength: RecommendationStrength;
  order: OrderRef;
  /** The ingredients of this kind in the product. */
  ingredients: FindingIngredient[];
  /** Every recognised ingredient of the product (a combination lists each, partners included). */
  productIngredients: FindingIngredient[];
  via: ClassificationSource;
}

export interface ActiveOrderRef {
  reference: string | null;
  drugText: string | null;
}

export interface OpioidOrderFinding extends DrugOrderFindingBase {
  kind: 'opioid-without-dual-action';
  /** Offer the (not recommended) `delete` suggestion: the patient has no active order for the same ingredient. */
  offerDelete: boolean;
  /** `{resourceType}/{id}` for the delete action; null when not offered. */
  deleteResourceId: string | null;
  /** Continuing or tapering established treatment: say a tapering plan is needed instead of deleting. */
  taperingPlanNeeded: boolean;
  /** The patient's active orders with the same opioid ingredient. */
  activeSameIngredient: ActiveOrderRef[];
}

export interface AlternativeDrug {
  ingredient: 'nortriptyline' | 'imipramine';
  nameEn: string;
  nameDa: string;
  /** Coded in the order's own system (RxNorm ingredient or ATC), text = the name; text only for a text order. */
  medicationCodeableConcept: fhir4.CodeableConcept;
}

export interface AmitriptylineOrderFinding extends DrugOrderFindingBase {
  kind: 'amitriptyline';
  daytime: boolean;
  dosage: DaytimeAssessment;
  /** Daytime only: the order moved to bedtime, for an `update` action (resource in the order's own FHIR version). */
  eveningUpdate: { resourceId: string | null; resource: ResourceJson } | null;
  /** Daytime only: nortriptyline and imipramine (the working group's experience: less sedating). */
  alternatives: AlternativeDrug[];
}

export interface OtherDrugOrderFinding extends DrugOrderFindingBase {
  kind: Exclude<DrugKind, 'opioid-without-dual-action' | 'amitriptyline'>;
}

export type DrugOrderFinding = OpioidOrderFinding | AmitriptylineOrderFinding | OtherDrugOrderFinding;

export interface CurrentMedicationDrug {
  reference: string | null;
  drugText: string;
  ingredients: FindingIngredient[];
  /** Amitriptyline only: dosed in the daytime. */
  daytime?: boolean;
}

export interface CurrentMedicationClass {
  kind: DrugKind;
  recommendation: MedicationRecommendationId;
  strength: RecommendationStrength;
  drugs: CurrentMedicationDrug[];
}

export interface CurrentMedicationFinding {
  kind: 'current-medication';
  /** warning when any opioid without dual action is active, else info. */
  indicator: Indicator;
  /** In the order of the §4 table. */
  classes: CurrentMedicationClass[];
}

export type MedicationSettings = DaytimeSettings;

// ---- reasons and conditions ----

const ICD10_SYSTEMS = new Set([
  'http://hl7.org/fhir/sid/icd-10',
  'http://hl7.dk/fhir/core/CodeSystem/icd10-da',
  'http://hl7.org/fhir/sid/icd-10-cm',
]);
const SKS_SYSTEMS = new Set(['urn:oid:1.2.208.176.2.4', 'urn:oid:1.2.208.176.2.4.12']);

function icdCodes(concept: fhir4.CodeableConcept | undefined): string[] {
  const out: string[] = [];
  for (const c of concept?.coding ?? []) {
    if (!c.system || typeof c.code !== 'string') continue;
    const code = c.code.replace(/[\s.]/g, '').toUpperCase();
    if (ICD10_SYSTEMS.has(c.system)) out.push(code);
    else if (SKS_SYSTEMS.has(c.system) && code.startsWith('D')) out.push(code.slice(1));
  }
  return out;
}

/** ICD-10 F11 and sub-codes (SKS DF11*): opioid dependence. */
export function isOpioidDependence(concept: fhir4.CodeableConcept | undefined): boolean {
  return icdCodes(concept).some((c) => c.startsWith('F11'));
}

/** ICD-10 F32–F34, F41–F42 and sub-codes (SKS DF32–DF34, DF41, DF42): depression or anxiety. */
export function isDepressionOrAnxiety(concept: fhir4.CodeableConcept | undefined): boolean {
  return icdCodes(concept).some((c) => /^F3[234]/.test(c) || /^F4[12]/.test(c));
}

function statusCode(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) {
    const coding = (v as fhir4.CodeableConcept).coding;
    return Array.isArray(coding) ? coding.find((c) => typeof c?.code === 'string')?.code : undefined;
  }
  return undefined;
}

function isActiveCondition(c: fhir4.Condition): boolean {
  const verification = statusCode(c.verificationStatus);
  if (verification === 'entered-in-error' || verification === 'refuted') return false;
  const clinical = statusCode(c.clinicalStatus);
  return clinical === undefined || clinical === 'active' || clinical === 'recurrence' || clinical === 'relapse';
}

function conditionIndex(conditions: readonly fhir4.Condition[]): Map<string, fhir4.Condition> {
  const m = new Map<string, fhir4.Condition>();
  for (const c of conditions) if (c?.id) m.set(`Condition/${c.id}`, c);
  return m;
}

function reasonsOf(order: MedicationOrderView, conditions: Map<string, fhir4.Condition>): fhir4.CodeableConcept[] {
  const out = [...order.reasons];
  for (const ref of order.unresolvedReasonReferences) {
    const parts = ref.split('/');
    const key = parts.slice(-2).join('/');
    const c = conditions.get(key);
    if (c?.code) out.push(c.code);
  }
  return out;
}

// ---- classification of an order ----

function classifyOrder(order: MedicationOrderView): ClassifiedMedication {
  const byCode = classifyMedication(order.medication ?? undefined);
  if (byCode.via !== null || order.medicationIngredients.length === 0) return byCode;
  return classifyIngredientConcepts(order.medicationIngredients);
}

function findingIngredient(i: ClassifiedIngredient): FindingIngredient {
  return { key: i.key, nameEn: i.nameEn, nameDa: i.nameDa, rxnormIngredient: i.rxnormIngredient };
}

function medicationKey(order: MedicationOrderView, cls: ClassifiedMedication): string {
  const coding = cls.matchedCoding ?? order.medication?.coding?.find((c) => c.system && c.code);
  if (coding?.system && coding.code) return `${coding.system}|${coding.code}`;
  return `text:${(order.drugText ?? '').trim().toLowerCase()}`;
}

/** Kinds that give a finding for this order, after the §4 exclusions. */
function effectiveKinds(
  cls: ClassifiedMedication,
  reasons: readonly fhir4.CodeableConcept[],
  patientOpioidDependent: boolean,
): DrugKind[] {
  const opioidExcluded = patientOpioidDependent || reasons.some(isOpioidDependence);
  const ssriExcluded = reasons.some(isDepressionOrAnxiety);
  return cls.kinds.filter((k) => !(OPIOID_KINDS.has(k) && opioidExcluded) && !(k === 'ssri' && ssriExcluded));
}

function alternativeConcept(
  ingredient: 'nortriptyline' | 'imipramine',
  codeSystem: ClassifiedMedication['codeSystem'],
): AlternativeDrug {
  const entry = drugCodes().ingredientByKey.get(ingredient);
  const nameEn = entry?.nameEn ?? ingredient;
  const nameDa = entry?.nameDa ?? ingredient;
  const atc = ingredient === 'nortriptyline' ? 'N06AA10' : 'N06AA02';
  const rxnorm = ingredient === 'nortriptyline' ? '7531' : '5691';
  const coding: fhir4.Coding[] =
    codeSystem === 'rxnorm'
      ? [{ system: RXNORM_SYSTEM, code: rxnorm, display: nameEn }]
      : codeSystem === 'atc'
        ? [{ system: ATC_SYSTEM, code: atc, display: nameEn }]
        : [];
  return {
    ingredient,
    nameEn,
    nameDa,
    medicationCodeableConcept: coding.length > 0 ? { coding, text: nameEn } : { text: nameEn },
  };
}

function opioidIngredientKeys(cls: ClassifiedMedication): string[] {
  return cls.ingredients.filter((i) => i.kind === 'opioid-without-dual-action').map((i) => i.key);
}

export interface DrugOrderInput {
  drafts: readonly DraftOrder[];
  activeMedications: readonly MedicationOrderView[];
  conditions: readonly fhir4.Condition[];
  /** From the scope module (GSB Conditions, or the demo switch). */
  patientInScope: boolean;
  /** The GSB value-set test, passed in so that the scope module stays the single source. */
  isGsbReason: (c: fhir4.CodeableConcept) => boolean;
  settings: MedicationSettings;
}

export function findDrugOrderFindings(input: DrugOrderInput): DrugOrderFinding[] {
  const conditions = conditionIndex(input.conditions);
  const withMedication = input.drafts.filter(hasMedication);
  const reasonsByDraft = new Map(withMedication.map((d) => [d, reasonsOf(d, conditions)]));

  const inScope =
    input.patientInScope || [...reasonsByDraft.values()].some((rs) => rs.some((r) => input.isGsbReason(r)));
  if (!inScope) return [];

  const patientOpioidDependent = input.conditions.some((c) => isActiveCondition(c) && isOpioidDependence(c.code));
  const active = input.activeMedications.map((m) => ({ order: m, keys: opioidIngredientKeys(classifyOrder(m)) }));
  const multipleOrders = withMedication.length > 1;

  const findings: DrugOrderFinding[] = [];
  withMedication.forEach((draft, index) => {
    if (!draft.selected) return;
    const cls = classifyOrder(draft);
    if (cls.via === null) return;
    const kinds = effectiveKinds(cls, reasonsByDraft.get(draft) ?? [], patientOpioidDependent);
    const order: OrderRef = {
      reference: draft.reference,
      resourceType: draft.resourceType,
      id: draft.id,
      drugText: draft.drugText ?? '',
      medicationKey: medicationKey(draft, cls),
      multipleOrders,
      position: index + 1,
    };
    for (const kind of kinds) {
      const base = {
        indicator: BASE_INDICATOR[kind],
        ...KIND_RECOMMENDATION[kind],
        order,
        ingredients: cls.ingredients.filter((i) => i.kind === kind).map(findingIngredient),
        productIngredients: cls.ingredients.map(findingIngredient),
        via: cls.via ?? 'text',
      };
      if (kind === 'opioid-without-dual-action') {
        const keys = new Set(opioidIngredientKeys(cls));
        const same = active.filter(
          (a) => (a.order.reference === null || a.order.reference !== draft.reference) && a.keys.some((k) => keys.has(k)),
        );
        const offerDelete = same.length === 0 && draft.reference !== null;
        findings.push({
          ...base,
          kind,
          offerDelete,
          deleteResourceId: offerDelete ? draft.reference : null,
          taperingPlanNeeded: same.length > 0,
          activeSameIngredient: same.map((a) => ({ reference: a.order.reference, drugText: a.order.drugText })),
        });
      } else if (kind === 'amitriptyline') {
        const dosage = assessDaytimeDosing(draft.request.dosageInstruction, input.settings);
        findings.push({
          ...base,
          kind,
          indicator: dosage.daytime ? 'warning' : 'info',
          daytime: dosage.daytime,
          dosage,
          eveningUpdate: dosage.daytime
            ? { resourceId: draft.reference, resource: moveDosageToEvening(updateBase(draft)) }
            : null,
          alternatives: dosage.daytime
            ? [alternativeConcept('nortriptyline', cls.codeSystem), alternativeConcept('imipramine', cls.codeSystem)]
            : [],
        });
      } else {
        findings.push({ ...base, kind });
      }
    }
  });
  return findings;
}

/** The resource an update starts from: R4 orders normalised (arrays where R4 wants them), DSTU2 as sent. */
function updateBase(draft: MedicationOrderView): ResourceJson {
  if (draft.resourceType === 'MedicationOrder') return draft.original;
  return draft.request as unknown as ResourceJson;
}

export interface CurrentMedicationInput {
  activeMedications: readonly MedicationOrderView[];
  conditions: readonly fhir4.Condition[];
  settings: MedicationSettings;
}

/** patient-view §3.3: the active orders the guideline speaks about, grouped by kind; null when none. */
export function findCurrentMedication(input: CurrentMedicationInput): CurrentMedicationFinding | null {
  const conditions = conditionIndex(input.conditions);
  const patientOpioidDependent = input.conditions.some((c) => isActiveCondition(c) && isOpioidDependence(c.code));
  const byKind = new Map<DrugKind, CurrentMedicationDrug[]>();
  for (const med of input.activeMedications) {
    if (!hasMedication(med)) continue;
    const cls = classifyOrder(med);
    for (const kind of effectiveKinds(cls, reasonsOf(med, conditions), patientOpioidDependent)) {
      const drug: CurrentMedicationDrug = {
        reference: med.reference,
        drugText: med.drugText ?? '',
        ingredients: cls.ingredients.filter((i) => i.kind === kind).map(findingIngredient),
      };
      if (kind === 'amitriptyline') drug.daytime = assessDaytimeDosing(med.request.dosageInstruction, input.settings).daytime;
      byKind.set(kind, [...(byKind.get(kind) ?? []), drug]);
    }
  }
  const classes = DRUG_KINDS.filter((k) => byKind.has(k)).map((kind) => ({
    kind,
    ...KIND_RECOMMENDATION[kind],
    drugs: byKind.get(kind) ?? [],
  }));
  if (classes.length === 0) return null;
  return {
    kind: 'current-medication',
    indicator: byKind.has('opioid-without-dual-action') ? 'warning' : 'info',
    classes,
  };
}
