import { formatDate, formatNumber } from '../../src/render/format.js';

describe('formatDate: the day in Danish time', () => {
  test.each([
    // Just after midnight Danish summer time is the evening before in UTC.
    ['2026-10-05T00:30:00+02:00', '05.10.2026', '2026-10-05'],
    ['2026-10-04T22:30:00Z', '05.10.2026', '2026-10-05'],
    // Winter time: UTC+1.
    ['2026-01-04T23:30:00Z', '05.01.2026', '2026-01-05'],
    ['2026-01-04T22:59:59Z', '04.01.2026', '2026-01-04'],
    // A date-only value, read as UTC midnight, keeps its day; so does the last instant of a UTC day in winter.
    ['2026-10-05T00:00:00Z', '05.10.2026', '2026-10-05'],
    ['2026-03-29T00:59:00Z', '29.03.2026', '2026-03-29'],
    ['0999-06-01T12:00:00Z', '01.06.0999', '0999-06-01'],
  ])('%s → %s (da), %s (en)', (instant, da, en) => {
    expect(formatDate('da', Date.parse(instant), 'day')).toBe(da);
    expect(formatDate('en', Date.parse(instant), 'day')).toBe(en);
  });
});

describe('formatDate: a partial date at the precision it was written (docs/clinical-rules.md §5)', () => {
  test.each([
    // A partial date is read as its first instant (UTC midnight of the 1st): shown without the day it does not give.
    ['2026-08', 'month', '08.2026', '2026-08', Date.UTC(2026, 7, 1)],
    ['2026-01', 'month', '01.2026', '2026-01', Date.UTC(2026, 0, 1)],
    ['2026-12', 'month', '12.2026', '2026-12', Date.UTC(2026, 11, 1)],
    ['2026', 'year', '2026', '2026', Date.UTC(2026, 0, 1)],
    ['0999', 'year', '0999', '0999', Date.UTC(999, 0, 1)],
    // A full date keeps its day.
    ['2026-08-01', 'day', '01.08.2026', '2026-08-01', Date.UTC(2026, 7, 1)],
    // A dateTime near midnight keeps its Danish day: 22:30 UTC on 31 July is 00:30 on 1 August in Danish summer time.
    ['2026-07-31T22:30:00Z', 'day', '01.08.2026', '2026-08-01', Date.UTC(2026, 6, 31, 22, 30)],
    ['2026-01-04T22:59:59Z', 'day', '04.01.2026', '2026-01-04', Date.UTC(2026, 0, 4, 22, 59, 59)],
  ] as const)('%s at %s precision → %s (da), %s (en)', (_written, precision, da, en, epochMs) => {
    expect(formatDate('da', epochMs, precision)).toBe(da);
    expect(formatDate('en', epochMs, precision)).toBe(en);
  });
});

describe('formatNumber', () => {
  test('Danish decimal comma, English point; six significant digits at most', () => {
    expect(formatNumber('da', 5.9)).toBe('5,9');
    expect(formatNumber('en', 5.9)).toBe('5.9');
    expect(formatNumber('da', 140)).toBe('140');
    expect(formatNumber('en', 1 / 3)).toBe('0.333333');
  });
});
