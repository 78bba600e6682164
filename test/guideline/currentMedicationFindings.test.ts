import { readActiveMedicationResources } from '../../src/data/draftOrders.js';
import { findCurrentMedication } from '../../src/guideline/currentMedicationFindings.js';
import { SkippedResources } from '../../src/model/skipped.js';
import { RXNORM as RXNORM_SYSTEM, medicationTerminology, statuses, daytimeSettings } from '../support/medicationTerminology.js';

const terminology = medicationTerminology();
const settings = daytimeSettings;
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const rx = (code: string, text = `rxnorm ${code}`): fhir4.CodeableConcept => ({ text, coding: [{ system: RXNORM_SYSTEM, code }] });
const reason = (system: string, code: string): fhir4.CodeableConcept => ({ coding: [{ system, code }] });

describe('findCurrentMedication (patient-view §3.3)', () => {
  const active = (medication: fhir4.CodeableConcept, id: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'MedicationRequest',
    id,
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    medicationCodeableConcept: medication,
    ...extra,
  });
  const current = (resources: Record<string, unknown>[], conditions: fhir4.Condition[] = []) => {
    const skipped = new SkippedResources();
    const activeMedications = readActiveMedicationResources(resources, skipped, statuses);
    return findCurrentMedication({ activeMedications, unreadable: skipped.countOf('active-medication'), ordersUnavailable: false, recordUnavailable: false, conditions, settings, terminology });
  };

  test('what could not be read is counted: an unreadable order (no status) and a drug that cannot be identified (a national drug id alone); none when all is read', () => {
    const oxy = active({ text: 'OxyNorm 5 mg' }, 'o');
    expect(current([oxy])?.notRead).toEqual({ entries: 0, ordersUnavailable: false, recordUnavailable: false, withheld: false });
    const noStatus = { ...active({ text: 'Contalgin 10 mg' }, 'n'), status: undefined };
    const danishId = active({ coding: [{ system: 'urn:oid:1.2.208.176.2.7', code: '28100636685' }] }, 'd');
    const knownNotGuideline = active({ coding: [{ system: 'http://www.whocc.no/atc', code: 'N02BE01' }] }, 'p');
    expect(current([oxy, noStatus, danishId, knownNotGuideline])?.notRead).toEqual({ entries: 2, ordersUnavailable: false, recordUnavailable: false, withheld: false });
  });

  test('classes in table order; warning with an opioid without dual action; daytime amitriptyline named', () => {
    const f = current([
      active(rx('312941'), 's'),
      active(rx('856834'), 'a', { dosageInstruction: [{ timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd' } } }] }),
      active({ text: 'Contalgin 10 mg' }, 'm'),
      active({ text: 'Panodil' }, 'p'),
    ]);
    expect(f?.indicator).toBe('warning');
    expect(f?.classes.map((c) => [c.kind, c.entry.recommendation, c.entry.strength, c.entry.direction, c.drugs.map((d) => d.reference)])).toEqual([
      ['opioid-without-dual-action', 'opioid-without-dual-action', 'good-practice', 'against', ['MedicationRequest/m']],
      ['ssri', 'ssri', 'weak', 'against', ['MedicationRequest/s']],
      ['amitriptyline', 'amitriptyline', 'weak', 'for', ['MedicationRequest/a']],
    ]);
    expect(f?.kinds).toEqual(['amitriptyline', 'opioid-without-dual-action', 'ssri']);
    expect(f?.classes[2]?.drugs[0]?.daytime).toBe(true);
  });

  test('info without an opioid without dual action; tramadol alone is info too', () => {
    expect(current([active(rx('596930'), 'd')])?.indicator).toBe('info');
    expect(current([active(rx('835603'), 't')])).toMatchObject({ indicator: 'info', classes: [{ kind: 'tramadol' }] });
  });

  test('a request whose intent prescribes nothing (proposal, plan, option: docs/clinical-rules.md §3.3) is not listed; one with intent order is', () => {
    for (const intent of ['proposal', 'plan', 'option']) expect([intent, current([active({ text: 'Contalgin 10 mg' }, 'm', { intent })])]).toEqual([intent, null]);
    expect(current([active({ text: 'Contalgin 10 mg' }, 'm', { intent: 'order' })])).toMatchObject({ classes: [{ kind: 'opioid-without-dual-action', drugs: [{ reference: 'MedicationRequest/m' }] }] });
  });

  test('the same amitriptyline from two orders is listed once, dosed in the daytime when either is (the safe side), whichever comes first; at night when both are', () => {
    const amitriptyline = { text: 'Amitriptylin 10 mg' };
    const threeTimesADay = { dosageInstruction: [{ timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd' } } }] };
    const atBedtime = { dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } } }] };
    const daytime = (resources: Record<string, unknown>[]) => current(resources)?.classes.flatMap((c) => c.drugs.map((d) => d.daytime));
    expect(daytime([active(amitriptyline, 'day', threeTimesADay), active(amitriptyline, 'night', atBedtime)])).toEqual([true]);
    expect(daytime([active(amitriptyline, 'night', atBedtime), active(amitriptyline, 'day', threeTimesADay)])).toEqual([true]);
    expect(daytime([active(amitriptyline, 'night', atBedtime), active(amitriptyline, 'night2', atBedtime)])).toEqual([false]);
  });

  test('null when nothing the guideline speaks about; exclusions apply', () => {
    expect(current([active({ text: 'Panodil' }, 'p')])).toBeNull();
    expect(current([active(rx('1010608'), 'sub')])).toBeNull();
    expect(current([active(rx('312941'), 's', { reasonCode: [reason(ICD10, 'F32.1')] })])).toBeNull();
    expect(current([], [])).toBeNull();
  });
});

describe('rev 2: statements, depression reasons, dependence', () => {
  const statement = (medication: fhir4.CodeableConcept, id: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'MedicationStatement',
    id,
    status: 'active',
    subject: { reference: 'Patient/p1' },
    medicationCodeableConcept: medication,
    ...extra,
  });
  const current = (resources: Record<string, unknown>[], conditions: fhir4.Condition[] = []) => {
    const skipped = new SkippedResources();
    const activeMedications = readActiveMedicationResources(resources, skipped, statuses);
    return findCurrentMedication({ activeMedications, unreadable: skipped.countOf('active-medication'), ordersUnavailable: false, recordUnavailable: false, conditions, settings, terminology });
  };
  const depression: fhir4.Condition = { resourceType: 'Condition', subject: {}, code: reason(ICD10, 'F32.1') };

  test('an active MedicationStatement counts; the same drug as order and statement is listed once', () => {
    expect(current([statement({ text: 'Contalgin 10 mg' }, 's1')])).toMatchObject({ indicator: 'warning', classes: [{ drugs: [{ reference: 'MedicationStatement/s1' }] }] });
    const both = current([statement({ text: 'Contalgin 10 mg' }, 's1'), { ...statement({ text: 'Contalgin 10 mg' }, 'r1'), resourceType: 'MedicationRequest', intent: 'order' }]);
    expect(both?.classes[0]?.drugs).toHaveLength(1);
  });

  test('prescribed for depression (reason text or code) is not listed; an active depression Condition exempts only when there is no reason', () => {
    expect(current([statement(rx('312941', 'Sertralin 50 mg'), 's', { reasonCode: [{ text: 'Depression' }] })])).toBeNull();
    expect(current([statement(rx('312941', 'Sertralin 50 mg'), 's')], [depression])).toBeNull();
    expect(current([statement(rx('312941', 'Sertralin 50 mg'), 's', { reasonCode: [{ text: 'mod smerter' }] })], [depression])).toMatchObject({ kinds: ['ssri'] });
    expect(current([statement(rx('596930', 'Cymbalta'), 'd', { reasonCode: [{ text: 'generaliseret angst' }] })])).toBeNull();
  });

  test('methadone for a patient with opioid dependence is not listed; another opioid is, marked', () => {
    const f11: fhir4.Condition = { resourceType: 'Condition', subject: {}, code: reason(ICD10, 'F11.2') };
    expect(current([statement({ text: 'Metadon 40 mg', coding: [{ system: 'http://www.whocc.no/atc', code: 'N07BC02' }] }, 'm')], [f11])).toBeNull();
    expect(current([statement({ text: 'OxyContin 10 mg' }, 'o')], [f11])).toMatchObject({ opioidDependence: true });
    expect(current([statement({ text: 'OxyContin 10 mg' }, 'o')])).toMatchObject({ opioidDependence: false });
  });

  test('opioid dependence is marked only when an opioid is listed (docs/clinical-rules.md §3.3): methadone named beside amitriptyline for a patient with opioid dependence lists amitriptyline, unmarked', () => {
    const f11: fhir4.Condition = { resourceType: 'Condition', subject: {}, code: reason(ICD10, 'F11.2') };
    const both = statement({ text: 'Metadon 40 mg og Amitriptylin 25 mg' }, 'ma');
    expect(current([both], [f11])).toMatchObject({ kinds: ['amitriptyline'], opioidDependence: false });
    // The control: an opioid listed beside it is marked.
    expect(current([both, statement({ text: 'OxyContin 10 mg' }, 'o')], [f11])).toMatchObject({ kinds: ['amitriptyline', 'opioid-without-dual-action'], opioidDependence: true });
  });

  test('an active substitution product is opioid dependence on record, as on the order cards (docs/clinical-rules.md §4.10): methadone beside it is not listed, another opioid is marked', () => {
    const suboxone = statement(rx('1010608', 'Suboxone 8 mg/2 mg'), 'sub');
    const methadone = statement({ text: 'Metadon 40 mg', coding: [{ system: 'http://www.whocc.no/atc', code: 'N07BC02' }] }, 'm');
    expect(current([suboxone, methadone])).toBeNull();
    expect(current([suboxone, statement({ text: 'OxyContin 10 mg' }, 'o')])).toMatchObject({ kinds: ['opioid-without-dual-action'], opioidDependence: true });
  });
});
