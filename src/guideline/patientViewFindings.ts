import type { GsbValueSet } from '../terminology/gsbValueSet.js';
import type { NonPharmacologicalCodes } from '../terminology/nonPharmacologicalCodes.js';
import type { PanelGroup, ScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import { assessFlaggedResults, type FlaggedResult } from './flaggedResults.js';
import { assessNonPharmacologicalTreatment, type NonPharmacologicalFinding } from './nonPharmacologicalTreatment.js';
import { assessScope, type Phase, type Scope } from './scope.js';
import { assessScreening, type ScreeningAssessment } from './screeningPanel.js';

export interface PatientViewSettings {
  lookbackDays: number;
  recentDays: number;
  pendingDays: number;
  allPatientsInScope: boolean;
  provisionalMaxDays?: number;
  minPatientAge?: number;
  /** CARD_KINDS_DISABLED: a disabled screening-abnormal card lists nothing, so the non-drug card lists the not-assessable results. */
  disabledKinds?: readonly string[];
}

export interface PatientRecord {
  conditions: fhir4.Condition[];
  observations: fhir4.Observation[];
  serviceRequests: fhir4.ServiceRequest[];
  /** The `patient` prefetch key (optional): birth date for the age limit and onsetAge. */
  patient?: unknown;
}

export interface ScreeningIncompleteFinding {
  kind: 'screening-incomplete';
  indicator: 'warning' | 'info';
  phase: Phase;
  recentDays: number;
  missing: PanelGroup[];
  pending: PanelGroup[];
  undatedResults: number;
  orderSystem: ScreeningAssessment['orderSystem'];
  reasonCode?: fhir4.CodeableConcept;
}

export interface ScreeningAbnormalFinding {
  kind: 'screening-abnormal';
  indicator: 'warning';
  flagged: FlaggedResult[];
  notAssessable: Array<{ groupId: string; observation: fhir4.Observation }>;
}

export type PatientViewFinding = ScreeningIncompleteFinding | ScreeningAbnormalFinding | NonPharmacologicalFinding;

export interface PatientViewAssessment {
  scope: Scope;
  findings: PatientViewFinding[];
}

/**
 * patient-view's screening rules (guideline-rules §2, §3.1, §3.2, §3.4) as one pure function:
 * FHIR resources in, findings out. Out of scope → no findings.
 */
export function assessPatientView(
  record: PatientRecord,
  terminology: { panel: ScreeningPanelCodes; gsb: GsbValueSet; nonPharmacological: NonPharmacologicalCodes },
  settings: PatientViewSettings,
  now: number,
): PatientViewAssessment {
  const scope = assessScope(record.conditions, terminology.gsb, settings, now, record.patient);
  if (!scope.inScope) return { scope, findings: [] };
  const screening = assessScreening(record.observations, record.serviceRequests, terminology.panel, scope, settings, now);
  const findings: PatientViewFinding[] = [];
  if (screening.missing.length > 0) {
    const f: ScreeningIncompleteFinding = {
      kind: 'screening-incomplete',
      indicator: scope.phase === 'work-up' ? 'warning' : 'info',
      phase: scope.phase,
      recentDays: settings.recentDays,
      missing: screening.missing,
      pending: screening.pending,
      undatedResults: screening.undatedResults,
      orderSystem: screening.orderSystem,
    };
    if (scope.reasonCode) f.reasonCode = scope.reasonCode;
    findings.push(f);
  }
  const flags = assessFlaggedResults(screening.groups);
  if (flags.flagged.length > 0) {
    findings.push({ kind: 'screening-abnormal', indicator: 'warning', flagged: flags.flagged, notAssessable: flags.notAssessable });
  }
  const treatment = assessNonPharmacologicalTreatment(
    {
      scope,
      screening,
      flags,
      screeningAbnormalCard: findings.some((f) => f.kind === 'screening-abnormal') && !(settings.disabledKinds ?? []).includes('screening-abnormal'),
      codes: terminology.nonPharmacological,
      recentDays: settings.recentDays,
    },
    now,
  );
  if (treatment) findings.push(treatment);
  return { scope, findings };
}
