import { completedAge } from '../model/age.js';
import { DAY_MS, timeUnit, UCUM_TIME_UNIT_DAYS } from '../model/duration.js';
import { startOfDanishDay } from '../model/danishTime.js';
import { isReadableConcept, readConcept } from '../model/codeableConcept.js';
import { finiteNumber, isObject, nonBlank, type JsonObject } from '../model/json.js';
import type { SkippedResources } from '../model/skipped.js';
import type { GsbValueSet } from '../terminology/gsbValueSet.js';
import { parseFhirDate, parseFhirDateEnd, readFhirDate } from './fhirDates.js';

export type Phase = 'work-up' | 'established';

export interface ScopeSettings {
  recentDays: number;
  allPatientsInScope: boolean;
  /** SCREENING_PROVISIONAL_MAX_DAYS (docs/clinical-rules.md §2). */
  provisionalMaxDays: number;
  /** MIN_PATIENT_AGE (docs/clinical-rules.md §2). */
  minPatientAge: number;
}

export interface Scope {
  inScope: boolean;
  /** Why not in scope: no GSB condition, younger than MIN_PATIENT_AGE, or recorded as deceased. */
  outOfScope?: 'no-gsb-condition' | 'under-age' | 'deceased';
  /** The GSB Condition the rules anchor on, as read (lenient JSON, not a checked fhir4.Condition); absent when in scope only by the demo switch. */
  condition?: JsonObject;
  /** Its code, used as the reason of suggested orders. */
  reasonCode?: fhir4.CodeableConcept;
  /** When the diagnosis was registered: recordedDate (DSTU2 dateRecorded), else earliest onset[x], else now. */
  anchor: number;
  /**
   * The earliest the anchor may be: a registration given only to its month or year ("2025") counts for the
   * phase from its last day, but the look-back counts from its first, and only a result before that first day
   * is "from before the registration". Otherwise the anchor itself.
   */
  anchorEarliest: number;
  /** What the anchor is: the registration, the onset (no registration date: the cards must not say "registered"), or today. */
  anchoredBy: 'registration' | 'onset' | 'today';
  /** When the pain began: the earliest onset[x] of the GSB conditions, else recordedDate; undefined when unknown. */
  painSince?: number;
  phase: Phase;
  /** Established only because a provisional entry outlived SCREENING_PROVISIONAL_MAX_DAYS: still not recorded as confirmed. */
  stillProvisional?: boolean;
  /** No usable Patient.birthDate: the age limit could not be checked (the service logs it). */
  ageUnknown?: boolean;
}

/** A Condition that counts for scope: coded in the value set and active by the one active-condition rule. */
export function isGsbCondition(condition: unknown, valueSet: GsbValueSet): boolean {
  return isObject(condition) && valueSet.has(condition.code) && valueSet.statuses.isActive(condition);
}

/**
 * A registration or onset date's first and last day, never later than now (a clock ahead of ours: now). A full
 * date or dateTime is both, as written; one given only to its month or year ("2026-08", "2026") spans it (§2).
 * "Registered more than 6 months ago" and "pain for more than 6 months" are said from the last day, so only
 * when every day the date allows makes them true ("2026" from its first would make a diagnosis registered
 * in November six months old by the year's start); the look-back counts from the first.
 */
function daysOf(v: unknown, now: number): { first: number; last: number } | undefined {
  if (typeof v !== 'string') return undefined;
  const d = readFhirDate(v);
  if (d === undefined) return undefined;
  const first = Math.min(d.at, now);
  if (d.precision === 'day') return { first, last: first };
  return { first, last: Math.min(startOfDanishDay(parseFhirDateEnd(v) ?? d.at), now) };
}

/** Birth date + an Age quantity (years, months, weeks, days); undefined when the unit is unknown. */
function addAge(birth: number, age: unknown): number | undefined {
  if (!isObject(age)) return undefined;
  const value = finiteNumber(age.value);
  const unit = timeUnit(age.code) ?? timeUnit(age.unit);
  if (value === undefined || unit === undefined) return undefined;
  const d = new Date(birth);
  // Years and months by the calendar; shorter units by their length.
  if (unit === 'a') return Date.UTC(d.getUTCFullYear() + Math.floor(value), d.getUTCMonth(), d.getUTCDate()) + (value % 1) * 365.25 * DAY_MS;
  if (unit === 'mo') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + Math.floor(value), d.getUTCDate());
  return birth + value * UCUM_TIME_UNIT_DAYS[unit] * DAY_MS;
}

/** The earliest onset[x] as a date: onsetDateTime, onsetPeriod.start, onsetAge/onsetRange (via birth date); onsetString ignored. */
function onsetOf(c: JsonObject, birth: number | undefined, now: number): number | undefined {
  const dates: Array<number | undefined> = [daysOf(c.onsetDateTime, now)?.last, isObject(c.onsetPeriod) ? daysOf(c.onsetPeriod.start, now)?.last : undefined];
  if (birth !== undefined) {
    // onsetQuantity is DSTU2's name for onsetAge. A range counts from its low end, else its high end.
    dates.push(addAge(birth, c.onsetAge), addAge(birth, c.onsetQuantity));
    if (isObject(c.onsetRange)) dates.push(addAge(birth, c.onsetRange.low) ?? addAge(birth, c.onsetRange.high));
  }
  const found = dates.filter((d): d is number => d !== undefined);
  return found.length > 0 ? Math.min(...found) : undefined;
}

/** recordedDate; STU3 assertedDate; DSTU2 dateRecorded: its first and last day. */
function recordedOf(c: JsonObject, now: number): { first: number; last: number } | undefined {
  return daysOf(c.recordedDate, now) ?? daysOf(c.assertedDate, now) ?? daysOf(c.dateRecorded, now);
}

/** Patient.birthDate (read leniently from whatever the `patient` key held), as written. */
function birthDateText(patient: unknown): string | undefined {
  if (!isObject(patient)) return undefined;
  if (patient.resourceType !== undefined && patient.resourceType !== 'Patient') return undefined;
  return typeof patient.birthDate === 'string' ? patient.birthDate : undefined;
}

/** Patient.deceased[x]: true, or a date of death (any, even one not yet reached: a record says so). */
function isDeceased(patient: unknown): boolean {
  if (!isObject(patient) || (patient.resourceType !== undefined && patient.resourceType !== 'Patient')) return false;
  return patient.deceasedBoolean === true || nonBlank(patient.deceasedDateTime) !== undefined;
}

/** Patient.birthDate: its first instant. */
function birthDateOf(patient: unknown): number | undefined {
  return parseFhirDate(birthDateText(patient));
}

interface GsbEntry {
  c: JsonObject;
  anchor: number;
  anchorEarliest: number;
  anchoredBy: Scope['anchoredBy'];
  unconfirmed: boolean;
}

/**
 * Scope and phase (docs/clinical-rules.md §2). In scope: an adult (MIN_PATIENT_AGE) with an active GSB
 * Condition. Phase: work-up when a GSB condition's anchor (its registration) is within
 * SCREENING_RECENT_DAYS, or a provisional one's within SCREENING_PROVISIONAL_MAX_DAYS; a confirmed (or
 * unverified-status) one registered longer ago makes the patient established whatever a provisional entry
 * says. The condition that decides the phase leads (the earliest-anchored among those that decide it).
 */
export function assessScope(
  conditions: readonly unknown[],
  valueSet: GsbValueSet,
  settings: ScopeSettings,
  now: number,
  patient?: unknown,
  /** Where a Condition whose code cannot be read is named (§7); give it on one of a call's readings only. */
  skipped?: SkippedResources,
): Scope {
  // A patient recorded as deceased gets no card: no screening, no referral, no drug advice.
  if (isDeceased(patient)) return { anchor: now, anchorEarliest: now, anchoredBy: 'today', phase: 'work-up', stillProvisional: false, ageUnknown: birthDateOf(patient) === undefined, inScope: false, outOfScope: 'deceased' };
  const birth = birthDateOf(patient);
  // Literals, not a base spread into each: on Node 20 a property added to a spread object costs ~0.5 µs.
  const ageUnknown = birth === undefined;
  // The age limit from the last day the birth date allows: born "2008-12" may be 17 until 31 December 2026.
  const latestBirth = parseFhirDateEnd(birthDateText(patient));
  if (latestBirth !== undefined && completedAge(latestBirth, now, 'years') < settings.minPatientAge) {
    return { anchor: now, anchorEarliest: now, anchoredBy: 'today', phase: 'work-up', stillProvisional: false, ageUnknown, inScope: false, outOfScope: 'under-age' };
  }

  const gsb: GsbEntry[] = [];
  let painSince: number | undefined;
  for (const raw of conditions) {
    if (!isObject(raw) || raw.resourceType !== 'Condition') continue;
    if (!isGsbCondition(raw, valueSet)) {
      // A Condition may have no code; one whose code is there but unreadable might be the GSB diagnosis.
      if (raw.code !== undefined && !isReadableConcept(raw.code)) skipped?.add(raw, 'condition', 'no readable code');
      continue;
    }
    const onset = onsetOf(raw, birth, now);
    const recorded = recordedOf(raw, now);
    const pain = onset ?? recorded?.last;
    if (pain !== undefined && (painSince === undefined || pain < painSince)) painSince = pain;
    gsb.push({
      c: raw,
      anchor: recorded?.last ?? onset ?? now,
      anchorEarliest: recorded?.first ?? onset ?? now,
      anchoredBy: recorded !== undefined ? 'registration' : onset !== undefined ? 'onset' : 'today',
      unconfirmed: valueSet.statuses.isUnconfirmed(raw),
    });
  }
  if (gsb.length === 0) {
    return settings.allPatientsInScope
      ? { anchor: now, anchorEarliest: now, anchoredBy: 'today', phase: 'work-up', stillProvisional: false, ageUnknown, inScope: true }
      : { anchor: now, anchorEarliest: now, anchoredBy: 'today', phase: 'work-up', stillProvisional: false, ageUnknown, inScope: false, outOfScope: 'no-gsb-condition' };
  }

  // Counted in Danish days, as the screening's windows and the cards' dates are: an anchor is recent while
  // its Danish day is fewer than SCREENING_RECENT_DAYS days before today's, whatever its hour.
  const recentFrom = startOfDanishDay(now, settings.recentDays - 1);
  const provisionalFrom = startOfDanishDay(now, settings.provisionalMaxDays - 1);
  const earliest = (entries: GsbEntry[]): GsbEntry | undefined => [...entries].sort((a, b) => a.anchor - b.anchor)[0];
  const settled = earliest(gsb.filter((g) => !g.unconfirmed && g.anchor < recentFrom));
  const inWorkUp = earliest(gsb.filter((g) => g.anchor >= recentFrom || (g.unconfirmed && g.anchor >= provisionalFrom)));
  let lead: GsbEntry;
  let phase: Phase;
  if (settled) [lead, phase] = [settled, 'established'];
  else if (inWorkUp) [lead, phase] = [inWorkUp, 'work-up'];
  else [lead, phase] = [earliest(gsb) as GsbEntry, 'established'];

  const scope: Scope = {
    inScope: true,
    condition: lead.c,
    anchor: lead.anchor,
    anchorEarliest: lead.anchorEarliest,
    anchoredBy: lead.anchoredBy,
    phase,
    stillProvisional: phase === 'established' && gsb.every((g) => g.unconfirmed),
    ageUnknown,
  };
  if (painSince !== undefined) scope.painSince = painSince;
  // The condition's code, well formed: it goes out as the reason of suggested orders.
  const reason = readConcept(lead.c.code, { complete: true });
  if (reason) scope.reasonCode = reason;
  return scope;
}

