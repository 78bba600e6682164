import fc from 'fast-check';
import { parseFhirDate, parseFhirDateEnd, readFhirDate } from '../../src/guideline/fhirDates.js';

/** What parseFhirDate promised before its fast path: build an ISO string and let Date.parse judge it. */
function byDateParse(value: string): number | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h, mi, s = '00', tz] = m;
  if (h === undefined) return Date.UTC(Number(y), Number(mo) - 1, Number(d));
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${tz ?? 'Z'}`);
  return Number.isNaN(t) ? undefined : t;
}

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

describe('parseFhirDate', () => {
  test('dates, partial dates and dateTimes with and without a zone', () => {
    expect(parseFhirDate('2024')).toBe(Date.UTC(2024, 0, 1));
    expect(parseFhirDate('2024-03')).toBe(Date.UTC(2024, 2, 1));
    expect(parseFhirDate('2024-03-05')).toBe(Date.UTC(2024, 2, 5));
    expect(parseFhirDate('2024-03-05T10:20:30Z')).toBe(Date.UTC(2024, 2, 5, 10, 20, 30));
    expect(parseFhirDate('2024-03-05T10:20:30.123+01:00')).toBe(Date.UTC(2024, 2, 5, 9, 20, 30));
    expect(parseFhirDate('2024-03-05T10:20-02:30')).toBe(Date.UTC(2024, 2, 5, 12, 50, 0));
    expect(parseFhirDate('2024-03-05T24:00:00Z')).toBe(Date.UTC(2024, 2, 6));
  });

  test('as EHRs write them: a space for the T, a zone without its colon', () => {
    // Without a zone: Danish time (winter UTC+1, summer UTC+2), as a Danish lab system's clock.
    expect(parseFhirDate('2023-01-10 10:00:00')).toBe(Date.UTC(2023, 0, 10, 9, 0, 0));
    expect(parseFhirDate('2026-08-05T23:30:00')).toBe(Date.UTC(2026, 7, 5, 21, 30, 0));
    // A zone of hours only, a lower-case "t" and "z".
    expect(parseFhirDate('2026-08-05T23:30:00+02')).toBe(Date.UTC(2026, 7, 5, 21, 30, 0));
    expect(parseFhirDate('2026-08-05t21:30:00z')).toBe(Date.UTC(2026, 7, 5, 21, 30, 0));
    expect(parseFhirDate('2026-08-05T23:30:00-03')).toBe(Date.UTC(2026, 7, 6, 2, 30, 0));
    expect(parseFhirDate('2023-01-10T10:00:00+0100')).toBe(Date.UTC(2023, 0, 10, 9, 0, 0));
    expect(parseFhirDate('2023-01-10 10:00-0230')).toBe(Date.UTC(2023, 0, 10, 12, 30, 0));
    expect(parseFhirDate('0099-01-10T10:00:00+0100')).toBe(Date.parse('0099-01-10T10:00:00+01:00'));
    for (const v of ['2023-01-10  10:00', '2023-01-10T10:00:00+010', '2023-01-10T10:00:00+2400', '2023-01-10T10:00:00 +01:00']) expect(parseFhirDate(v)).toBeUndefined();
  });

  test('not a FHIR date, or out of range → undefined', () => {
    for (const v of ['', 'yesterday', '2024-13', '2024-00', '2024-01-00', '2024-01-32', '2024-13-01T00:00:00Z', '2024-01-32T00:00:00Z', '2024-01-01T25:00:00Z', '2024-01-01T24:30:00Z', '2024-01-01T10:00:00+24:00', '2024-01-01T10:00:60Z', undefined]) {
      expect(parseFhirDate(v)).toBeUndefined();
    }
  });

  test('the fast path agrees with Date.parse on any dateTime shape', () => {
    const dateTime = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), two(14), two(33), two(26), two(61), fc.option(two(61)), fc.constantFrom('Z', '+01:00', '-05:30', '+14:00', '-23:59', '+24:00', '+10:60'))
      .map(([y, mo, d, h, mi, s, tz]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}${s === null ? '' : `:${s}`}${tz}`);
    fc.assert(fc.property(dateTime, (v) => expect(parseFhirDate(v)).toBe(byDateParse(v))), { numRuns: 5000 });
  });

  test('a dateTime without a zone is the same time in Danish time: UTC+1 or UTC+2, as Date.parse reads it with that offset', () => {
    const dateTime = fc
      .tuple(fc.integer({ min: 1980, max: 9999 }), two(12), two(28), two(23), two(59), fc.option(two(59)))
      .filter(([, mo, d]) => Number(mo) >= 1 && Number(d) >= 1)
      .map(([y, mo, d, h, mi, s]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}${s === null ? '' : `:${s}`}`);
    fc.assert(
      fc.property(dateTime, (v) => {
        expect([Date.parse(`${v}+01:00`), Date.parse(`${v}+02:00`)]).toContain(parseFhirDate(v));
      }),
      { numRuns: 2000 },
    );
  });

  test('an end date → the last millisecond it covers; a dateTime with a time is that instant', () => {
    // The end of the Danish day, month or year: 23:00 UTC in winter, 22:00 UTC in summer, less 1 ms.
    expect(parseFhirDateEnd('2024')).toBe(Date.UTC(2024, 11, 31, 23) - 1);
    expect(parseFhirDateEnd('2024-02')).toBe(Date.UTC(2024, 1, 29, 23) - 1);
    expect(parseFhirDateEnd('2024-12')).toBe(Date.UTC(2024, 11, 31, 23) - 1);
    expect(parseFhirDateEnd('2024-02-29')).toBe(Date.UTC(2024, 1, 29, 23) - 1);
    expect(parseFhirDateEnd(' 2024-03-05 ')).toBe(Date.UTC(2024, 2, 5, 23) - 1);
    expect(parseFhirDateEnd('2024-06-30')).toBe(Date.UTC(2024, 5, 30, 22) - 1);
    expect(parseFhirDateEnd('2024-03-30')).toBe(Date.UTC(2024, 2, 30, 23) - 1); // the clock changes on 31 March: 30 March ends in winter time
    expect(parseFhirDateEnd('2024-03-05T10:20:30+01:00')).toBe(Date.UTC(2024, 2, 5, 9, 20, 30));
    expect(parseFhirDateEnd('2024-03-05 10:20')).toBe(Date.UTC(2024, 2, 5, 9, 20));
    // A year below 100 (read as 19xx by Date.UTC) ends where it starts: never an end before its own start.
    for (const v of ['0050', '0050-06', '0050-06-15']) expect([v, parseFhirDateEnd(v)]).toEqual([v, parseFhirDate(v)]);
    for (const v of ['', 'soon', '2024-13', '2024-01-01T25:00:00Z', undefined]) expect(parseFhirDateEnd(v)).toBeUndefined();
  });
});

describe('readFhirDate: the first instant and the precision the date was written at (docs/clinical-rules.md §5)', () => {
  test.each([
    ['2026', Date.UTC(2026, 0, 1), 'year'],
    ['2026-08', Date.UTC(2026, 7, 1), 'month'],
    [' 2026-08 ', Date.UTC(2026, 7, 1), 'month'],
    ['2026-08-05', Date.UTC(2026, 7, 5), 'day'],
    ['2026-08-05T23:30:00', Date.UTC(2026, 7, 5, 21, 30), 'day'],
    ['2026-08-05T23:30:00+02:00', Date.UTC(2026, 7, 5, 21, 30), 'day'],
    ['2026-08-05 23:30', Date.UTC(2026, 7, 5, 21, 30), 'day'],
  ] as const)('%s → %d, %s', (written, at, precision) => {
    expect(readFhirDate(written)).toEqual({ at, precision });
    // The instant is the one parseFhirDate gives: comparing and sorting are unchanged.
    expect(parseFhirDate(written)).toBe(at);
  });
  test('no date → undefined; a text read again gives the same (memoised) object', () => {
    for (const v of ['', 'soon', '2024-13', '2024-00', '2024-01-01T25:00:00Z', undefined]) expect(readFhirDate(v)).toBeUndefined();
    expect(readFhirDate('2026-08')).toBe(readFhirDate('2026-08'));
  });
});
