/** Lengths of time in milliseconds, for the settings given in days or hours (one definition, every stage). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
