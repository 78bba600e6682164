import { DAY_MS, startOfUtcDay } from '../../src/model/duration.js';

describe('startOfUtcDay', () => {
  test.each([
    ['2026-11-25T14:30:00.000Z', '2026-11-25T00:00:00.000Z'],
    ['2026-11-25T00:00:00.000Z', '2026-11-25T00:00:00.000Z'],
    ['2026-11-25T23:59:59.999Z', '2026-11-25T00:00:00.000Z'],
    ['1969-12-31T23:59:00.000Z', '1969-12-31T00:00:00.000Z'],
  ])('%s → %s', (at, start) => {
    expect(new Date(startOfUtcDay(Date.parse(at))).toISOString()).toBe(start);
  });
  test('a day is 24 hours', () => {
    expect(DAY_MS).toBe(86_400_000);
  });
});
