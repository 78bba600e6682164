import type { DraftOrder, MedicationOrderView } from '../model/medicationOrder.js';
import { hasMedication } from '../model/medicationOrder.js';
import type { BrandNote, DrugCodes } from '../terminology/drugCodes.js';
import type { DosingTimes } from '../terminology/dosingTimes.js';
import type { DrugKind, DrugKindEntry } from '../terminology/drugKinds.js';
import type { MedicationConditionCodes } from '../terminology/medicationConditions.js';
import { assessDaytimeDosing, dosingPattern, type DaytimeAssessment, type DaytimeSettings } from './dosageTiming.js';
import { classifyOrder, medicationCodesOf, namedOnlyByCode, unidentifiable, type ClassificationSource, type ClassifiedIngredient, type ClassifiedMedication } from './drugClassification.js';
import { opioidDependenceFor, opioidDependenceIsTheReason, partlyForDepressionOrAnxiety, patientConditions, prescribedForDepressionOrAnxiety, reasonsOf, type PatientConditions } from './medicationReasons.js';

/**
 * order-select / order-sign findings (docs/clinical-rules.md §4): one per (draft order, drug kind), after
 * the exclusions (substitution treatment, prescribed for depression or anxiety), with the facts the card
 * rests on. Pure: the terminology and the patient's data are passed in.
 */

/** The terminology the medication rules read, injected by the service. */
export interface MedicationTerminology {
  drugs: DrugCodes;
  conditions: MedicationConditionCodes;
  /** The times of day of dosing codes (terminology/dosing-times.csv): the daytime rule's settings carry them. */
  times: DosingTimes;
}

/** A draft with these statuses is not an order being made: no card. */
const NOT_BEING_MADE = new Set(['entered-in-error', 'cancelled', 'completed', 'stopped']);

export interface FindingIngredient {
  key: string;
  nameEn: string;
  nameDa: string;
}

export interface OrderRef {
  /** `{resourceType}/{id}` as sent (MedicationOrder/… on DSTU2); null when the order has no id. */
  reference: string | null;
  /** The drug as ordered (text, else display, else code). */
  drugText: string;
  /** drugText is only a code: cards name the drug by its ingredients instead. */
  namedByCode: boolean;
  /** Sorted `system|code` of the medication (`text:<lower-case>` without codes): with the order, the card's facts. */
  medicationCodes: string[];
  /** True when the draft holds more than one medication order; then `position` says which one (1-based). */
  multipleOrders: boolean;
  position: number;
  orderCount: number;
}

export interface ActiveOpioid {
  reference: string | null;
  drugText: string;
  /** drugText is only a code: cards name the drug by `ingredients` instead. */
  namedByCode: boolean;
  ingredients: readonly FindingIngredient[];
}

export interface OpioidDeleteDecision {
  /** Offer the (not recommended) `delete` suggestion of the draft. */
  offerDelete: boolean;
  /** Active orders/statements with the same opioid ingredient: continuing or tapering, agree a tapering plan. */
  sameIngredient: ActiveOpioid[];
  /** The draft is as needed (PN) only: beside an active order of the same ingredient it comes on top of it or is a step in tapering, not a continuation. */
  draftAsNeeded: boolean;
  /** Another opioid taken regularly or with unknown dosing, not stopped in this draft: a switch or an added opioid. */
  otherOpioids: ActiveOpioid[];
  /**
   * Opioids whose order or statement ended within OPIOID_RECENTLY_ENDED_DAYS (the same ingredient, or another
   * taken regularly or with unknown dosing): the draft may be its renewal or a switch, so no delete either.
   */
  recentlyEnded: ActiveOpioid[];
  /** OPIOID_RECENTLY_ENDED_DAYS, for the card's words. */
  recentlyEndedDays: number;
  /** The active orders could not be read: no delete (an opioid already taken cannot be ruled out), and the card says so. */
  activeOrdersUnknown: boolean;
  /**
   * Some of the patient's orders, statements or diagnoses were withheld from the user by consent or access rules
   * (docs/clinical-rules.md §7): an opioid already taken, or opioid dependence, cannot be ruled out. No delete,
   * and the card says so.
   */
  recordsWithheld: boolean;
  /**
   * An active order has the draft's own id: the draft revises an order already in force (order-sign re-signs
   * revised orders), or the EHR lists the draft among the active ones. Either way its `delete` could remove an
   * established order: not offered, and the card says so.
   */
  alreadyActive: boolean;
  /**
   * The draft is coded only by an ATC group that also holds an opioid with dual action ("N02AX": tramadol,
   * tapentadol), with no text naming the drug: it may be one of those, which the guideline does not advise
   * removing. No delete, and the card says so; null otherwise.
   */
  groupMayBeDualAction: string | null;
}

export interface DrugOrderFinding {
  kind: DrugKind;
  /** The kind's row of terminology/drug-kinds.csv: recommendation, strength and direction, shared lines. */
  entry: DrugKindEntry;
  indicator: 'info' | 'warning';
  order: OrderRef;
  /** The ingredients of this kind in the product. */
  ingredients: FindingIngredient[];
  /** Every recognised ingredient of the product (a combination lists each, partners included). */
  productIngredients: FindingIngredient[];
  via: ClassificationSource;
  /** Shared with the classification: read only. */
  brandNotes: readonly BrandNote[];
  /** Opioid kinds: the patient has opioid dependence on record (coordinate with the addiction service). */
  opioidDependence: boolean;
  /** One of the order's reasons names depression or anxiety: the card does not say "not to treat depression". */
  alsoForDepression: boolean;
  /** The opioid-without-dual-action rule only. */
  opioid: OpioidDeleteDecision | null;
  /** The daytime-dosing rule (amitriptyline) only. */
  daytime: DaytimeAssessment | null;
}

export interface RelevantDraft {
  draft: DraftOrder;
  classification: ClassifiedMedication;
}

/**
 * The selected drafts a card may be about: with a medication, being made (not stopped, cancelled, completed
 * or entered in error), and of a kind the guideline speaks about. Empty → no patient data is needed.
 */
export function relevantDrafts(drafts: readonly DraftOrder[], terminology: MedicationTerminology): RelevantDraft[] {
  const out: RelevantDraft[] = [];
  for (const draft of drafts) {
    if (!draft.selected || !hasMedication(draft) || NOT_BEING_MADE.has(draft.status)) continue;
    const classification = classifyOrder(draft, terminology.drugs);
    if (classification.kinds.length > 0) out.push({ draft, classification });
  }
  return out;
}

export interface DrugOrderInput {
  /** Every draft of the request (for scope by reason, order count and opioids stopped in the same draft). */
  drafts: readonly DraftOrder[];
  relevant: readonly RelevantDraft[];
  /** Active MedicationRequests and MedicationStatements. */
  activeMedications: readonly MedicationOrderView[];
  /** Orders and statements that ended within OPIOID_RECENTLY_ENDED_DAYS (`days`): read only for the opioid delete decision. */
  recentlyEnded?: { readonly orders: readonly MedicationOrderView[]; readonly days: number };
  /** False when the active orders could not be read: nothing may then be decided from their absence. */
  activeOrdersKnown: boolean;
  /** Orders, statements or Conditions withheld from the user by consent or access rules (§7): nothing decided from their absence either. */
  recordsWithheld?: boolean;
  conditions: readonly unknown[];
  /** From the scope module (GSB Conditions, or the demo switch). */
  patientInScope: boolean;
  /** The GSB value-set test, passed in so that the scope module stays the single source. */
  isGsbReason: (c: fhir4.CodeableConcept) => boolean;
  settings: DaytimeSettings;
  terminology: MedicationTerminology;
}

function findingIngredient(i: { key: string; nameEn: string; nameDa: string }): FindingIngredient {
  return { key: i.key, nameEn: i.nameEn, nameDa: i.nameDa };
}

/**
 * Substitution treatment for a patient with opioid dependence: every opioid ingredient is such (methadone). A
 * pain product of such an ingredient (a buprenorphine patch) is "any other opioid" (docs/clinical-rules.md §4.10),
 * unless the order's own reason is opioid dependence: the prescriber's word wins over a code or a brand.
 */
function isSubstitutionFor(cls: ClassifiedMedication, kinds: (k: DrugKind) => DrugKindEntry, byOrderReason: boolean): boolean {
  const opioids = cls.ingredients.filter((i) => i.kind !== null && kinds(i.kind).opioid);
  const painProductOf = (i: ClassifiedIngredient): boolean => cls.painProduct && i.hasPainProducts && !byOrderReason;
  return opioids.length > 0 && opioids.every((i) => i.dependenceSubstitution && !painProductOf(i));
}

/** The kinds that give a card for this order or statement, after the §4 exclusions. */
export function effectiveKinds(
  order: MedicationOrderView,
  cls: ClassifiedMedication,
  patient: PatientConditions,
  terminology: MedicationTerminology,
): { kinds: DrugKind[]; opioidDependence: boolean } {
  const kindsTable = terminology.drugs.kinds;
  const dependence = cls.kinds.some((k) => kindsTable.get(k).opioid) && opioidDependenceFor(order, patient, terminology.conditions);
  const substitution = dependence && isSubstitutionFor(cls, (k) => kindsTable.get(k), opioidDependenceIsTheReason(order, patient, terminology.conditions));
  const depression = cls.kinds.some((k) => kindsTable.get(k).depressionExempt) && prescribedForDepressionOrAnxiety(order, patient, terminology.conditions);
  const kinds = cls.kinds.filter((k) => {
    const e = kindsTable.get(k);
    return !(e.opioid && substitution) && !(e.depressionExempt && depression);
  });
  return { kinds, opioidDependence: dependence };
}

interface ClassifiedActive {
  order: MedicationOrderView;
  /** Every recognised ingredient (for naming an order known only by its code). */
  ingredients: ClassifiedMedication['ingredients'];
  opioidKeys: readonly string[];
  /** How an active opioid is taken; null for the others (only opioids are checked for a switch). */
  pattern: 'regular' | 'as-needed' | 'unknown' | null;
}

const NO_KEYS: readonly string[] = Object.freeze([]);

/** The opioid ingredients' keys; for most orders none, and then no list is made (20 active orders a call). */
function opioidKeys(cls: ClassifiedMedication, terminology: MedicationTerminology): readonly string[] {
  let keys: string[] | undefined;
  for (const i of cls.ingredients) if (i.kind !== null && terminology.drugs.kinds.get(i.kind).opioid) (keys ??= []).push(i.key);
  // A substitution product or an antitussive combination is an opioid product even when its row names no
  // ingredient (diamorphine N07BC06, R05FA): another opioid (docs/clinical-rules.md §4.1), never "the same ingredient".
  if (keys === undefined && cls.outOfScope !== null) return [`product:${cls.outOfScope}`];
  return keys ?? NO_KEYS;
}

/** The drugs a card names, in the order of their texts (then references), not of the EHR's lists: the same record gives the same card. */
function byDrugText(a: ActiveOpioid, b: ActiveOpioid): number {
  const [x, y] = [a.drugText.toLowerCase(), b.drugText.toLowerCase()];
  if (x !== y) return x < y ? -1 : 1;
  const [r, q] = [a.reference ?? '', b.reference ?? ''];
  return r < q ? -1 : r > q ? 1 : 0;
}

function inTextOrder(list: ActiveOpioid[]): ActiveOpioid[] {
  return list.length > 1 ? list.sort(byDrugText) : list;
}

function opioidDecision(
  kind: DrugKind,
  draft: DraftOrder,
  cls: ClassifiedMedication,
  active: readonly ClassifiedActive[],
  stopped: ReadonlySet<string>,
  activeOrdersKnown: boolean,
  recordsWithheld: boolean,
  ended: { readonly orders: readonly ClassifiedActive[]; readonly days: number },
  dualActionAtc: readonly string[],
): OpioidDeleteDecision {
  const keys = new Set(cls.ingredients.filter((i) => i.kind === kind).map((i) => i.key));
  const isDraft = (a: ClassifiedActive): boolean => a.order.reference !== null && a.order.reference === draft.reference;
  const alreadyActive = active.some(isDraft);
  const others = active.filter((a) => a.opioidKeys.length > 0 && !isDraft(a));
  const ref = (a: ClassifiedActive): ActiveOpioid => ({
    reference: a.order.reference,
    drugText: a.order.drugText ?? '',
    namedByCode: namedOnlyByCode(a.order),
    ingredients: a.ingredients.map(findingIngredient),
  });
  // An opioid known only by its ATC class (a stand-in key "atc:N02A") may be the same ingredient: it is not ruled out.
  const draftByClass = [...keys].some((k) => k.startsWith('atc:'));
  const groupMayBeDualAction = draftByClass ? ([...keys].map((k) => (k.startsWith('atc:') ? k.slice(4) : '')).find((group) => group !== '' && dualActionAtc.some((code) => code.startsWith(group))) ?? null) : null;
  const maybeSame = (a: ClassifiedActive): boolean => draftByClass || a.opioidKeys.some((k) => keys.has(k) || k.startsWith('atc:'));
  const sameIngredient = inTextOrder(others.filter(maybeSame).map(ref));
  const otherOpioids = inTextOrder(
    others
      .filter((a) => !maybeSame(a))
      // One being stopped in the same draftOrders no longer counts — unless this draft replaces it (priorPrescription):
      // that is a switch signed in one go, and removing the new opioid would stop the patient's opioid abruptly.
      .filter((a) => a.pattern !== 'as-needed' && !(a.order.reference !== null && stopped.has(a.order.reference) && a.order.reference !== draft.replaces))
      .map(ref),
  );
  // Ended within the window: the same ingredient (a renewal; the draft itself, renewed in place, too), or another
  // taken regularly or with unknown dosing (a switch).
  const recentlyEnded = inTextOrder(ended.orders.filter((a) => a.opioidKeys.length > 0 && (isDraft(a) || maybeSame(a) || a.pattern !== 'as-needed')).map(ref));
  return {
    offerDelete: activeOrdersKnown && !recordsWithheld && !alreadyActive && draft.reference !== null && sameIngredient.length === 0 && otherOpioids.length === 0 && recentlyEnded.length === 0 && groupMayBeDualAction === null,
    recentlyEnded,
    recentlyEndedDays: ended.days,
    sameIngredient,
    draftAsNeeded: dosingPattern(draft.dosageInstruction) === 'as-needed',
    otherOpioids,
    activeOrdersUnknown: !activeOrdersKnown,
    recordsWithheld,
    alreadyActive,
    groupMayBeDualAction,
  };
}

export function findDrugOrderFindings(input: DrugOrderInput): DrugOrderFinding[] {
  const { terminology } = input;
  const patient = patientConditions(input.conditions, terminology.conditions);
  const made = input.drafts.filter((d) => hasMedication(d) && !NOT_BEING_MADE.has(d.status));
  const inScope = input.patientInScope || made.some((d) => reasonsOf(d, patient).some((r) => input.isGsbReason(r)));
  if (!inScope) return [];

  // Opioids being stopped in this same draft no longer count as taken (a switch done in one go).
  const stopped = new Set(input.drafts.filter((d) => d.reference !== null && NOT_BEING_MADE.has(d.status)).map((d) => d.reference as string));
  // An active drug known only by a code of a system not read here (a local or national drug id) and with no
  // text or display to read instead may be an opioid: as with an unreadable order, none can be ruled out.
  let someActiveUnidentified = false;
  let onSubstitution = false;
  const active: ClassifiedActive[] = input.activeMedications.map((order) => {
    const cls = classifyOrder(order, terminology.drugs);
    if (unidentifiable(order, cls, terminology.drugs)) someActiveUnidentified = true;
    if (cls.outOfScope === 'opioid-substitution') onSubstitution = true;
    const keys = opioidKeys(cls, terminology);
    return { order, ingredients: cls.ingredients, opioidKeys: keys, pattern: keys.length > 0 ? dosingPattern(order.dosageInstruction) : null };
  });
  const activeOrdersKnown = input.activeOrdersKnown && !someActiveUnidentified;
  // Read for the opioid delete decision only (rare: an order or statement that ended in the last few days).
  const ended = {
    orders: (input.recentlyEnded?.orders ?? []).map((order): ClassifiedActive => {
      const cls = classifyOrder(order, terminology.drugs);
      const keys = opioidKeys(cls, terminology);
      return { order, ingredients: cls.ingredients, opioidKeys: keys, pattern: keys.length > 0 ? dosingPattern(order.dosageInstruction) : null };
    }),
    days: input.recentlyEnded?.days ?? 0,
  };
  // A substitution product the patient takes (Suboxone, Buvidal …) is opioid dependence on record too.
  const withDependence: PatientConditions = onSubstitution && !patient.opioidDependence ? { ...patient, opioidDependence: true } : patient;

  const findings: DrugOrderFinding[] = [];
  for (const { draft, classification: cls } of input.relevant) {
    if (cls.via === null) continue;
    const { kinds, opioidDependence } = effectiveKinds(draft, cls, withDependence, terminology);
    const position = made.indexOf(draft) + 1;
    const order: OrderRef = {
      reference: draft.reference,
      drugText: draft.drugText ?? '',
      namedByCode: namedOnlyByCode(draft),
      medicationCodes: medicationCodesOf(draft),
      multipleOrders: made.length > 1,
      position: position > 0 ? position : 1,
      orderCount: made.length,
    };
    for (const kind of kinds) {
      const entry = terminology.drugs.kinds.get(kind);
      const daytime = entry.rule === 'daytime-dosing' ? assessDaytimeDosing(draft.dosageInstruction, input.settings) : null;
      findings.push({
        kind,
        entry,
        indicator: daytime?.daytime ? 'warning' : entry.indicator,
        order,
        ingredients: cls.ingredients.filter((i) => i.kind === kind).map(findingIngredient),
        productIngredients: cls.ingredients.map(findingIngredient),
        via: cls.via,
        brandNotes: cls.brandNotes,
        opioidDependence: entry.opioid && opioidDependence,
        alsoForDepression: entry.depressionExempt && partlyForDepressionOrAnxiety(draft, patient, terminology.conditions),
        opioid: entry.rule === 'opioid-without-dual-action' ? opioidDecision(kind, draft, cls, active, stopped, activeOrdersKnown, input.recordsWithheld === true, ended, terminology.drugs.dualActionOpioidAtc) : null,
        daytime,
      });
    }
  }
  return findings;
}
