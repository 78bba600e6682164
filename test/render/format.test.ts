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
    expect(formatDate('da', Date.parse(instant))).toBe(da);
    expect(formatDate('en', Date.parse(instant))).toBe(en);
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
