import { DAY_MS, startOfUtcDay, timeUnit, UCUM_TIME_UNIT_DAYS } from '../../src/model/duration.js';

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

describe('timeUnit: one table of units of time, UCUM codes and the words EHRs write', () => {
  test.each([
    ['a', 'a'], ['Years', 'a'], [' år ', 'a'], ['yrs', 'a'],
    ['mo', 'mo'], ['måneder', 'mo'], ['mdr', 'mo'],
    ['wk', 'wk'], ['uger', 'wk'], ['d', 'd'], ['dage', 'd'], ['h', 'h'], ['timer', 'h'], ['min', 'min'], ['s', 's'],
  ])('%j → %s', (written, code) => {
    expect(timeUnit(written)).toBe(code);
  });
  test('anything else is no unit of time', () => {
    for (const other of ['doses', 'mg', 'constructor', '__proto__', '', undefined]) expect(timeUnit(other)).toBeUndefined();
  });
  test('a month is 30 days and a year 365, as FHIR approximates them', () => {
    expect([UCUM_TIME_UNIT_DAYS.mo, UCUM_TIME_UNIT_DAYS.a, UCUM_TIME_UNIT_DAYS.wk]).toEqual([30, 365, 7]);
  });
});
