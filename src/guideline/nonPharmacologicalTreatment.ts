import type { ScreeningAssessment } from './screeningPanel.js';
import type { Scope } from './scope.js';

export interface NonPharmacologicalFinding {
  kind: 'non-pharmacological-treatment';
  indicator: 'info';
  /** Multidisciplinary intervention is shown only when the GSB condition is older than 6 months. */
  includeMultidisciplinary: boolean;
  hasFlaggedResults: boolean;
}

/** Adds calendar months in UTC (Jan 31 + 1 month clamps to the month's last day). */
function addMonths(t: number, months: number): number {
  const d = new Date(t);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime() + (t % 86400000);
}

/**
 * The non-drug treatment card (guideline-rules §3.4): once no panel group is missing or pending, i.e.
 * the patient can be considered diagnostically clarified as far as the panel goes.
 */
export function assessNonPharmacologicalTreatment(
  screening: ScreeningAssessment,
  scope: Scope,
  hasFlaggedResults: boolean,
  now: number,
): NonPharmacologicalFinding | null {
  if (screening.missing.length > 0 || screening.pending.length > 0) return null;
  return {
    kind: 'non-pharmacological-treatment',
    indicator: 'info',
    includeMultidisciplinary: scope.condition !== undefined && addMonths(scope.anchor, 6) < now,
    hasFlaggedResults,
  };
}
