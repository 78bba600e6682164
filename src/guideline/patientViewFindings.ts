import type { GsbValueSet } from '../terminology/gsbValueSet.js';
import type { NonPharmacologicalCodes } from '../terminology/nonPharmacologicalCodes.js';
import type { PanelGroup, ScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import { SkippedResources } from '../model/skipped.js';
import { assessFlaggedResults, flaggedResultKey, patientFacts, type FlaggedResult, type NotAssessableResult } from './flaggedResults.js';
import { assessNonPharmacologicalTreatment, type NonPharmacologicalFinding } from './nonPharmacologicalTreatment.js';
import { assessScope, type Phase, type Scope } from './scope.js';
import { assessScreening, type LabOrderCodeSystem, type ScreeningAssessment, type StaleOrder } from './screeningPanel.js';

export interface PatientViewSettings {
  lookbackDays: number;
  recentDays: number;
  pendingDays: number;
  allPatientsInScope: boolean;
  provisionalMaxDays: number;
  minPatientAge: number;
  /** LAB_ORDER_CODE_SYSTEM (docs/clinical-rules.md §7); default auto. */
  orderCodeSystem?: LabOrderCodeSystem;
  /** CARD_KINDS_DISABLED: a disabled screening-abnormal card lists nothing, so the non-drug card lists the not-assessable results. */
  disabledKinds?: readonly string[];
}

export interface PatientRecord {
  conditions: fhir4.Condition[];
  /** Read leniently (any shape; unreadable ones skipped, §7). */
  observations: readonly unknown[];
  /** undefined: the ServiceRequests could not be read (optional key, §7) — open orders unknown. */
  serviceRequests: readonly unknown[] | undefined;
  /** The Patient (optional key): sex and age for reference ranges with appliesTo/age. */
  patient?: unknown;
  /**
   * Some lab results were withheld by consent or access rules (docs/clinical-rules.md §7): a group not seen
   * may have been taken, and the cards that list groups not taken say so.
   */
  labsWithheld?: boolean;
  /** Some open lab orders were withheld likewise: open orders are unknown, nothing is ordered (§7). */
  openOrdersWithheld?: boolean;
  /**
   * Flagged results the clinician answered (screening-abnormal card overridden as already addressed or
   * not relevant; docs/clinical-rules.md §3.2, §6), by flaggedResultKey. Absent: none answered.
   */
  isFlagAnswered?: (key: string) => boolean;
  /**
   * Whether the screening-abnormal card of this finding will be quieted in this answer (docs/clinical-rules.md
   * §6). A quieted card lists nothing: the not-assessable results then go on another card, and the non-drug
   * card does not send the clinician to it. Absent: never quieted.
   */
  isAbnormalCardQuiet?: (finding: ScreeningAbnormalFinding) => boolean;
}

/** Work-up phase only (§3.1 rev 2): missing or stale groups. */
export interface ScreeningIncompleteFinding {
  kind: 'screening-incomplete';
  indicator: 'warning';
  missing: PanelGroup[];
  pending: PanelGroup[];
  stale: StaleOrder[];
  /** Missing and stale groups in panel order (TSH, CK, vitamin D first): what the summary names. */
  notTaken: PanelGroup[];
  undatedResults: number;
  orderSystem: ScreeningAssessment['orderSystem'];
  /** Open orders could not be checked: the card lists, but orders nothing. */
  openOrdersUnknown: boolean;
  /** Of `openOrdersUnknown`: they were read, but some may be withheld from the user (§7). */
  openOrdersWithheld: boolean;
  /** Some results were withheld from the user: a group listed may have been taken (§7). */
  resultsWithheld: boolean;
  reasonCode?: fhir4.CodeableConcept;
  /**
   * Results that cannot be assessed automatically, when neither a screening-abnormal nor a non-drug card
   * lists them in this answer: listed here, so they are never silent (docs/clinical-rules.md §3.2).
   */
  notAssessable: NotAssessableResult[];
}

export interface ScreeningAbnormalFinding {
  kind: 'screening-abnormal';
  /** `info` in the established phase (§3.2 rev 2). */
  indicator: 'warning' | 'info';
  phase: Phase;
  /** The phase was set by the onset (no registration date): "after the symptoms began", never "after the registration". */
  anchoredByOnset: boolean;
  flagged: FlaggedResult[];
  notAssessable: NotAssessableResult[];
}

/**
 * What the screening says, for the non-drug card (§3.4): group ids missing, pending or stale (in the
 * established phase "did not include"), flagged results with `answered`, and the not-assessable results
 * that no screening-abnormal card lists (that card, when raised, lists them itself).
 */
export interface LabStatus {
  missing: string[];
  pending: string[];
  stale: string[];
  flagged: FlaggedResult[];
  notAssessable: NotAssessableResult[];
  notAssessableOnAbnormalCard: boolean;
}

export type PatientViewFinding = ScreeningIncompleteFinding | ScreeningAbnormalFinding | NonPharmacologicalFinding;

export interface PatientViewAssessment {
  scope: Scope;
  findings: PatientViewFinding[];
  /** Absent when out of scope. */
  labs?: LabStatus;
}

/**
 * patient-view's screening rules (docs/clinical-rules.md §2, §3.1, §3.2, §3.4) as one pure function:
 * FHIR resources in, findings out. Out of scope → no findings.
 */
export function assessPatientView(
  record: PatientRecord,
  terminology: { panel: ScreeningPanelCodes; gsb: GsbValueSet; nonPharmacological: NonPharmacologicalCodes },
  settings: PatientViewSettings,
  now: number,
  skipped: SkippedResources = new SkippedResources(),
): PatientViewAssessment {
  const scope = assessScope(record.conditions, terminology.gsb, settings, now, record.patient, skipped);
  if (!scope.inScope) return { scope, findings: [] };
  const screening = assessScreening(record.observations, record.serviceRequests, terminology.panel, scope, settings, now, skipped);
  const findings: PatientViewFinding[] = [];
  // Missing or stale, in panel order (TSH, CK and vitamin D first): what both cards name.
  const notTaken = screening.groups.filter((g) => g.status === 'missing' || g.status === 'stale').map((g) => g.group);
  // Established phase: no screening-incomplete card; the non-drug card lists what the screening did not include (§3.1).
  if (scope.phase === 'work-up' && (screening.missing.length > 0 || screening.stale.length > 0)) {
    const f: ScreeningIncompleteFinding = {
      kind: 'screening-incomplete',
      indicator: 'warning',
      missing: screening.missing,
      pending: screening.pending,
      stale: screening.stale,
      notTaken,
      undatedResults: screening.undatedResults,
      orderSystem: screening.orderSystem,
      openOrdersUnknown: screening.openOrdersUnknown || record.openOrdersWithheld === true,
      openOrdersWithheld: !screening.openOrdersUnknown && record.openOrdersWithheld === true,
      resultsWithheld: record.labsWithheld === true,
      notAssessable: [],
    };
    if (scope.reasonCode) f.reasonCode = scope.reasonCode;
    findings.push(f);
  }
  const assessed = assessFlaggedResults(screening.groups, terminology.panel, patientFacts(record.patient), now, screening.codesDisagree);
  // Established phase: only results after the anchor count (the work-up's results were seen then).
  // A registration given only to its year counts from its first day here: a result within that year may be after it.
  const counts = (r: { result: { time?: number } }): boolean => scope.phase === 'work-up' || (r.result.time ?? -Infinity) > scope.anchorEarliest;
  const answered = record.isFlagAnswered;
  const flagged = assessed.flagged.filter(counts).map((f) => (answered?.(flaggedResultKey(f)) ? { ...f, answered: true } : f));
  const notAssessable = assessed.notAssessable.filter(counts);
  const abnormal: ScreeningAbnormalFinding | undefined =
    flagged.length > 0
      ? { kind: 'screening-abnormal', indicator: scope.phase === 'work-up' ? 'warning' : 'info', phase: scope.phase, anchoredByOnset: scope.anchoredBy === 'onset', flagged, notAssessable }
      : undefined;
  if (abnormal) findings.push(abnormal);
  // The screening-abnormal card, when issued, not switched off and not quieted, lists the not-assessable results (§3.2).
  const abnormalIssued = abnormal !== undefined && !(settings.disabledKinds ?? []).includes('screening-abnormal');
  const abnormalQuiet = abnormalIssued && record.isAbnormalCardQuiet?.(abnormal) === true;
  const abnormalListsThem = abnormalIssued && !abnormalQuiet;
  const labs: LabStatus = {
    missing: screening.missing.map((g) => g.id),
    pending: screening.pending.map((g) => g.id),
    stale: screening.stale.map((s) => s.group.id),
    flagged,
    notAssessable: abnormalListsThem ? [] : notAssessable,
    notAssessableOnAbnormalCard: abnormalListsThem && notAssessable.length > 0,
  };
  const treatment = assessNonPharmacologicalTreatment(
    {
      scope,
      screening: {
        missing: screening.missing,
        pending: screening.pending,
        stale: screening.stale.map((s) => s.group),
        notTaken,
        undatedResults: screening.undatedResults,
        resultsWithheld: record.labsWithheld === true,
      },
      flags: {
        flagged,
        notAssessable,
        earlierFlaggedGroups: scope.phase === 'established' ? assessed.flagged.filter((f) => !counts(f) && !answered?.(flaggedResultKey(f))).map((f) => f.groupId) : [],
      },
      screeningAbnormalCard: abnormalListsThem,
      screeningAbnormalCardQuiet: abnormalQuiet,
      codes: terminology.nonPharmacological,
      recentDays: settings.recentDays,
    },
    now,
  );
  if (treatment) {
    if (scope.reasonCode) treatment.reasonCode = scope.reasonCode;
    findings.push(treatment);
  }
  // Work-up with groups not taken: no non-drug card yet; without a screening-abnormal card the screening
  // card lists the not-assessable results (never silent, §3.2).
  const incomplete = findings.find((f): f is ScreeningIncompleteFinding => f.kind === 'screening-incomplete');
  if (incomplete && !treatment && !abnormalListsThem) incomplete.notAssessable = notAssessable;
  return { scope, findings, labs };
}
