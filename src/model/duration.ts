/** Lengths of time in milliseconds, for the settings given in days or hours (one definition, every stage). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * UCUM's units of time (FHIR's UnitsOfTime, as dosing periods and course lengths give them) in days; a month
 * 30 days and a year 365, as FHIR approximates them. One table for the dosing rate and a course's end.
 */
export const UCUM_TIME_UNIT_DAYS: Readonly<Record<UcumTimeUnit, number>> = { s: 1 / 86400, min: 1 / 1440, h: 1 / 24, d: 1, wk: 7, mo: 30, a: 365 };

export type UcumTimeUnit = 's' | 'min' | 'h' | 'd' | 'wk' | 'mo' | 'a';

/**
 * A unit of time as EHRs write it — UCUM's code, or the English or Danish word in a Quantity's `unit` — as UCUM's
 * code. One table for every reader of a time unit: a course's length, an onset age, a reference range's age.
 */
const TIME_UNIT_WORDS: Readonly<Record<string, UcumTimeUnit>> = {
  s: 's', sec: 's', second: 's', seconds: 's', sekund: 's', sekunder: 's',
  min: 'min', minute: 'min', minutes: 'min', minut: 'min', minutter: 'min',
  h: 'h', hr: 'h', hour: 'h', hours: 'h', time: 'h', timer: 'h',
  d: 'd', day: 'd', days: 'd', dag: 'd', dage: 'd', døgn: 'd',
  wk: 'wk', week: 'wk', weeks: 'wk', uge: 'wk', uger: 'wk',
  mo: 'mo', month: 'mo', months: 'mo', md: 'mo', mdr: 'mo', måned: 'mo', måneder: 'mo',
  a: 'a', y: 'a', yr: 'a', yrs: 'a', year: 'a', years: 'a', år: 'a',
};

/** `unit` (any case, spaces around it aside) as UCUM's code of a unit of time; undefined when it is none (or no text). */
export function timeUnit(unit: unknown): UcumTimeUnit | undefined {
  if (typeof unit !== 'string') return undefined;
  const key = unit.trim().toLowerCase();
  return Object.hasOwn(TIME_UNIT_WORDS, key) ? TIME_UNIT_WORDS[key] : undefined;
}

/** The first instant of the (UTC) day of `t`, epoch ms (also before 1970). */
export function startOfUtcDay(t: number): number {
  return t - (((t % DAY_MS) + DAY_MS) % DAY_MS);
}
