import { completedAge } from '../../src/model/age.js';

describe('completedAge: completed units on the Danish calendar day', () => {
  const born = Date.parse('2001-01-31');
  test('years and months by the calendar: not yet on the day before, complete on the day', () => {
    expect(completedAge(born, Date.parse('2052-01-30T12:00:00Z'), 'years')).toBe(50);
    expect(completedAge(born, Date.parse('2052-01-31T12:00:00Z'), 'years')).toBe(51);
    expect(completedAge(born, Date.parse('2001-03-01T12:00:00Z'), 'months')).toBe(1); // 31 January → 1 March
    expect(completedAge(born, Date.parse('2001-02-28T12:00:00Z'), 'months')).toBe(0);
  });
  test('the Danish day decides: at 23:30 UTC on the eve of a birthday it is the birthday in Denmark', () => {
    const birth = Date.parse('2008-11-26');
    expect(completedAge(birth, Date.parse('2026-11-25T22:59:59Z'), 'years')).toBe(17);
    expect(completedAge(birth, Date.parse('2026-11-25T23:30:00Z'), 'years')).toBe(18);
  });
  test('days and weeks count whole Danish days, across a clock change', () => {
    expect(completedAge(Date.parse('2026-03-28'), Date.parse('2026-03-30T06:00:00Z'), 'days')).toBe(2);
    expect(completedAge(Date.parse('2026-10-20'), Date.parse('2026-11-03T12:00:00Z'), 'weeks')).toBe(2);
    expect(completedAge(Date.parse('2026-10-20'), Date.parse('2026-11-02T12:00:00Z'), 'weeks')).toBe(1);
  });
});
