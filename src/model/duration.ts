/** Lengths of time in milliseconds, for the settings given in days or hours (one definition, every stage). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The first instant of the (UTC) day of `t`, epoch ms (also before 1970). */
export function startOfUtcDay(t: number): number {
  return t - (((t % DAY_MS) + DAY_MS) % DAY_MS);
}
