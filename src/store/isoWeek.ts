import { DAY_MS, startOfUtcDay } from '../model/duration.js';

/** ISO 8601 week of an instant (UTC), e.g. `2026-W48`: the report's per-week rows. */
export function isoWeek(epochMs: number): string {
  const day = startOfUtcDay(epochMs);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(day - weekday * DAY_MS + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
