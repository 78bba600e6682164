import type { GsbValueSet } from '../terminology/gsbValueSet.js';
import { DAY_MS, parseFhirDate } from './fhirDates.js';

export type Phase = 'work-up' | 'established';

export interface ScopeSettings {
  recentDays: number;
  allPatientsInScope: boolean;
}

export interface Scope {
  inScope: boolean;
  /** The GSB Condition the rules anchor on (earliest anchor); absent when in scope only by the demo switch. */
  condition?: fhir4.Condition;
  /** Its code, used as the reason of suggested orders. */
  reasonCode?: fhir4.CodeableConcept;
  /** Earliest onset[x] date or recordedDate; now when it has neither. */
  anchor: number;
  phase: Phase;
}

const EXCLUDED_VERIFICATION = new Set(['entered-in-error', 'refuted']);
const ACTIVE_CLINICAL = new Set(['active', 'recurrence', 'relapse']);
const UNCONFIRMED = new Set(['provisional', 'differential', 'unconfirmed']);

function statusCode(concept: fhir4.CodeableConcept | undefined): string | undefined {
  return concept?.coding?.find((c) => typeof c.code === 'string')?.code;
}

/** A Condition that counts for scope: coded in the value set, not refuted/entered in error, clinically active. */
export function isGsbCondition(condition: fhir4.Condition, valueSet: GsbValueSet): boolean {
  if (!valueSet.has(condition.code)) return false;
  const verification = statusCode(condition.verificationStatus);
  if (verification && EXCLUDED_VERIFICATION.has(verification)) return false;
  const clinical = statusCode(condition.clinicalStatus);
  return clinical === undefined || ACTIVE_CLINICAL.has(clinical);
}

function anchorOf(c: fhir4.Condition, now: number): number {
  const dates = [
    parseFhirDate(c.onsetDateTime),
    parseFhirDate(c.onsetPeriod?.start),
    parseFhirDate(c.recordedDate),
  ].filter((d): d is number => d !== undefined);
  return dates.length > 0 ? Math.min(...dates) : now;
}

/**
 * Scope and phase (guideline-rules §2). With several GSB Conditions the earliest-anchored one leads:
 * the work-up done around the first diagnosis is the one that counts.
 */
export function assessScope(conditions: readonly fhir4.Condition[], valueSet: GsbValueSet, settings: ScopeSettings, now: number): Scope {
  const gsb = conditions
    .filter((c) => c.resourceType === 'Condition' && isGsbCondition(c, valueSet))
    .map((c) => ({ c, anchor: anchorOf(c, now) }))
    .sort((a, b) => a.anchor - b.anchor);
  const lead = gsb[0];
  if (!lead) {
    return settings.allPatientsInScope ? { inScope: true, anchor: now, phase: 'work-up' } : { inScope: false, anchor: now, phase: 'work-up' };
  }
  const unconfirmed = UNCONFIRMED.has(statusCode(lead.c.verificationStatus) ?? '');
  const recent = now - lead.anchor < settings.recentDays * DAY_MS;
  const scope: Scope = { inScope: true, condition: lead.c, anchor: lead.anchor, phase: unconfirmed || recent ? 'work-up' : 'established' };
  if (lead.c.code) scope.reasonCode = lead.c.code;
  return scope;
}
