import { assessDaytimeDosing } from '../../src/guideline/dosageTiming.js';
import { hasOrderNote, moveDosageToEvening } from '../../src/render/eveningDosageUpdate.js';
import { daytimeSettings } from '../support/medicationTerminology.js';

const settings = daytimeSettings;
const daily = { frequency: 1, period: 1, periodUnit: 'd' };

describe('moveDosageToEvening', () => {
  test('R4: one instruction once a day at HS (the second dropped), timeOfDay, code and text removed, dose and bounds kept, original untouched', () => {
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
    const copy = moveDosageToEvening(original, daily);
    expect(copy.dosageInstruction).toEqual([
      {
        timing: { repeat: { boundsPeriod: { start: '2026-01-01' }, frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } },
        doseAndRate: [{ doseQuantity: { value: 10, unit: 'mg' } }],
      },
    ]);
    expect(original.dosageInstruction[0]!.timing.repeat.timeOfDay).toEqual(['08:00:00', '14:00:00']);
    expect(assessDaytimeDosing(copy.dosageInstruction as fhir4.Dosage[], settings).daytime).toBe(false);
  });

  test('the one instruction left is the whole dosage: its sequence becomes 1 (a course sent as sequence 2 alone), none is added when it had none', () => {
    const copy = moveDosageToEvening({ resourceType: 'MedicationRequest', id: 'r1', dosageInstruction: [{ sequence: 2, timing: { repeat: { when: ['MORN'] } } }] }, daily);
    expect(copy.dosageInstruction).toEqual([{ sequence: 1, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } }]);
    const none = moveDosageToEvening({ resourceType: 'MedicationRequest', id: 'r1', dosageInstruction: [{ timing: { repeat: { when: ['MORN'] } } }] }, daily);
    expect(none.dosageInstruction).toEqual([{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } }]);
  });

  test('additional instructions and patient instructions go too: they may name the old time of day', () => {
    const copy = moveDosageToEvening({
      resourceType: 'MedicationRequest',
      id: 'r1',
      dosageInstruction: [{ patientInstruction: 'Tages om morgenen', additionalInstruction: [{ text: 'tages om morgenen med morgenmad' }], timing: { repeat: { when: ['MORN'] } } }],
    }, daily);
    expect(copy.dosageInstruction).toEqual([{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } }]);
  });

  test('DSTU2 MedicationOrder keeps its own shape (periodUnits, when as one code)', () => {
    const copy = moveDosageToEvening({
      resourceType: 'MedicationOrder',
      id: 'order-123',
      dosageInstruction: [{ doseQuantity: { value: 1 }, timing: { repeat: { frequency: 2, period: 1, periodUnits: 'd' } } }],
    }, daily);
    expect(copy.dosageInstruction).toEqual([
      { doseQuantity: { value: 1 }, timing: { repeat: { frequency: 1, period: 1, periodUnits: 'd', when: 'HS' } } },
    ]);
  });

  test('the rate given is written in the draft\'s own shape: every other day stays every other day (R4 periodUnit, DSTU2 periodUnits)', () => {
    const everyOtherDay = { frequency: 1, period: 2, periodUnit: 'd' };
    const r4 = moveDosageToEvening({ resourceType: 'MedicationRequest', id: 'r', dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 2, periodUnit: 'd', when: ['MORN'] } } }] }, everyOtherDay);
    expect(r4.dosageInstruction).toEqual([{ timing: { repeat: { frequency: 1, period: 2, periodUnit: 'd', when: ['HS'] } } }]);
    const dstu2 = moveDosageToEvening({ resourceType: 'MedicationOrder', id: 'o', dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnits: 'wk', when: 'MORN' } } }] }, { frequency: 1, period: 1, periodUnit: 'wk' });
    expect(dstu2.dosageInstruction).toEqual([{ timing: { repeat: { frequency: 1, period: 1, periodUnits: 'wk', when: 'HS' } } }]);
  });

  test('DSTU2 additionalInstructions (one CodeableConcept, DSTU2 spelling) go too: they may name the old time of day', () => {
    const copy = moveDosageToEvening({
      resourceType: 'MedicationOrder',
      id: 'o',
      dosageInstruction: [{ additionalInstructions: { text: 'tages om morgenen' }, timing: { repeat: { frequency: 1, period: 1, periodUnits: 'd', when: 'MORN' } } }],
    }, daily);
    expect(copy.dosageInstruction).toEqual([{ timing: { repeat: { frequency: 1, period: 1, periodUnits: 'd', when: 'HS' } } }]);
  });
});

describe('hasOrderNote', () => {
  test('an R4/STU3 note with text, or a DSTU2 note string, is a note; none, or empty ones, are not', () => {
    expect(hasOrderNote({ resourceType: 'MedicationRequest', note: [{ text: 'tages om morgenen' }] })).toBe(true);
    expect(hasOrderNote({ resourceType: 'MedicationRequest', note: { text: 'tages om morgenen' } })).toBe(true);
    expect(hasOrderNote({ resourceType: 'MedicationOrder', note: 'tages om morgenen' })).toBe(true);
    expect(hasOrderNote({ resourceType: 'MedicationRequest' })).toBe(false);
    expect(hasOrderNote({ resourceType: 'MedicationRequest', note: [{ text: ' ' }, { authorString: 'x' }] })).toBe(false);
    expect(hasOrderNote({ resourceType: 'MedicationOrder', note: '' })).toBe(false);
  });
});
