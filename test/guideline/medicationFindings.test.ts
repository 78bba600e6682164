import { readFileSync } from 'node:fs';
import { projectPath } from '../../src/projectRoot.js';
import { readActiveMedicationRequests, readDraftOrders, type DraftOrder } from '../../src/data/draftOrders.js';
import {
  findCurrentMedication,
  findDrugOrderFindings,
  isDepressionOrAnxiety,
  isOpioidDependence,
  type AmitriptylineOrderFinding,
  type DrugOrderFinding,
  type OpioidOrderFinding,
} from '../../src/guideline/medicationFindings.js';
import { ATC_SYSTEM, RXNORM_SYSTEM } from '../../src/terminology/drugCodes.js';

const settings = { daytimeFromMinutes: 360, daytimeToMinutes: 1020 };
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const SKS = 'urn:oid:1.2.208.176.2.4.12';
// Stand-in for the scope module's value-set test (the real one is passed in by the service).
const isGsbReason = (c: fhir4.CodeableConcept) =>
  (c.coding ?? []).some((x) => x.code === '203082005' || x.code === 'M79.7' || x.code === 'DM797');

interface OrderFixture {
  selections?: string[];
  draftOrders: unknown;
}
const fixture = (name: string): OrderFixture =>
  JSON.parse(readFileSync(projectPath('fixtures', 'orders', name), 'utf8')) as OrderFixture;

const rx = (code: string, text = `rxnorm ${code}`): fhir4.CodeableConcept => ({ text, coding: [{ system: RXNORM_SYSTEM, code }] });
const atc = (code: string, text = `atc ${code}`): fhir4.CodeableConcept => ({ text, coding: [{ system: ATC_SYSTEM, code }] });
const reason = (system: string, code: string): fhir4.CodeableConcept => ({ coding: [{ system, code }] });

function order(
  medication: fhir4.CodeableConcept | undefined,
  extra: Record<string, unknown> = {},
  id = 'request-123',
): Record<string, unknown> {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    ...(medication ? { medicationCodeableConcept: medication } : {}),
    ...extra,
  };
}
const bundle = (...resources: Record<string, unknown>[]) => ({ resourceType: 'Bundle', entry: resources.map((resource) => ({ resource })) });

function run(
  drafts: DraftOrder[],
  opts: { active?: Record<string, unknown>[]; conditions?: fhir4.Condition[]; inScope?: boolean } = {},
): DrugOrderFinding[] {
  return findDrugOrderFindings({
    drafts,
    activeMedications: readActiveMedicationRequests((opts.active ?? []) as unknown as fhir4.Resource[]),
    conditions: opts.conditions ?? [],
    patientInScope: opts.inScope ?? true,
    isGsbReason,
    settings,
  });
}
const one = (medication: fhir4.CodeableConcept | undefined, extra: Record<string, unknown> = {}, opts = {}) =>
  run(readDraftOrders(bundle(order(medication, extra))), opts);

describe('§4 rows: one positive and one negative each', () => {
  test.each([
    ['opioid-without-dual-action', rx('1049621'), 'warning', rx('835603')],
    ['tramadol', rx('835603'), 'warning', rx('1049621')],
    ['tapentadol', rx('825411'), 'info', rx('835603')],
    ['ssri', rx('312941'), 'warning', rx('596930')],
    ['amitriptyline', rx('856783'), 'info', rx('317136')],
    ['other-tca', rx('317136'), 'info', rx('856783')],
    ['duloxetine', rx('596930'), 'info', rx('313583')],
    ['venlafaxine', rx('313583'), 'info', rx('596930')],
    ['gabapentinoid', rx('483440'), 'info', rx('312941')],
  ] as const)('%s', (kind, positive, indicator, negative) => {
    const found = one(positive);
    expect(found.map((f) => [f.kind, f.indicator])).toEqual([[kind, indicator]]);
    expect(one(negative).map((f) => f.kind)).not.toContain(kind);
  });

  test('recommendation and strength are carried (tapentadol cites tramadol, no strength)', () => {
    expect(one(rx('835603'))[0]).toMatchObject({ recommendation: 'tramadol', strength: 'weak-against' });
    expect(one(rx('825411'))[0]).toMatchObject({ recommendation: 'tramadol', strength: null });
    expect(one(rx('313583'))[0]).toMatchObject({ recommendation: 'duloxetine', strength: null });
  });
});

describe('the sandbox orders', () => {
  test('R4 tramadol 835603: one tramadol finding naming the drug and the order', () => {
    const f = fixture('sandbox-r4-tramadol.json');
    const found = run(readDraftOrders(f.draftOrders, f.selections));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      kind: 'tramadol',
      indicator: 'warning',
      via: 'rxnorm-product',
      order: {
        reference: 'MedicationRequest/request-123',
        drugText: 'tramadol hydrochloride 50 MG Oral Tablet',
        medicationKey: `${RXNORM_SYSTEM}|835603`,
        multipleOrders: false,
        position: 1,
      },
      ingredients: [{ key: 'tramadol', rxnormIngredient: '10689' }],
    });
  });

  test('the empty draft gives nothing', () => {
    const f = fixture('sandbox-r4-nomed.json');
    expect(run(readDraftOrders(f.draftOrders, f.selections))).toEqual([]);
  });

  test('DSTU2 amitriptyline twice a day: daytime warning, evening update as MedicationOrder, RxNorm alternatives', () => {
    const f = fixture('sandbox-dstu2-amitriptyline-bid.json');
    const found = run(readDraftOrders(f.draftOrders, f.selections), { inScope: false });
    expect(found).toHaveLength(1);
    const a = found[0] as AmitriptylineOrderFinding;
    expect(a).toMatchObject({ kind: 'amitriptyline', indicator: 'warning', daytime: true, order: { reference: 'MedicationOrder/order-123' } });
    expect(a.dosage).toMatchObject({ dosesPerDay: 2, reasons: [{ type: 'doses-per-day', dosesPerDay: 2 }] });
    expect(a.eveningUpdate?.resourceId).toBe('MedicationOrder/order-123');
    expect(a.eveningUpdate?.resource).toMatchObject({
      resourceType: 'MedicationOrder',
      id: 'order-123',
      dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnits: 'd', when: 'HS', boundsPeriod: { start: '2026-11-25' } } } }],
    });
    expect(a.alternatives.map((x) => x.medicationCodeableConcept)).toEqual([
      { coding: [{ system: RXNORM_SYSTEM, code: '7531', display: 'nortriptyline' }], text: 'nortriptyline' },
      { coding: [{ system: RXNORM_SYSTEM, code: '5691', display: 'imipramine' }], text: 'imipramine' },
    ]);
    expect(a.alternatives.map((x) => x.nameDa)).toEqual(['nortriptylin', 'imipramin']);
  });
});

describe('amitriptyline daytime cases', () => {
  const daily = (repeat: Record<string, unknown>) => ({ dosageInstruction: [{ timing: { repeat } }] });
  const amitriptyline = (medication: fhir4.CodeableConcept, extra: Record<string, unknown>) =>
    one(medication, extra)[0] as AmitriptylineOrderFinding;

  test('when MORN → warning; ATC order gets ATC alternatives; R4 update keeps R4 shape', () => {
    const a = amitriptyline(atc('N06AA09'), daily({ frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] }));
    expect(a).toMatchObject({ indicator: 'warning', daytime: true });
    expect(a.alternatives.map((x) => x.medicationCodeableConcept.coding?.[0])).toEqual([
      { system: ATC_SYSTEM, code: 'N06AA10', display: 'nortriptyline' },
      { system: ATC_SYSTEM, code: 'N06AA02', display: 'imipramine' },
    ]);
    expect(a.eveningUpdate?.resource).toMatchObject({
      resourceType: 'MedicationRequest',
      dosageInstruction: [{ timing: { repeat: { when: ['HS'], periodUnit: 'd', frequency: 1 } } }],
    });
    expect(a.eveningUpdate?.resourceId).toBe('MedicationRequest/request-123');
  });

  test('timeOfDay 12:00 → warning; free-text order → text-only alternatives', () => {
    const a = amitriptyline({ text: 'Amitriptylin 10 mg' }, daily({ timeOfDay: ['12:00:00'] }));
    expect(a.daytime).toBe(true);
    expect(a.alternatives.map((x) => x.medicationCodeableConcept)).toEqual([{ text: 'nortriptyline' }, { text: 'imipramine' }]);
  });

  test('q8h → warning', () => {
    expect(amitriptyline(rx('856834'), daily({ frequency: 1, period: 8, periodUnit: 'h' })).daytime).toBe(true);
  });

  test('once a day at HS, or twice in the evening/night → info, no update, no alternatives', () => {
    for (const repeat of [
      { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] },
      { frequency: 2, period: 1, periodUnit: 'd', when: ['EVE', 'NIGHT'] },
      { frequency: 1, period: 1, periodUnit: 'd' },
    ]) {
      const a = amitriptyline(rx('856834'), daily(repeat));
      expect(a).toMatchObject({ indicator: 'info', daytime: false, eveningUpdate: null, alternatives: [] });
    }
  });

  test('free-text-only dosage → info', () => {
    const a = amitriptyline(rx('856834'), { dosageInstruction: [{ text: '1 tablet morgen og middag' }] });
    expect(a).toMatchObject({ indicator: 'info', daytime: false, dosage: { structured: false } });
  });
});

describe('combination products, free text, several orders and selections', () => {
  test('Ultracet is tramadol (not an opioid without dual action); oxycodone+naloxone N02AA55 is', () => {
    expect(one(rx('836397')).map((f) => f.kind)).toEqual(['tramadol']);
    const targin = one(atc('N02AA55'));
    expect(targin.map((f) => f.kind)).toEqual(['opioid-without-dual-action']);
    expect(targin[0]!.productIngredients.map((i) => i.key)).toEqual(['oxycodone', 'naloxone']);
    expect(targin[0]!.ingredients.map((i) => i.key)).toEqual(['oxycodone']);
    expect(one(atc('N02AJ13')).map((f) => f.kind)).toEqual(['tramadol']);
  });

  test('Danish free text: "Nobligan 50 mg" is tramadol, "Contalgin" an opioid without dual action', () => {
    expect(one({ text: 'Nobligan 50 mg' })[0]).toMatchObject({ kind: 'tramadol', via: 'text', order: { drugText: 'Nobligan 50 mg', medicationKey: 'text:nobligan 50 mg' } });
    expect(one({ text: 'Contalgin' }).map((f) => f.kind)).toEqual(['opioid-without-dual-action']);
  });

  test('order-select with selections: only the selected order, and it says the draft has several', () => {
    const f = fixture('r4-several-orders.json');
    const found = run(readDraftOrders(f.draftOrders, f.selections));
    expect(found.map((x) => [x.kind, x.order.reference, x.order.multipleOrders, x.order.position])).toEqual([
      ['opioid-without-dual-action', 'MedicationRequest/rx-targin', true, 1],
    ]);
  });

  test('order-sign: every order (contained and Bundle Medications resolved), one finding per (order, kind)', () => {
    const f = fixture('r4-several-orders.json');
    const found = run(readDraftOrders(f.draftOrders));
    expect(found.map((x) => [x.order.reference, x.kind, x.order.position])).toEqual([
      ['MedicationRequest/rx-targin', 'opioid-without-dual-action', 1],
      ['MedicationRequest/rx-ultracet', 'tramadol', 2],
      ['MedicationRequest/rx-nobligan', 'tramadol', 3],
    ]);
  });
});

describe('scope', () => {
  test('patient out of scope and no GSB reason → nothing', () => {
    expect(one(rx('1049621'), {}, { inScope: false })).toEqual([]);
  });

  test('a draft reason in the GSB value set puts the patient in scope (reasonCode, or reasonReference to a known Condition)', () => {
    expect(one(rx('1049621'), { reasonCode: [reason(ICD10, 'M79.7')] }, { inScope: false })).toHaveLength(1);
    const conditions: fhir4.Condition[] = [
      { resourceType: 'Condition', id: 'c1', subject: {}, code: reason(SKS, 'DM797') },
    ];
    expect(one(rx('1049621'), { reasonReference: [{ reference: 'Condition/c1' }] }, { inScope: false, conditions })).toHaveLength(1);
  });

  test('the GSB reason of an unselected draft also puts the patient in scope', () => {
    const drafts = readDraftOrders(
      bundle(order(rx('1049621')), order(rx('596930'), { reasonCode: [reason(ICD10, 'M79.7')] }, 'other')),
      ['MedicationRequest/request-123'],
    );
    expect(run(drafts, { inScope: false }).map((f) => f.kind)).toEqual(['opioid-without-dual-action']);
  });
});

describe('exclusions', () => {
  test('substitution products give no opioid finding; methadone N07BC02 does', () => {
    for (const code of ['N07BC01', 'N07BC51', 'N07BC05', 'N07BC06']) expect(one(atc(code))).toEqual([]);
    expect(one(rx('1010608'))).toEqual([]); // Suboxone
    expect(one(atc('N07BC02')).map((f) => f.kind)).toEqual(['opioid-without-dual-action']);
  });

  test('an opioid order for opioid dependence (F11*, DF11*) gives no finding; tramadol neither', () => {
    expect(one(rx('1049621'), { reasonCode: [reason(ICD10, 'F11.2')] })).toEqual([]);
    expect(one(rx('1049621'), { reasonCode: [reason('urn:oid:1.2.208.176.2.4', 'DF112')] })).toEqual([]);
    expect(one(rx('835603'), { reasonCode: [reason(ICD10, 'F11')] })).toEqual([]);
    expect(one(rx('1049621'), { reasonCode: [reason(ICD10, 'F10.2')] })).toHaveLength(1);
  });

  test('an active opioid-dependence Condition silences opioid findings, a resolved one does not', () => {
    const dep = (status: string): fhir4.Condition => ({
      resourceType: 'Condition',
      subject: {},
      code: reason(SKS, 'DF112'),
      clinicalStatus: { coding: [{ code: status }] },
    });
    expect(one(rx('1049621'), {}, { conditions: [dep('active')] })).toEqual([]);
    expect(one(rx('825411'), {}, { conditions: [dep('relapse')] })).toEqual([]);
    expect(one(rx('1049621'), {}, { conditions: [dep('resolved')] })).toHaveLength(1);
    expect(one(rx('312941'), {}, { conditions: [dep('active')] }).map((f) => f.kind)).toEqual(['ssri']);
  });

  test('an SSRI ordered for depression or anxiety gives no finding; for GSB it does', () => {
    for (const r of [reason(ICD10, 'F32.1'), reason(ICD10, 'F33'), reason(ICD10, 'F41.1'), reason(SKS, 'DF42'), reason('http://hl7.org/fhir/sid/icd-10-cm', 'F34.1')]) {
      expect(one(rx('312941'), { reasonCode: [r] })).toEqual([]);
    }
    expect(one(rx('312941'), { reasonCode: [reason(ICD10, 'M79.7')] }).map((f) => f.kind)).toEqual(['ssri']);
    expect(one(rx('312941'), { reasonCode: [reason(ICD10, 'F43.1')] }).map((f) => f.kind)).toEqual(['ssri']);
    // DSTU2 reasonCodeableConcept counts too.
    expect(one(rx('312941'), { reasonCodeableConcept: reason(ICD10, 'F32.9') })).toEqual([]);
  });

  test('antitussive combinations (R05FA) are out of scope', () => {
    expect(one(atc('R05FA02'))).toEqual([]);
  });

  test('code predicates', () => {
    expect(isOpioidDependence(reason(SKS, 'DF11'))).toBe(true);
    expect(isOpioidDependence(reason('http://snomed.info/sct', 'F11'))).toBe(false);
    expect(isDepressionOrAnxiety(reason(ICD10, 'F40'))).toBe(false);
    expect(isDepressionOrAnxiety(reason(SKS, 'DF341'))).toBe(true);
  });
});

describe('delete suggestion vs tapering', () => {
  const activeOrder = (medication: fhir4.CodeableConcept, id = 'old-1') => ({
    resourceType: 'MedicationRequest',
    id,
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    medicationCodeableConcept: medication,
  });

  test('no active order for the ingredient → delete offered with {resourceType}/{id}', () => {
    const f = one(rx('1049621'), {}, { active: [activeOrder(rx('892672'))] })[0] as OpioidOrderFinding;
    expect(f).toMatchObject({ offerDelete: true, deleteResourceId: 'MedicationRequest/request-123', taperingPlanNeeded: false, activeSameIngredient: [] });
  });

  test('an active order for the same ingredient (other code system) → no delete, tapering plan', () => {
    const f = one(rx('1049621'), {}, { active: [activeOrder({ text: 'OxyContin 10 mg' })] })[0] as OpioidOrderFinding;
    expect(f).toMatchObject({
      offerDelete: false,
      deleteResourceId: null,
      taperingPlanNeeded: true,
      activeSameIngredient: [{ reference: 'MedicationRequest/old-1', drugText: 'OxyContin 10 mg' }],
    });
  });

  test('DSTU2 delete id uses MedicationOrder', () => {
    const drafts = readDraftOrders(bundle({ resourceType: 'MedicationOrder', id: 'order-123', status: 'draft', medicationCodeableConcept: rx('892672') }));
    expect((run(drafts)[0] as OpioidOrderFinding).deleteResourceId).toBe('MedicationOrder/order-123');
  });

  test('the draft itself, if listed as active, does not count', () => {
    const f = one(rx('1049621'), {}, { active: [activeOrder(rx('1049621'), 'request-123')] })[0] as OpioidOrderFinding;
    expect(f.offerDelete).toBe(true);
  });
});

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
  const current = (resources: Record<string, unknown>[], conditions: fhir4.Condition[] = []) =>
    findCurrentMedication({ activeMedications: readActiveMedicationRequests(resources as unknown as fhir4.Resource[]), conditions, settings });

  test('classes in table order; warning with an opioid without dual action; daytime amitriptyline named', () => {
    const f = current([
      active(rx('312941'), 's'),
      active(rx('856834'), 'a', { dosageInstruction: [{ timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd' } } }] }),
      active({ text: 'Contalgin 10 mg' }, 'm'),
      active({ text: 'Panodil' }, 'p'),
    ]);
    expect(f?.indicator).toBe('warning');
    expect(f?.classes.map((c) => [c.kind, c.recommendation, c.strength, c.drugs.map((d) => d.reference)])).toEqual([
      ['opioid-without-dual-action', 'opioid-without-dual-action', 'good-practice-against', ['MedicationRequest/m']],
      ['ssri', 'ssri', 'weak-against', ['MedicationRequest/s']],
      ['amitriptyline', 'amitriptyline', 'weak-for', ['MedicationRequest/a']],
    ]);
    expect(f?.classes[2]?.drugs[0]?.daytime).toBe(true);
  });

  test('info without an opioid without dual action; tramadol alone is info too', () => {
    expect(current([active(rx('596930'), 'd')])?.indicator).toBe('info');
    expect(current([active(rx('835603'), 't')])).toMatchObject({ indicator: 'info', classes: [{ kind: 'tramadol' }] });
  });

  test('null when nothing the guideline speaks about; exclusions apply', () => {
    expect(current([active({ text: 'Panodil' }, 'p')])).toBeNull();
    expect(current([active(rx('1010608'), 'sub')])).toBeNull();
    expect(current([active(rx('312941'), 's', { reasonCode: [reason(ICD10, 'F32.1')] })])).toBeNull();
    expect(current([], [])).toBeNull();
  });
});
