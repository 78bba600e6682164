import { assessDaytimeDosing, clockMinutes, moveDosageToEvening } from '../../src/guideline/dosageTiming.js';

const settings = { daytimeFromMinutes: 6 * 60, daytimeToMinutes: 17 * 60 };
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
    expect(assessDaytimeDosing([dose({ timeOfDay: ['17:30:00'] })], { daytimeFromMinutes: 360, daytimeToMinutes: 1080 }).daytime).toBe(true);
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
  });

  test('free-text-only or absent dosage is not daytime and not structured', () => {
    expect(assessDaytimeDosing([{ text: '1 tablet morgen og aften' }], settings)).toEqual({ daytime: false, reasons: [], dosesPerDay: null, structured: false });
    expect(assessDaytimeDosing(undefined, settings).structured).toBe(false);
  });

  test('clockMinutes', () => {
    expect(clockMinutes('06:30')).toBe(390);
    expect(clockMinutes('17:00:00')).toBe(1020);
    expect(clockMinutes('noon')).toBeNull();
  });
});

describe('moveDosageToEvening', () => {
  test('R4: once a day at HS, timeOfDay, code and text removed, dose and bounds kept, original untouched', () => {
    const original = {
      resourceType: 'MedicationRequest',
      id: 'r1',
      dosageInstruction: [
        {
          text: '1 tablet kl. 8 og 14',
          timing: { code: { text: 'BID' }, repeat: { frequency: 2, period: 1, periodUnit: 'd', timeOfDay: ['08:00:00', '14:00:00'], boundsPeriod: { start: '2026-01-01' } } },
          doseAndRate: [{ doseQuantity: { value: 10, unit: 'mg' } }],
        },
        { timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } } },
      ],
    };
    const copy = moveDosageToEvening(original);
    expect(copy.dosageInstruction).toEqual([
      {
        timing: { repeat: { boundsPeriod: { start: '2026-01-01' }, frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } },
        doseAndRate: [{ doseQuantity: { value: 10, unit: 'mg' } }],
      },
    ]);
    expect(original.dosageInstruction[0]!.timing.repeat.timeOfDay).toEqual(['08:00:00', '14:00:00']);
    expect(assessDaytimeDosing(copy.dosageInstruction as fhir4.Dosage[], settings).daytime).toBe(false);
  });

  test('DSTU2 MedicationOrder keeps its own shape (periodUnits, when as one code)', () => {
    const copy = moveDosageToEvening({
      resourceType: 'MedicationOrder',
      id: 'order-123',
      dosageInstruction: [{ doseQuantity: { value: 1 }, timing: { repeat: { frequency: 2, period: 1, periodUnits: 'd' } } }],
    });
    expect(copy.dosageInstruction).toEqual([
      { doseQuantity: { value: 1 }, timing: { repeat: { frequency: 1, period: 1, periodUnits: 'd', when: 'HS' } } },
    ]);
  });
});
