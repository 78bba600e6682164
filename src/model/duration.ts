/** Lengths of time in milliseconds, for the settings given in days or hours (one definition, every stage). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * UCUM's units of time (FHIR's UnitsOfTime, as dosing periods and course lengths give them) in days; a month
 * 30 days and a year 365, as FHIR approximates them. One table for the dosing rate and a course's end.
 */
export const UCUM_TIME_UNIT_DAYS: Readonly<Record<string, number>> = { s: 1 / 86400, min: 1 / 1440, h: 1 / 24, d: 1, wk: 7, mo: 30, a: 365 };

/** The first instant of the (UTC) day of `t`, epoch ms (also before 1970). */
export function startOfUtcDay(t: number): number {
  return t - (((t % DAY_MS) + DAY_MS) % DAY_MS);
}
