import { danishCalendarDay, startOfDanishDate } from '../model/danishTime.js';
import type { NonPharmacologicalCodes } from '../terminology/nonPharmacologicalCodes.js';
import type { NotAssessableResult } from './flaggedResults.js';
import type { Phase, Scope } from './scope.js';

/** What the card needs from the screening (docs/clinical-rules.md §3.1): the groups not done, by id. */
interface TreatmentScreeningInput {
  missing: readonly { id: string }[];
  pending: readonly { id: string }[];
  /** Open lab orders too old to count as pending (renew or cancel). */
  stale?: readonly { id: string }[];
  /** Missing and stale together in panel order, when known: the order the card names them in. */
  notTaken?: readonly { id: string }[];
  /** Results with no date at all, not counted (§3.1). */
  undatedResults?: number;
  /** Some results were withheld from the user by consent or access rules (§7). */
  resultsWithheld?: boolean;
}

/** What the card needs from the flagged results (docs/clinical-rules.md §3.2). */
interface TreatmentFlagsInput {
  /** `answered`: its screening-abnormal card was overridden as already addressed or not relevant. */
  flagged: readonly { groupId: string; answered?: boolean }[];
  notAssessable: readonly NotAssessableResult[];
  /** Established phase: groups whose latest result, from before the anchor, the lab flagged and no answer addressed. */
  earlierFlaggedGroups?: readonly string[];
}

export interface NonPharmacologicalFinding {
  kind: 'non-pharmacological-treatment';
  indicator: 'info';
  phase: Phase;
  /** SCREENING_RECENT_DAYS: the established phase's "registered more than … ago". */
  recentDays: number;
  /** The phase was set by the onset (no registration date): the card says the symptoms began, never "registered". */
  anchoredByOnset: boolean;
  /** Interventions to suggest (ids of terminology/non-pharmacological.json), `onlyAfterMonths` applied. */
  suggested: string[];
  /** The GSB diagnosis's code, the referrals' reason (as the screening card's lab orders carry it). */
  reasonCode?: fhir4.CodeableConcept;
  /** Pain duration (earliest onset) beyond the multidisciplinary rule's months: its referral is suggested. */
  multidisciplinaryEligible: boolean;
  /** Established phase: panel groups the screening did not include (missing or only stale orders). */
  notIncluded: string[];
  /** Beside `notIncluded`: results with no date, not counted, so a group may be listed that has one. */
  undatedResults: number;
  /** Beside `notIncluded`: some results were withheld from the user, so a group may be listed that was taken. */
  resultsWithheld: boolean;
  flaggedCount: number;
  /** A screening-abnormal card is in the same answer (the flagged results are listed there). */
  abnormalCard: boolean;
  /**
   * The screening-abnormal card is kept quiet in this answer (§6): its finding holds the not-assessable results
   * this card then lists, so the clinician answered that card with them. They are listed here for the
   * reader, but they are no part of this card's finding: a new one brings back the flagged-results card.
   */
  abnormalCardQuiet: boolean;
  unansweredFlags: number;
  /**
   * Results that cannot be assessed automatically, listed on this card (analyte, value, date) when no
   * screening-abnormal card lists them (docs/clinical-rules.md §3.2).
   */
  notAssessable: NotAssessableResult[];
  /** The guideline's "communicate the diagnosis" paragraph: left out while a flagged result, or an earlier flag (`earlierFlagged`), is unanswered. */
  communicateDiagnosis: boolean;
  /** Established only because a provisional entry outlived SCREENING_PROVISIONAL_MAX_DAYS. */
  stillProvisional: boolean;
  /**
   * Established phase: groups whose latest result is from before the anchor, flagged by the lab and never
   * answered. Not counted (§3.2 rev 2: the work-up's results were seen then), but named, so the card does
   * not read as if nothing was ever flagged.
   */
  earlierFlagged: string[];
  /** How many results `earlierFlagged` stands for (two analytes of one group are two): the card's singular or plural. */
  earlierFlaggedResults: number;
}

/**
 * Whether more than `months` calendar months have passed since `since`, by Danish dates: from the day after
 * the same date `months` later (pain since 25 May: from 26 November; since 31 August: the month's last day,
 * 28 or 29 February, so from 1 March).
 */
function moreMonthsThan(since: number, months: number, now: number): boolean {
  const { year, month, day } = danishCalendarDay(since);
  const lastDay = danishCalendarDay(startOfDanishDate(year, month + months + 1, 0)).day;
  return now >= startOfDanishDate(year, month + months, Math.min(day, lastDay) + 1);
}

export interface NonPharmacologicalInput {
  scope: Scope;
  screening: TreatmentScreeningInput;
  flags: TreatmentFlagsInput;
  /** Whether a screening-abnormal card is issued in the same answer (it then lists the not-assessable results). */
  screeningAbnormalCard: boolean;
  /** Whether the screening-abnormal card is kept quiet in this answer (quiet by design, §6). */
  screeningAbnormalCardQuiet?: boolean;
  codes: NonPharmacologicalCodes;
  recentDays: number;
}

/**
 * The non-drug treatment card (docs/clinical-rules.md §3.4). Work-up phase: only once no group is
 * missing, pending or stale and no flagged result is unanswered — patient education is offered once the
 * patient is clarified. Established phase: always (a missing analyte or a known lasting abnormality must
 * not withhold two strong recommendations for years). An intervention with `onlyAfterMonths` (the
 * multidisciplinary referral) is suggested only when the pain has lasted longer (earliest onset, §2).
 */
export function assessNonPharmacologicalTreatment(input: NonPharmacologicalInput, now: number): NonPharmacologicalFinding | null {
  const { scope, screening, flags } = input;
  const stale = screening.stale ?? [];
  const unansweredFlags = flags.flagged.filter((f) => f.answered !== true).length;
  if (scope.phase === 'work-up' && (screening.missing.length > 0 || screening.pending.length > 0 || stale.length > 0 || unansweredFlags > 0)) {
    return null;
  }
  const painSince = scope.painSince;
  const suggested = input.codes.interventions
    .filter((i) => i.onlyAfterMonths === undefined || (painSince !== undefined && moreMonthsThan(painSince, i.onlyAfterMonths, now)))
    .map((i) => i.id);
  const notIncluded = scope.phase === 'established' ? [...new Set((screening.notTaken ?? [...screening.missing, ...stale]).map((g) => g.id))] : [];
  const earlierFlagged = scope.phase === 'established' ? [...new Set(flags.earlierFlaggedGroups ?? [])] : [];
  return {
    kind: 'non-pharmacological-treatment',
    indicator: 'info',
    phase: scope.phase,
    recentDays: input.recentDays,
    anchoredByOnset: scope.anchoredBy === 'onset',
    suggested,
    multidisciplinaryEligible: suggested.includes('multidisciplinary'),
    notIncluded,
    undatedResults: notIncluded.length > 0 ? (screening.undatedResults ?? 0) : 0,
    resultsWithheld: notIncluded.length > 0 && screening.resultsWithheld === true,
    flaggedCount: flags.flagged.length,
    abnormalCard: input.screeningAbnormalCard,
    abnormalCardQuiet: input.screeningAbnormalCardQuiet === true,
    unansweredFlags,
    notAssessable: input.screeningAbnormalCard ? [] : [...flags.notAssessable],
    // Nor beside earlier flags nobody answered: "explain the negative findings" would contradict "check them".
    communicateDiagnosis: unansweredFlags === 0 && earlierFlagged.length === 0,
    stillProvisional: scope.stillProvisional === true,
    earlierFlagged,
    earlierFlaggedResults: scope.phase === 'established' ? (flags.earlierFlaggedGroups ?? []).length : 0,
  };
}
