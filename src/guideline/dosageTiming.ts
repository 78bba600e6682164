import { codingsOf } from '../model/codeableConcept.js';
import { UCUM_TIME_UNIT_DAYS } from '../model/duration.js';
import type { DosingTimes } from '../terminology/dosingTimes.js';
import { asList, finiteNumber, isObject, lowerCode, numberOrNumericText, ownEntry } from '../model/json.js';

/**
 * Daytime dosing of amitriptyline (docs/clinical-rules.md §4; the guideline: "not in the daytime because of
 * sedation"), and whether an order is taken regularly or as needed (the opioid-switch check).
 *
 * Decisions (documented in docs/clinical-rules.md §4 too):
 * - Doses a day = frequency / (period in days). `frequencyMax` and `periodMax` are ignored: the lower bound
 *   is what is prescribed regularly; an "up to" ceiling alone does not make a dosing daytime.
 * - Instructions with the same `sequence` (or none) run together, so their doses add up; the count is the
 *   largest over sequence groups. A period without a unit, or a frequency without a period, is not counted.
 * - A `timing.code` (DSTU2 and R4 GTS abbreviations) gives the count when `repeat` does not: BID/TID/QID/
 *   Q1H/Q2H/Q3H/Q4H/Q6H/Q8H = several doses, QD one, QOD every other day; AM = morning; PM = evening; BED = bedtime.
 * - The exception "unless every `when` is evening or night" needs every instruction of the group to carry
 *   `when` codes, all evening/night; then neither timeOfDay nor the dose count makes it daytime.
 * - Dosage given only as text (no timing) is never daytime.
 * - The one bedtime dose the update suggests is taken as often as the dosage's doses were when they were at
 *   most one a day (every other day stays every other day, weekly stays weekly); several a day become one a day.
 */

export interface DaytimeSettings {
  /** Minutes after midnight; a timeOfDay in [from, to) is daytime (defaults 06:00–17:00 from config). */
  daytimeFromMinutes: number;
  daytimeToMinutes: number;
  /** Which `when` codes are daytime and which evening (terminology/dosing-times.csv). */
  times: DosingTimes;
}

export type DaytimeReason =
  | { type: 'when'; codes: string[] }
  | { type: 'time-of-day'; times: string[] }
  | { type: 'doses-per-day'; dosesPerDay: number }
  | { type: 'timing-code'; code: string };

export interface DaytimeAssessment {
  daytime: boolean;
  reasons: DaytimeReason[];
  /** Regular doses a day after normalising frequency/period (null when not computable). */
  dosesPerDay: number | null;
  /** false when the dosage has no structured timing (absent, or text only). */
  structured: boolean;
  /**
   * A dosage in steps (titration or tapering): instructions of more than one `sequence` (none counts as its
   * own group, as above), or several instructions whose bounds (`bounds[x]`, `count`) differ. One bedtime
   * dose cannot stand for the steps: no bedtime update is offered (§4.5).
   */
  stepped: boolean;
  /**
   * Concurrent instructions (one step) with different doses ("10 mg morgen" + "25 mg aften"): one bedtime dose
   * at the first instruction's dose would drop the others; no bedtime update is offered (§4.5).
   */
  splitDoses: boolean;
  /**
   * How often the one bedtime dose of the `update` is taken (§4.5): with at most one dose a day, as often as
   * now — the instruction's own frequency and period (concurrent instructions of the same period add their
   * frequencies; of different periods, the first one's: never more often); with several a day, or when an
   * instruction's count cannot be read, once a day.
   */
  bedtimeRate: DoseRate;
}

/** A regular dosing rate in FHIR's terms: `frequency` doses per `period` `periodUnit` (UCUM: h, d, wk …). */
export interface DoseRate {
  frequency: number;
  period: number;
  periodUnit: string;
}

const ONCE_A_DAY: DoseRate = { frequency: 1, period: 1, periodUnit: 'd' };

/** Doses a day of FHIR R4's timing abbreviations (GTS codes, ValueSet timing-abbreviation) that give a count. */
const CODE_DOSES: Record<string, number> = { QD: 1, QOD: 0.5, BID: 2, TID: 3, QID: 4, Q1H: 24, Q2H: 12, Q3H: 8, Q4H: 6, Q6H: 4, Q8H: 3, AM: 1, PM: 1, BED: 1 };

/** "HH:MM[:SS]" → minutes after midnight. */
export function clockMinutes(time: string): number | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(time.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59) return null;
  return h * 60 + min;
}

/**
 * A `timing.code` in upper case: the first of its codings' codes, then its text, that is a GTS abbreviation
 * read here (Epic and Cerner put their own frequency coding beside the standard one, in either order); else the
 * first code or the text as written (read as an unknown code); null without either.
 */
function timingCode(concept: fhir4.CodeableConcept | undefined): string | null {
  const written = [...codingsOf(concept).map((c) => c.code), concept?.text].flatMap((v) => (typeof v === 'string' && v.trim() !== '' ? [v.trim().toUpperCase()] : []));
  return written.find((c) => ownEntry(CODE_DOSES, c) !== undefined) ?? written[0] ?? null;
}

interface InstructionTiming {
  sequence: number;
  when: string[];
  timeOfDay: string[];
  dosesPerDay: number | null;
  /** The instruction's own rate, when its dose count can be read (frequency/period, a count of times, a code). */
  rate: DoseRate | null;
  code: string | null;
}

function readInstruction(d: fhir4.Dosage, times: DosingTimes): InstructionTiming | null {
  const timing = d.timing;
  if (!timing || typeof timing !== 'object') return null;
  const repeat = timing.repeat as (fhir4.TimingRepeat & { periodUnits?: string }) | undefined;
  const code = timingCode(timing.code);
  if (!repeat && !code) return null;
  const when = asList(repeat?.when)
    .filter((w): w is string => typeof w === 'string')
    // A code in any case ("morn", "hs") as FHIR writes it ("MORN", "HS"); an unknown one as sent.
    .map((w) => times.byLowerCase.get(w.trim().toLowerCase()) ?? w);
  const timeOfDay = asList(repeat?.timeOfDay).filter((t): t is string => typeof t === 'string');
  let dosesPerDay: number | null = null;
  let rate: DoseRate | null = null;
  // Counts sent as text ("2") and a unit in upper case ("D", UCUM's are lower case) read as meant.
  const frequency = numberOrNumericText(repeat?.frequency);
  const period = numberOrNumericText(repeat?.period);
  const unit = lowerCode(repeat?.periodUnit ?? repeat?.periodUnits);
  const unitDays = typeof unit === 'string' ? ownEntry(UCUM_TIME_UNIT_DAYS, unit) : undefined;
  const codeDoses = code ? ownEntry(CODE_DOSES, code) : undefined;
  // Only a frequency FHIR allows (a positiveInt) is a rate the bedtime update may copy.
  const countable = frequency === undefined || (Number.isInteger(frequency) && frequency > 0);
  if (period !== undefined && period > 0 && unitDays !== undefined && typeof unit === 'string') {
    dosesPerDay = (frequency ?? 1) / (period * unitDays);
    if (countable) rate = { frequency: frequency ?? 1, period, periodUnit: unit };
  } else if (timeOfDay.length > 0) {
    dosesPerDay = timeOfDay.length * (frequency ?? 1);
    if (countable) rate = { frequency: dosesPerDay, period: 1, periodUnit: 'd' };
  } else if (codeDoses !== undefined) {
    dosesPerDay = codeDoses;
    // QOD = once every 2 days; the others a whole number of doses a day.
    rate = codeDoses < 1 ? { frequency: 1, period: 1 / codeDoses, periodUnit: 'd' } : { frequency: codeDoses, period: 1, periodUnit: 'd' };
  }
  if (code === 'AM' && when.length === 0) when.push('MORN');
  if (code === 'PM' && when.length === 0) when.push('EVE');
  if (code === 'BED' && when.length === 0) when.push('HS');
  return { sequence: finiteNumber(d.sequence) ?? 0, when, timeOfDay, dosesPerDay, rate, code };
}

export function assessDaytimeDosing(
  dosages: readonly fhir4.Dosage[] | undefined,
  settings: DaytimeSettings,
): DaytimeAssessment {
  const timings = (dosages ?? []).map((d) => readInstruction(d, settings.times)).filter((t): t is InstructionTiming => t !== null);
  const stepped = isStepped(dosages ?? []);
  const splitDoses = hasSplitDoses(dosages ?? []);
  if (timings.length === 0) return { daytime: false, reasons: [], dosesPerDay: null, structured: false, stepped, splitDoses, bedtimeRate: ONCE_A_DAY };

  const groups = new Map<number, InstructionTiming[]>();
  for (const t of timings) groups.set(t.sequence, [...(groups.get(t.sequence) ?? []), t]);

  const reasons: DaytimeReason[] = [];
  let maxDoses: number | null = null;
  let bedtime: DoseRate | null = null;
  for (const group of groups.values()) {
    const doses = group.every((t) => t.dosesPerDay === null)
      ? null
      : group.reduce((sum, t) => sum + (t.dosesPerDay ?? 0), 0);
    if (doses !== null) maxDoses = Math.max(maxDoses ?? 0, doses);
    // The update is offered for a dosage of one step only (not `stepped`): the first group is that step.
    bedtime ??= bedtimeRateOf(group, doses);
    const eveningOnly = group.every((t) => t.when.length > 0 && t.when.every((w) => settings.times.evening.has(w)));
    if (eveningOnly) continue;

    const dayWhen = [...new Set(group.flatMap((t) => t.when.filter((w) => settings.times.daytime.has(w))))];
    if (dayWhen.length > 0) reasons.push({ type: 'when', codes: dayWhen });
    const dayTimes = [
      ...new Set(
        group.flatMap((t) =>
          t.timeOfDay.filter((time) => {
            const m = clockMinutes(time);
            return m !== null && m >= settings.daytimeFromMinutes && m < settings.daytimeToMinutes;
          }),
        ),
      ),
    ];
    if (dayTimes.length > 0) reasons.push({ type: 'time-of-day', times: dayTimes });
    if (doses !== null && doses > 1 + 1e-9) {
      const code = group.find((t) => t.code && ownEntry(CODE_DOSES, t.code) !== undefined && t.dosesPerDay === ownEntry(CODE_DOSES, t.code))?.code;
      reasons.push(code ? { type: 'timing-code', code } : { type: 'doses-per-day', dosesPerDay: round(doses) });
    }
  }
  return { daytime: reasons.length > 0, reasons, dosesPerDay: maxDoses === null ? null : round(maxDoses), structured: true, stepped, splitDoses, bedtimeRate: bedtime ?? ONCE_A_DAY };
}

/**
 * How often one bedtime dose is taken in place of a step's doses (`bedtimeRate` above): moving the dose to
 * bedtime never makes it more frequent, and with at most one dose a day it keeps how often it is taken.
 */
function bedtimeRateOf(group: readonly InstructionTiming[], doses: number | null): DoseRate {
  if (doses === null || doses > 1 + 1e-9) return ONCE_A_DAY;
  const rates: DoseRate[] = [];
  // An instruction whose count cannot be read (a `when` alone: every day) may be more than counted.
  for (const t of group) {
    if (!t.rate) return ONCE_A_DAY;
    rates.push(t.rate);
  }
  const first = rates[0];
  if (!first) return ONCE_A_DAY;
  if (rates.every((r) => r.period === first.period && r.periodUnit === first.periodUnit)) {
    return { ...first, frequency: rates.reduce((sum, r) => sum + r.frequency, 0) };
  }
  return first;
}

const BOUNDS = ['boundsDuration', 'boundsRange', 'boundsPeriod', 'count', 'countMax'] as const;

/** The instruction's bounds as one text ('' for none), to tell steps apart. */
function boundsText(d: fhir4.Dosage): string {
  const repeat = d.timing?.repeat as Record<string, unknown> | undefined;
  if (!repeat || typeof repeat !== 'object') return '';
  return JSON.stringify(BOUNDS.map((k) => repeat[k] ?? null));
}

function isStepped(dosages: readonly fhir4.Dosage[]): boolean {
  const list = dosages.filter((d) => typeof d === 'object' && d !== null);
  if (list.length < 2) return false;
  const sequences = new Set(list.map((d) => finiteNumber(d.sequence) ?? 0));
  return sequences.size > 1 || new Set(list.map(boundsText)).size > 1;
}

/** A dosage's dose as "value unit" (R4 doseAndRate, or DSTU2/STU3 doseQuantity); undefined when it gives none. */
function doseOf(d: fhir4.Dosage): string | undefined {
  const old = (d as { doseQuantity?: unknown }).doseQuantity;
  const rate = Array.isArray(d.doseAndRate) ? d.doseAndRate[0] : isObject(d.doseAndRate) ? d.doseAndRate : undefined;
  const quantity = (q: unknown): string | undefined =>
    isObject(q) && finiteNumber(q.value) !== undefined ? `${finiteNumber(q.value)} ${typeof q.unit === 'string' ? q.unit.trim().toLowerCase() : ''}` : undefined;
  // A dose range ("10–20 mg") is a dose too: two instructions with different ranges are different doses.
  if (isObject(rate) && isObject(rate.doseRange)) {
    const low = quantity(rate.doseRange.low);
    const high = quantity(rate.doseRange.high);
    if (low !== undefined || high !== undefined) return `${low ?? ''}–${high ?? ''}`;
  }
  return quantity(isObject(rate) && isObject(rate.doseQuantity) ? rate.doseQuantity : old);
}

/**
 * More than one instruction in one step (the same `sequence`, or none) whose doses differ — or of which some
 * give a dose and others none, or some are as needed and others regular — so that moving them into one
 * instruction could drop a dose.
 */
function hasSplitDoses(dosages: readonly fhir4.Dosage[]): boolean {
  const doses = new Map<number, Set<string>>();
  for (const d of dosages) {
    if (typeof d !== 'object' || d === null) continue;
    // An as-needed instruction beside a regular one of the same dose is another dose too: one bedtime dose
    // made from the first would turn a regular dose into an as-needed one, or the other way round.
    const dose = `${doseOf(d) ?? 'none'}|${isAsNeeded(d) ? 'prn' : 'regular'}`;
    const step = finiteNumber(d.sequence) ?? 0;
    doses.set(step, (doses.get(step) ?? new Set()).add(dose));
  }
  return [...doses.values()].some((s) => s.size > 1);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * How an order is taken, for the opioid-switch check (docs/clinical-rules.md §4): `as-needed` only when every
 * dosage instruction is PN (asNeededBoolean true or an asNeededCodeableConcept); `regular` when one is not;
 * `unknown` without dosage instructions (counts like regular: the safe side).
 */
export function dosingPattern(dosages: readonly fhir4.Dosage[] | undefined): 'regular' | 'as-needed' | 'unknown' {
  const list = (dosages ?? []).filter((d) => typeof d === 'object' && d !== null);
  if (list.length === 0) return 'unknown';
  return list.every(isAsNeeded) ? 'as-needed' : 'regular';
}

function isAsNeeded(d: fhir4.Dosage): boolean {
  return d.asNeededBoolean === true || (typeof d.asNeededCodeableConcept === 'object' && d.asNeededCodeableConcept !== null);
}
