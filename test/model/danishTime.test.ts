import fc from 'fast-check';
import { danishCalendarDay, danishWallTimeToEpoch, startOfDanishDay } from '../../src/model/danishTime.js';

describe('Danish time', () => {
  test.each([
    [[2026, 8, 5, 23, 30, 0], '2026-08-05T21:30:00.000Z'], // summer: UTC+2
    [[2026, 1, 5, 23, 30, 0], '2026-01-05T22:30:00.000Z'], // winter: UTC+1
    [[2026, 3, 29, 1, 30, 0], '2026-03-29T00:30:00.000Z'], // before the spring change
    [[2026, 3, 29, 3, 30, 0], '2026-03-29T01:30:00.000Z'], // after it
    [[2026, 10, 25, 4, 0, 0], '2026-10-25T03:00:00.000Z'], // after the autumn change
  ] as const)('wall time %j is %s', (wall, utc) => {
    const [y, mo, d, h, mi, s] = wall;
    expect(new Date(danishWallTimeToEpoch(y, mo, d, h, mi, s)).toISOString()).toBe(utc);
  });

  test('the calendar day of an instant', () => {
    expect(danishCalendarDay(Date.parse('2026-10-04T22:30:00Z'))).toEqual({ year: 2026, month: 10, day: 5 });
    expect(danishCalendarDay(Date.parse('2026-01-04T22:59:59Z'))).toEqual({ year: 2026, month: 1, day: 4 });
  });

  test.each([
    ['2026-06-01T14:30:00Z', 0, '2026-05-31T22:00:00.000Z'], // summer: the day began at 22:00 UTC
    ['2026-05-31T23:30:00Z', 0, '2026-05-31T22:00:00.000Z'], // 01:30 on 1 June in Denmark
    ['2026-01-15T12:00:00Z', 0, '2026-01-14T23:00:00.000Z'], // winter: 23:00 UTC
    ['2026-11-25T12:00:00Z', 30, '2026-10-25T23:00:00.000Z'], // 30 days back, across the autumn change
    ['2026-06-01T14:30:00Z', 365, '2025-05-31T22:00:00.000Z'],
    ['2026-03-30T12:00:00Z', 1, '2026-03-28T23:00:00.000Z'], // back across the spring change: 29 March began in winter time
  ] as const)('the start of the Danish day of %s, %d days before, is %s', (at, daysBefore, start) => {
    expect(new Date(startOfDanishDay(Date.parse(at), daysBefore)).toISOString()).toBe(start);
  });

  test('the calendar day agrees with Intl at any instant, clock changes and the years before 1900 included (the offset is kept by UTC hour)', () => {
    const intl = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: '2-digit', day: '2-digit' });
    const viaIntl = (t: number) => {
      const parts = Object.fromEntries(intl.formatToParts(t).map((p) => [p.type, p.value]));
      return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day) };
    };
    // The days of the 2026 clock changes and the days around them, minute by minute, and random instants from 1850 to 2100.
    for (const change of [Date.parse('2026-03-29T01:00:00Z'), Date.parse('2026-10-25T01:00:00Z')]) {
      for (let t = change - 26 * 3_600_000; t <= change + 48 * 3_600_000; t += 60_000) expect(danishCalendarDay(t)).toEqual(viaIntl(t));
    }
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2100, 0, 1) }), (t) => {
        expect(danishCalendarDay(t)).toEqual(viaIntl(t));
        expect(danishCalendarDay(t - 1)).toEqual(viaIntl(t - 1));
      }),
      { numRuns: 2000 },
    );
  });

  test('years below 100 are those years, not 19xx', () => {
    const t = Date.parse('0025-03-01T10:00:00Z');
    expect(danishCalendarDay(t)).toEqual({ year: 25, month: 3, day: 1 });
    expect(startOfDanishDay(t)).toBeLessThanOrEqual(t);
    expect(t - startOfDanishDay(t)).toBeLessThan(24 * 3_600_000);
    expect(new Date(danishWallTimeToEpoch(25, 3, 1, 12, 0, 0)).getUTCFullYear()).toBe(25);
  });
});
