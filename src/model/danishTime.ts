/**
 * Danish time (Europe/Copenhagen), whatever the server's own zone (containers run on UTC): the calendar a
 * card's dates are written in, and the clock of a dateTime that an EHR wrote without a zone
 * (docs/clinical-rules.md §5, §7.1).
 */
const DANISH_TIME_ZONE = 'Europe/Copenhagen';

const wallClock = new Intl.DateTimeFormat('en-CA', {
  timeZone: DANISH_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTimeAt(epochMs: number): WallTime {
  const t: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of wallClock.formatToParts(epochMs)) {
    if (p.type === 'year' || p.type === 'month' || p.type === 'day' || p.type === 'hour' || p.type === 'minute' || p.type === 'second') t[p.type] = Number(p.value);
  }
  return t;
}

/** How far Danish time is ahead of UTC at an instant (ms): one hour in winter, two in summer. */
function offsetAt(epochMs: number): number {
  const w = wallTimeAt(epochMs);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(epochMs / 1000) * 1000;
}

/** The instant a Danish wall-clock time names (a time in the hour skipped or repeated at a clock change: one of the two readings). */
export function danishWallTimeToEpoch(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const guess = offsetAt(asUtc);
  const t = asUtc - guess;
  // Near a clock change the offset at the result may differ from the one at the guess: use that one.
  const actual = offsetAt(t);
  return actual === guess ? t : asUtc - actual;
}

/** The calendar day of an instant in Danish time. */
export function danishCalendarDay(epochMs: number): { year: number; month: number; day: number } {
  const w = wallTimeAt(epochMs);
  return { year: w.year, month: w.month, day: w.day };
}
