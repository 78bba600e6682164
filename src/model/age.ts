import { danishCalendarDay, startOfDanishDay } from './danishTime.js';
import { DAY_MS } from './duration.js';

export type AgeUnit = 'years' | 'months' | 'weeks' | 'days';

/**
 * A patient's age in completed units on the Danish calendar day of `now` (a birthday begins at Danish
 * midnight), as ages are counted: 50½ years is 50 completed years. `birth` is the birth date's instant (the
 * callers use the last instant a partial birth date allows: docs/clinical-rules.md §2, §3.2).
 */
export function completedAge(birth: number, now: number, unit: AgeUnit): number {
  if (unit === 'weeks' || unit === 'days') {
    // Whole Danish days between the two calendar days (a clock change makes one 23 or 25 hours long).
    const days = Math.round((startOfDanishDay(now) - startOfDanishDay(birth)) / DAY_MS);
    return unit === 'days' ? days : Math.floor(days / 7);
  }
  const b = danishCalendarDay(birth);
  const n = danishCalendarDay(now);
  const months = (n.year - b.year) * 12 + (n.month - b.month) - (n.day < b.day ? 1 : 0);
  return unit === 'months' ? months : Math.floor(months / 12);
}
