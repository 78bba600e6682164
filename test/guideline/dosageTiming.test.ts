import { assessDaytimeDosing, clockMinutes, dosingPattern } from '../../src/guideline/dosageTiming.js';
import { daytimeSettings } from '../support/medicationTerminology.js';

const settings = daytimeSettings;
const dose = (repeat: fhir4.TimingRepeat | Record<string, unknown>, extra: Partial<fhir4.Dosage> = {}): fhir4.Dosage =>
  ({ timing: { repeat }, ...extra }) as fhir4.Dosage;

describe('assessDaytimeDosing', () => {
  test.each(['WAKE', 'MORN', 'MORN.early', 'NOON', 'AFT', 'C', 'CM', 'CD', 'AC', 'ACM', 'ACD', 'PC', 'PCM', 'PCD'])(
    'when %s is daytime',
    (when) => {
      const r = assessDaytimeDosing([dose({ frequency: 1, period: 1, periodUnit: 'd', when: [when] })], settings);
      expect(r).toMatchObject({ daytime: true, reasons: [{ type: 'when', codes: [when] }] });
    },
  );

  test.each(['EVE', 'EVE.late', 'NIGHT', 'HS', 'PHS', 'CV', 'ACV', 'PCV'])('when %s once a day is not daytime', (when) => {
    expect(assessDaytimeDosing([dose({ frequency: 1, period: 1, periodUnit: 'd', when: [when] })], settings).daytime).toBe(false);
  });

  test('timeOfDay inside [from, to) is daytime, outside is not (configurable bounds)', () => {
    expect(assessDaytimeDosing([dose({ timeOfDay: ['08:00:00'] })], settings)).toMatchObject({
      daytime: true,
      reasons: [{ type: 'time-of-day', times: ['08:00:00'] }],
    });
    expect(assessDaytimeDosing([dose({ timeOfDay: ['17:00:00'] })], settings).daytime).toBe(false);
    expect(assessDaytimeDosing([dose({ timeOfDay: ['05:59:00'] })], settings).daytime).toBe(false);
    expect(assessDaytimeDosing([dose({ timeOfDay: ['21:00:00'] })], settings).daytime).toBe(false);
    expect(assessDaytimeDosing([dose({ timeOfDay: ['17:30:00'] })], { ...settings, daytimeToMinutes: 1080 }).daytime).toBe(true);
  });

  test('q8h is three doses a day, hence daytime', () => {
    const r = assessDaytimeDosing([dose({ frequency: 1, period: 8, periodUnit: 'h' })], settings);
    expect(r).toMatchObject({ daytime: true, dosesPerDay: 3, reasons: [{ type: 'doses-per-day', dosesPerDay: 3 }] });
  });

  test('twice a day is daytime; once a day, every other day or once a week is not', () => {
    expect(assessDaytimeDosing([dose({ frequency: 2, period: 1, periodUnit: 'd' })], settings).daytime).toBe(true);
    expect(assessDaytimeDosing([dose({ frequency: 1, period: 1, periodUnit: 'd' })], settings)).toMatchObject({ daytime: false, dosesPerDay: 1 });
    expect(assessDaytimeDosing([dose({ frequency: 1, period: 2, periodUnit: 'd' })], settings)).toMatchObject({ daytime: false, dosesPerDay: 0.5 });
    expect(assessDaytimeDosing([dose({ frequency: 3, period: 1, periodUnit: 'wk' })], settings).daytime).toBe(false);
  });

  test('the bedtime rate (§4.5): at most one dose a day keeps how often (every other day, weekly, every 24 h, QOD); several a day, or a count not read, become once a day', () => {
    const rate = (dosages: fhir4.Dosage[]) => assessDaytimeDosing(dosages, settings).bedtimeRate;
    const once = { frequency: 1, period: 1, periodUnit: 'd' };
    expect(rate([dose({ frequency: 1, period: 2, periodUnit: 'd', when: ['MORN'] })])).toEqual({ frequency: 1, period: 2, periodUnit: 'd' });
    expect(rate([dose({ frequency: 1, period: 1, periodUnit: 'wk', when: ['MORN'] })])).toEqual({ frequency: 1, period: 1, periodUnit: 'wk' });
    expect(rate([dose({ frequency: 3, period: 1, periodUnit: 'wk', when: ['CM'] })])).toEqual({ frequency: 3, period: 1, periodUnit: 'wk' });
    expect(rate([dose({ frequency: 1, period: 24, periodUnit: 'h', when: ['MORN'] })])).toEqual({ frequency: 1, period: 24, periodUnit: 'h' });
    expect(rate([dose({ frequency: 1, period: 2, periodUnits: 'd', when: 'MORN' })])).toEqual({ frequency: 1, period: 2, periodUnit: 'd' });
    expect(rate([{ timing: { code: { coding: [{ code: 'QOD' }] } } }])).toEqual({ frequency: 1, period: 2, periodUnit: 'd' });
    // Two instructions of one step, each every other day: their frequencies add up (never fewer, never more).
    expect(rate([dose({ frequency: 1, period: 2, periodUnit: 'd', when: ['MORN'] }), dose({ frequency: 1, period: 2, periodUnit: 'd', when: ['HS'] })])).toEqual({ frequency: 2, period: 2, periodUnit: 'd' });
    // Of two periods in different units (every 2 days, every 2 weeks) nothing adds up: the first instruction's rate, never 2 per 2 days.
    expect(rate([dose({ frequency: 1, period: 2, periodUnit: 'd', when: ['MORN'] }), dose({ frequency: 1, period: 2, periodUnit: 'wk', when: ['HS'] })])).toEqual({ frequency: 1, period: 2, periodUnit: 'd' });
    // Several doses a day: one a day (the card asks to check the daily dose).
    expect(rate([dose({ frequency: 2, period: 1, periodUnit: 'd' })])).toEqual(once);
    expect(rate([dose({ frequency: 1, period: 8, periodUnit: 'h' })])).toEqual(once);
    expect(rate([dose({ frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] }), dose({ frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] })])).toEqual(once);
    expect(rate([dose({ timeOfDay: ['08:00:00', '14:00:00'] })])).toEqual(once);
    // A count that cannot be read (a `when` alone is every day): once a day.
    expect(rate([dose({ when: ['MORN'] })])).toEqual(once);
    expect(rate([dose({ frequency: 1, period: 2, periodUnit: 'd', when: ['MORN'] }), dose({ when: ['NOON'] })])).toEqual(once);
    // A frequency FHIR does not allow (positiveInt) is never copied into the update: once a day.
    expect(rate([dose({ frequency: 0, period: 1, periodUnit: 'd', when: ['MORN'] })])).toEqual(once);
    expect(rate([dose({ frequency: 0.5, period: 1, periodUnit: 'd', when: ['MORN'] })])).toEqual(once);
  });

  test('frequencyMax is ignored (the regular dose count decides)', () => {
    expect(assessDaytimeDosing([dose({ frequency: 1, frequencyMax: 3, period: 1, periodUnit: 'd' })], settings).daytime).toBe(false);
  });

  test('DSTU2 periodUnits and a single when code are read', () => {
    expect(assessDaytimeDosing([dose({ frequency: 3, period: 1, periodUnits: 'd' })], settings).dosesPerDay).toBe(3);
    expect(assessDaytimeDosing([dose({ frequency: 1, period: 1, periodUnits: 'd', when: 'MORN' })], settings).daytime).toBe(true);
  });

  test('several doses a day all in the evening/night are not daytime', () => {
    const r = assessDaytimeDosing([dose({ frequency: 2, period: 1, periodUnit: 'd', when: ['EVE', 'HS'] })], settings);
    expect(r).toMatchObject({ daytime: false, dosesPerDay: 2 });
  });
  test.each(['EVE', 'EVE.early', 'EVE.late', 'NIGHT', 'HS', 'PHS', 'CV', 'ACV', 'PCV'])('twice a day, only at %s, is not daytime (an evening code is evening however often)', (when) => {
    expect(assessDaytimeDosing([dose({ frequency: 2, period: 1, periodUnit: 'd', when: [when] })], settings)).toMatchObject({ daytime: false, dosesPerDay: 2 });
  });

  test('evening plus morning when codes is daytime', () => {
    expect(assessDaytimeDosing([dose({ frequency: 2, period: 1, periodUnit: 'd', when: ['MORN', 'HS'] })], settings).daytime).toBe(true);
  });

  test('concurrent instructions add up; sequential ones do not', () => {
    const once = { frequency: 1, period: 1, periodUnit: 'd' } as const;
    expect(assessDaytimeDosing([dose(once), dose(once)], settings)).toMatchObject({ daytime: true, dosesPerDay: 2 });
    expect(assessDaytimeDosing([dose(once, { sequence: 1 }), dose(once, { sequence: 2 })], settings)).toMatchObject({ daytime: false, dosesPerDay: 1 });
    expect(
      assessDaytimeDosing([dose({ ...once, when: ['HS'] }), dose({ ...once, when: ['EVE'] })], settings).daytime,
    ).toBe(false);
  });

  test('timing codes: BID is daytime, QD and PM are not', () => {
    const coded = (code: string): fhir4.Dosage => ({ timing: { code: { coding: [{ code }] } } });
    expect(assessDaytimeDosing([coded('BID')], settings)).toMatchObject({ daytime: true, reasons: [{ type: 'timing-code', code: 'BID' }] });
    expect(assessDaytimeDosing([coded('AM')], settings).daytime).toBe(true);
    expect(assessDaytimeDosing([coded('QD')], settings).daytime).toBe(false);
    expect(assessDaytimeDosing([coded('PM')], settings).daytime).toBe(false);
    // Every abbreviation of R4's timing-abbreviation value set that gives a count.
    for (const code of ['Q1H', 'Q2H', 'Q3H', 'Q4H', 'Q6H', 'Q8H', 'TID', 'QID']) expect([code, assessDaytimeDosing([coded(code)], settings).daytime]).toEqual([code, true]);
    for (const code of ['QOD', 'BED']) expect([code, assessDaytimeDosing([coded(code)], settings).daytime]).toEqual([code, false]);
  });

  test('counts as text ("2"), a period unit in upper case ("D") and when codes in lower case ("morn") read as meant; text that is no count is not', () => {
    const asSent = (repeat: Record<string, unknown>): fhir4.Dosage => ({ timing: { repeat } }) as fhir4.Dosage;
    expect(assessDaytimeDosing([asSent({ frequency: '2', period: '1', periodUnit: 'd' })], settings)).toMatchObject({ daytime: true, reasons: [{ type: 'doses-per-day', dosesPerDay: 2 }] });
    expect(assessDaytimeDosing([asSent({ frequency: 2, period: 1, periodUnit: 'D' })], settings).daytime).toBe(true);
    expect(assessDaytimeDosing([asSent({ frequency: 1, period: 1, periodUnit: 'd', when: ['morn'] })], settings)).toMatchObject({ daytime: true, reasons: [{ type: 'when', codes: ['MORN'] }] });
    expect(assessDaytimeDosing([asSent({ frequency: 1, period: 1, periodUnit: 'd', when: ['hs'] })], settings).daytime).toBe(false);
    expect(assessDaytimeDosing([asSent({ frequency: 'to', period: 1, periodUnit: 'd' })], settings).daytime).toBe(false);
    // The bedtime update writes the rate as FHIR does: numbers and a lower-case unit.
    expect(assessDaytimeDosing([asSent({ frequency: '1', period: '2', periodUnit: 'D', when: ['morn'] })], settings).bedtimeRate).toEqual({ frequency: 1, period: 2, periodUnit: 'd' });
  });

  test('a timing code beside the EHR\'s own frequency coding, in either order, or as the text beside a local code (Epic, Cerner)', () => {
    const epic = { system: 'urn:oid:1.2.840.114350.1.13.0.1.7.4.698288.300', code: '200023', display: '2 times daily' };
    const gts = { system: 'http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation', code: 'BID' };
    for (const code of [{ coding: [epic, gts] }, { coding: [gts, epic] }, { coding: [epic], text: 'BID' }, { coding: [{ code: ' bid ' }] }]) {
      expect([code, assessDaytimeDosing([{ timing: { code } }], settings)]).toMatchObject([code, { daytime: true, reasons: [{ type: 'timing-code', code: 'BID' }] }]);
    }
    // Only the local code: not read (no count), as before.
    expect(assessDaytimeDosing([{ timing: { code: { coding: [epic] } } }], settings).daytime).toBe(false);
  });

  test('a dosage in steps: more than one sequence (none is a group of its own), or instructions whose bounds differ; not: one instruction, or several sharing their bounds', () => {
    const at = (when: string, extra: Record<string, unknown> = {}, sequence?: number): fhir4.Dosage => ({ ...(sequence === undefined ? {} : { sequence }), timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: [when], ...extra } } }) as fhir4.Dosage;
    const week = { boundsDuration: { value: 7, unit: 'd' } };
    const stepped = (dosages: fhir4.Dosage[]) => assessDaytimeDosing(dosages, settings).stepped;
    expect(stepped([at('HS', week, 1), at('MORN', {}, 2), at('HS', {}, 2)])).toBe(true);
    expect(stepped([at('MORN', week), at('MORN', { boundsPeriod: { start: '2026-03-08' } })])).toBe(true); // no sequence: told by the bounds
    expect(stepped([at('HS', {}, 1), at('MORN')])).toBe(true); // sequence 1 and none
    expect(stepped([at('MORN', week)])).toBe(false);
    expect(stepped([at('MORN', week), at('HS', week)])).toBe(false); // morning and bedtime, the same course
    expect(stepped([at('MORN'), at('HS')])).toBe(false);
  });

  test('different doses in one step (R4 doseAndRate or DSTU2 doseQuantity) are split doses; the same dose, or doses in different steps, are not', () => {
    const at = (when: string, mg: number, extra: Record<string, unknown> = {}): fhir4.Dosage =>
      ({ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: [when] } }, doseAndRate: [{ doseQuantity: { value: mg, unit: 'mg' } }], ...extra }) as fhir4.Dosage;
    const split = (dosages: fhir4.Dosage[]) => assessDaytimeDosing(dosages, settings).splitDoses;
    expect(split([at('MORN', 10), at('HS', 25)])).toBe(true);
    expect(split([{ ...at('MORN', 10), doseAndRate: undefined, doseQuantity: { value: 10, unit: 'mg' } } as fhir4.Dosage, { ...at('HS', 20), doseAndRate: undefined, doseQuantity: { value: 20, unit: 'mg' } } as fhir4.Dosage])).toBe(true);
    expect(split([at('MORN', 10), at('HS', 10)])).toBe(false);
    expect(split([at('HS', 10, { sequence: 1 }), at('HS', 25, { sequence: 2 })])).toBe(false);
    expect(split([at('MORN', 10)])).toBe(false);
  });

  test('free-text-only or absent dosage is not daytime and not structured', () => {
    expect(assessDaytimeDosing([{ text: '1 tablet morgen og aften' }], settings)).toEqual({ daytime: false, reasons: [], dosesPerDay: null, structured: false, stepped: false, splitDoses: false, bedtimeRate: { frequency: 1, period: 1, periodUnit: 'd' } });
    expect(assessDaytimeDosing(undefined, settings).structured).toBe(false);
  });

  test('clockMinutes', () => {
    expect(clockMinutes('06:30')).toBe(390);
    expect(clockMinutes('17:00:00')).toBe(1020);
    expect(clockMinutes('noon')).toBeNull();
  });
});

describe('dosingPattern (the opioid-switch check)', () => {
  test('PN only when every instruction is as needed; regular otherwise; unknown without instructions', () => {
    expect(dosingPattern([{ asNeededBoolean: true }])).toBe('as-needed');
    expect(dosingPattern([{ asNeededCodeableConcept: { text: 'ved smerter' } }])).toBe('as-needed');
    expect(dosingPattern([{ asNeededBoolean: true }, { timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }])).toBe('regular');
    expect(dosingPattern([{ asNeededBoolean: false, text: '1 x 2' }])).toBe('regular');
    expect(dosingPattern([])).toBe('unknown');
    expect(dosingPattern(undefined)).toBe('unknown');
  });
});
