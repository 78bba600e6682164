import { danishCalendarDay, danishWallTimeToEpoch } from '../../src/model/danishTime.js';

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
});
