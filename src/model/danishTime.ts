import { BoundedMemo } from './boundedMemo.js';
import { HOUR_MS } from './duration.js';

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

function wallTimeFromIntl(epochMs: number): WallTime {
  const t: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of wallClock.formatToParts(epochMs)) {
    if (p.type === 'year' || p.type === 'month' || p.type === 'day' || p.type === 'hour' || p.type === 'minute' || p.type === 'second') t[p.type] = Number(p.value);
  }
  return t;
}

/**
 * The offset by UTC hour: Danish clocks change at a whole UTC hour (01:00), so it is the same all hour,
 * and asking Intl (~3 µs) once an hour rather than on every date keeps the windows and card dates cheap.
 * Before 1900 (local mean time, changed at no whole hour) it is asked every time.
 */
const offsetByHour = new BoundedMemo<number>(1024);
const MEMO_FROM = Date.UTC(1900, 0, 1);

/** Date.UTC for every year: Date.UTC reads years 0–99 as 1900–1999. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/** How far Danish time is ahead of UTC at an instant (ms): one hour in winter, two in summer. */
function offsetAt(epochMs: number): number {
  if (epochMs < MEMO_FROM) return intlOffsetAt(epochMs);
  const hour = Math.floor(epochMs / HOUR_MS);
  return offsetByHour.get(String(hour), () => intlOffsetAt(hour * HOUR_MS));
}

function intlOffsetAt(epochMs: number): number {
  const w = wallTimeFromIntl(epochMs);
  return utc(w.year, w.month, w.day, w.hour, w.minute, w.second) - Math.floor(epochMs / 1000) * 1000;
}

/** The instant a Danish wall-clock time names (a time in the hour skipped or repeated at a clock change: one of the two readings). */
export function danishWallTimeToEpoch(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const asUtc = utc(year, month, day, hour, minute, second);
  const guess = offsetAt(asUtc);
  const t = asUtc - guess;
  // Near a clock change the offset at the result may differ from the one at the guess: use that one.
  const actual = offsetAt(t);
  return actual === guess ? t : asUtc - actual;
}

/** The calendar day of an instant in Danish time. */
export function danishCalendarDay(epochMs: number): { year: number; month: number; day: number } {
  const wall = new Date(epochMs + offsetAt(epochMs));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/**
 * The first instant of the Danish calendar day `daysBefore` days before the day of `epochMs` (23:00 or
 * 22:00 UTC of the day before): windows "from the day N days ago" count Danish days, as the cards show
 * them. Counted in calendar days, so a clock change in between moves nothing.
 */
export function startOfDanishDay(epochMs: number, daysBefore = 0): number {
  const { year, month, day } = danishCalendarDay(epochMs);
  return startOfDanishDate(year, month, day - daysBefore);
}

/**
 * The first instant of a Danish calendar date; a month or day past its end counts on (month 13 is January of
 * the next year, day 0 the last day of the month before), as Date.UTC counts.
 */
export function startOfDanishDate(year: number, month: number, day: number): number {
  const date = new Date(utc(year, month, day));
  return danishWallTimeToEpoch(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), 0, 0, 0);
}
