import { readActiveMedicationResources, readDraftOrders as readWith } from '../../src/data/draftOrders.js';
import { findDrugOrderFindings, relevantDrafts, type DrugOrderFinding } from '../../src/guideline/drugOrderFindings.js';
import type { DraftOrder } from '../../src/model/medicationOrder.js';
import { SkippedResources } from '../../src/model/skipped.js';
import { projectPath } from '../../src/projectRoot.js';
import { ATC as ATC_SYSTEM, RXNORM as RXNORM_SYSTEM, medicationTerminology, statuses, daytimeSettings } from '../support/medicationTerminology.js';
import { readJson } from '../support/testApp.js';

const terminology = medicationTerminology();
const settings = daytimeSettings;
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const SKS = 'urn:oid:1.2.208.176.2.4.12';
// Stand-in for the scope module's value-set test (the real one is passed in by the service).
const isGsbReason = (c: fhir4.CodeableConcept) =>
  (c.coding ?? []).some((x) => x.code === '203082005' || x.code === 'M79.7' || x.code === 'DM797');

interface OrderFixture {
  selections?: string[];
  draftOrders: unknown;
}
const fixture = (name: string): OrderFixture => readJson<OrderFixture>(projectPath('fixtures', 'orders', name));
const readDraftOrders = (d: unknown, selections?: string[]) => readWith(d, selections, new SkippedResources(), statuses);

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
  opts: { active?: Record<string, unknown>[]; ended?: Record<string, unknown>[]; activeUnknown?: boolean; withheld?: boolean; conditions?: fhir4.Condition[]; inScope?: boolean } = {},
): DrugOrderFinding[] {
  return findDrugOrderFindings({
    drafts,
    relevant: relevantDrafts(drafts, terminology),
    activeMedications: readActiveMedicationResources(opts.active ?? [], new SkippedResources(), statuses),
    // Orders still listed as active whose end has passed within the window (the service sorts them out by date).
    ...(opts.ended ? { recentlyEnded: { orders: readActiveMedicationResources(opts.ended, new SkippedResources(), statuses), days: 14 } } : {}),
    activeOrdersKnown: opts.activeUnknown !== true,
    ...(opts.withheld ? { recordsWithheld: true } : {}),
    conditions: opts.conditions ?? [],
    patientInScope: opts.inScope ?? true,
    isGsbReason,
    settings,
    terminology,
  });
}
const one = (medication: fhir4.CodeableConcept | undefined, extra: Record<string, unknown> = {}, opts = {}) =>
  run(readDraftOrders(bundle(order(medication, extra))), opts);

describe('relevantDrafts (the early exit: no patient data when empty)', () => {
  test('selected drafts being made, of a kind the guideline speaks about', () => {
    const drafts = readDraftOrders(
      bundle(
        order(rx('1049621'), {}, 'a'),
        order(rx('835603'), {}, 'b'),
        order({ text: 'Panodil 500 mg' }, {}, 'c'),
        order(undefined, {}, 'd'),
        order(rx('835603'), { status: 'entered-in-error' }, 'e'),
      ),
      ['MedicationRequest/a', 'MedicationRequest/c', 'MedicationRequest/d', 'MedicationRequest/e'],
    );
    expect(relevantDrafts(drafts, terminology).map((r) => [r.draft.id, r.classification.kinds])).toEqual([['a', ['opioid-without-dual-action']]]);
  });
  test.each(['entered-in-error', 'cancelled', 'completed', 'stopped'])('a draft with status %s is not an order being made', (status) => {
    expect(relevantDrafts(readDraftOrders(bundle(order(rx('1049621'), { status }))), terminology)).toEqual([]);
    expect(one(rx('1049621'), { status })).toEqual([]);
  });
});

describe('§4 rows: one positive and one negative each', () => {
  test.each([
    ['opioid-without-dual-action', rx('1049621'), 'warning', rx('835603')],
    ['tramadol', rx('835603'), 'warning', rx('1049621')],
    ['tapentadol', rx('825411'), 'warning', rx('835603')],
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

  test('recommendation and strength with its direction come from the drug-kind table (tapentadol cites tramadol, no strength)', () => {
    expect(one(rx('835603'))[0]!.entry).toMatchObject({ recommendation: 'tramadol', strength: 'weak', direction: 'against' });
    expect(one(rx('825411'))[0]!.entry).toMatchObject({ recommendation: 'tramadol', strength: 'none', direction: 'none' });
    expect(one(rx('313583'))[0]!.entry).toMatchObject({ recommendation: 'duloxetine', strength: 'none' });
    expect(one(rx('1049621'))[0]!.entry).toMatchObject({ strength: 'good-practice', direction: 'against' });
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
        medicationCodes: [`${RXNORM_SYSTEM}|835603`],
        multipleOrders: false,
        position: 1,
      },
      ingredients: [{ key: 'tramadol' }],
    });
  });

  test('the empty draft gives nothing', () => {
    const f = fixture('sandbox-r4-nomed.json');
    expect(run(readDraftOrders(f.draftOrders, f.selections))).toEqual([]);
  });

  test('DSTU2 amitriptyline twice a day: daytime warning with the dose count (the update is built by render/)', () => {
    const f = fixture('sandbox-dstu2-amitriptyline-bid.json');
    const found = run(readDraftOrders(f.draftOrders, f.selections), { inScope: false });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'amitriptyline', indicator: 'warning', order: { reference: 'MedicationOrder/order-123' } });
    expect(found[0]!.daytime).toMatchObject({ daytime: true, dosesPerDay: 2, reasons: [{ type: 'doses-per-day', dosesPerDay: 2 }] });
  });
});

describe('amitriptyline daytime cases', () => {
  const daily = (repeat: Record<string, unknown>) => ({ dosageInstruction: [{ timing: { repeat } }] });
  const amitriptyline = (medication: fhir4.CodeableConcept, extra: Record<string, unknown>) =>
    one(medication, extra)[0] as DrugOrderFinding;

  test('when MORN or timeOfDay 12:00 → warning', () => {
    expect(amitriptyline(atc('N06AA09'), daily({ frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] }))).toMatchObject({ indicator: 'warning', daytime: { daytime: true } });
    expect(amitriptyline({ text: 'Amitriptylin 10 mg' }, daily({ timeOfDay: ['12:00:00'] })).daytime?.daytime).toBe(true);
  });

  test('q8h → warning', () => {
    expect(amitriptyline(rx('856834'), daily({ frequency: 1, period: 8, periodUnit: 'h' })).daytime?.daytime).toBe(true);
  });

  test('once a day at HS, or twice in the evening/night → info', () => {
    for (const repeat of [
      { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] },
      { frequency: 2, period: 1, periodUnit: 'd', when: ['EVE', 'NIGHT'] },
      { frequency: 1, period: 1, periodUnit: 'd' },
    ]) {
      const a = amitriptyline(rx('856834'), daily(repeat));
      expect(a).toMatchObject({ indicator: 'info', daytime: { daytime: false } });
    }
  });

  test('free-text-only dosage → info', () => {
    const a = amitriptyline(rx('856834'), { dosageInstruction: [{ text: '1 tablet morgen og middag' }] });
    expect(a).toMatchObject({ indicator: 'info', daytime: { daytime: false, structured: false } });
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
    expect(one({ text: 'Nobligan 50 mg' })[0]).toMatchObject({ kind: 'tramadol', via: 'text', order: { drugText: 'Nobligan 50 mg', medicationCodes: ['text:nobligan 50 mg'] } });
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

  test('opioid dependence: methadone for it is left alone; any other opioid keeps its card and is marked (rev 2)', () => {
    const f11 = { reasonCode: [reason(ICD10, 'F11.2')] };
    expect(one(atc('N07BC02', 'Metadon 10 mg'), f11)).toEqual([]);
    expect(one(atc('N07BC02', 'Metadon 10 mg'), { reasonCode: [reason('http://snomed.info/sct', '75544000')] })).toEqual([]);
    expect(one(atc('N07BC02', 'Metadon 10 mg'))).toMatchObject([{ kind: 'opioid-without-dual-action', opioidDependence: false }]);
    expect(one(rx('1049621'), f11)).toMatchObject([{ kind: 'opioid-without-dual-action', opioidDependence: true }]);
    expect(one(rx('1049621'), { reasonCode: [reason('urn:oid:1.2.208.176.2.4', 'DF112')] })).toMatchObject([{ opioidDependence: true }]);
    expect(one(rx('835603'), f11)).toMatchObject([{ kind: 'tramadol', opioidDependence: true }]);
    expect(one(rx('1049621'), { reasonCode: [reason(ICD10, 'F10.2')] })).toMatchObject([{ opioidDependence: false }]);
  });

  test('an active opioid-dependence Condition (SKS, SNOMED, ICD-11) exempts methadone only; a resolved one nothing', () => {
    const dep = (status: string, code = reason(SKS, 'DF112')): fhir4.Condition => ({
      resourceType: 'Condition',
      subject: {},
      code,
      clinicalStatus: { coding: [{ code: status }] },
    });
    const metadon = atc('N07BC02', 'Metadon');
    expect(one(metadon, {}, { conditions: [dep('active')] })).toEqual([]);
    expect(one(metadon, {}, { conditions: [dep('active', reason('http://snomed.info/sct', '75544000'))] })).toEqual([]);
    expect(one(metadon, {}, { conditions: [dep('active', reason('http://id.who.int/icd/release/11/mms', '6C43.2'))] })).toEqual([]);
    expect(one(metadon, {}, { conditions: [dep('resolved')] })).toHaveLength(1);
    expect(one(rx('1049621'), {}, { conditions: [dep('active')] })).toMatchObject([{ opioidDependence: true }]);
    expect(one(rx('825411'), {}, { conditions: [dep('relapse')] })).toMatchObject([{ kind: 'tapentadol', opioidDependence: true }]);
    expect(one(rx('312941'), {}, { conditions: [dep('active')] })).toMatchObject([{ kind: 'ssri', opioidDependence: false }]);
  });

  test('ICPC-2 P19 counts only when ICPC-2 is read', () => {
    const p19: fhir4.Condition = { resourceType: 'Condition', subject: {}, code: reason('http://hl7.org/fhir/sid/icpc-2', 'P19') };
    const metadon = readDraftOrders(bundle(order(atc('N07BC02', 'Metadon'))));
    const withIcpc = (t: typeof terminology) =>
      findDrugOrderFindings({ drafts: metadon, relevant: relevantDrafts(metadon, t), activeMedications: [], activeOrdersKnown: true, conditions: [p19], patientInScope: true, isGsbReason, settings, terminology: t });
    expect(withIcpc(terminology)).toHaveLength(1);
    expect(withIcpc(medicationTerminology(true))).toEqual([]);
  });

  test('an SSRI ordered for depression or anxiety gives no finding; for GSB it does', () => {
    for (const r of [reason(ICD10, 'F32.1'), reason(ICD10, 'F33'), reason(ICD10, 'F40.1'), reason(ICD10, 'F41.1'), reason(SKS, 'DF42'), reason(SKS, 'DF341'), reason('http://hl7.org/fhir/sid/icd-10-cm', 'F34.1'), reason(ICD10, 'F321'), reason('http://snomed.info/sct', '35489007'), { text: 'mod depression' }, { text: 'Angst' }]) {
      expect(one(rx('312941'), { reasonCode: [r] })).toEqual([]);
    }
    expect(one(rx('312941'), { reasonCode: [reason(ICD10, 'M79.7')] }).map((f) => f.kind)).toEqual(['ssri']);
    expect(one(rx('312941'), { reasonCode: [reason(ICD10, 'F43.1')] })).toEqual([]);
    expect(one(rx('312941'), { reasonCode: [reason(ICD10, 'F43.2')] }).map((f) => f.kind)).toEqual(['ssri']);
    // DSTU2 reasonCodeableConcept counts too.
    expect(one(rx('312941'), { reasonCodeableConcept: reason(ICD10, 'F32.9') })).toEqual([]);
  });

  test('antitussive combinations (R05FA) are out of scope', () => {
    expect(one(atc('R05FA02'))).toEqual([]);
  });

});

describe('delete suggestion vs tapering', () => {
  const activeOrder = (medication: fhir4.CodeableConcept, id = 'old-1', dosageInstruction?: fhir4.Dosage[], resourceType = 'MedicationRequest') => ({
    resourceType,
    id,
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    medicationCodeableConcept: medication,
    ...(dosageInstruction ? { [resourceType === 'MedicationStatement' ? 'dosage' : 'dosageInstruction']: dosageInstruction } : {}),
  });

  test('no active order for the ingredient → delete offered with {resourceType}/{id}', () => {
    const f = one(rx('1049621'), {}, { active: [activeOrder(rx('892672'), 'old-1', [{ asNeededBoolean: true }])] })[0]!;
    expect(f.opioid).toEqual({ offerDelete: true, sameIngredient: [], otherOpioids: [], activeOrdersUnknown: false, recordsWithheld: false, alreadyActive: false, draftAsNeeded: false, recentlyEnded: [], recentlyEndedDays: 0, groupMayBeDualAction: null });
  });

  test('active orders that could not be read → no delete (an opioid already taken cannot be ruled out), and the finding says why', () => {
    const drafts = readDraftOrders(bundle(order(rx('1049621', 'oxycodone 5 mg'))));
    expect(run(drafts, { activeUnknown: true })[0]!.opioid).toEqual({ offerDelete: false, sameIngredient: [], otherOpioids: [], activeOrdersUnknown: true, recordsWithheld: false, alreadyActive: false, draftAsNeeded: false, recentlyEnded: [], recentlyEndedDays: 0, groupMayBeDualAction: null });
    expect(run(drafts)[0]!.opioid).toMatchObject({ offerDelete: true, activeOrdersUnknown: false });
    // Orders, statements or Conditions withheld by consent or access rules (§7): no delete either, and the finding says why.
    expect(run(drafts, { withheld: true })[0]!.opioid).toMatchObject({ offerDelete: false, activeOrdersUnknown: false, recordsWithheld: true });
  });

  test('an active order for the same ingredient (other code system) → no delete, tapering plan', () => {
    const f = one(rx('1049621'), {}, { active: [activeOrder({ text: 'OxyContin 10 mg' })] })[0]!;
    expect(f.opioid).toEqual({
      offerDelete: false,
      sameIngredient: [{ reference: 'MedicationRequest/old-1', drugText: 'OxyContin 10 mg', namedByCode: false, ingredients: [{ key: 'oxycodone', nameEn: 'oxycodone', nameDa: 'oxycodon' }] }],
      otherOpioids: [],
      activeOrdersUnknown: false,
      recordsWithheld: false,
      alreadyActive: false,
      draftAsNeeded: false,
      recentlyEnded: [],
      recentlyEndedDays: 0,
      groupMayBeDualAction: null,
    });
  });

  test('a draft without an id, or with one FHIR does not allow, is not offered for delete: there is no {resourceType}/{id} to remove (docs/clinical-rules.md §4.1)', () => {
    const { id: _, ...withoutId } = order(rx('1049621'));
    for (const draft of [withoutId, order(rx('1049621'), {}, 'not a valid id!')]) {
      const f = run(readDraftOrders(bundle(draft)))[0]!;
      expect(f.order.reference).toBeNull();
      expect(f.opioid).toMatchObject({ offerDelete: false, sameIngredient: [], otherOpioids: [], recentlyEnded: [], alreadyActive: false, activeOrdersUnknown: false });
    }
    expect(one(rx('1049621'))[0]!.opioid?.offerDelete).toBe(true);
  });

  test('DSTU2 delete id uses MedicationOrder', () => {
    const drafts = readDraftOrders(bundle({ resourceType: 'MedicationOrder', id: 'order-123', status: 'draft', medicationCodeableConcept: rx('892672') }));
    expect(run(drafts)[0]).toMatchObject({ order: { reference: 'MedicationOrder/order-123' }, opioid: { offerDelete: true } });
  });

  test('an active order with the draft\'s own id (a revised order re-signed, or the draft listed as active): no delete, said so; not named as another order', () => {
    const f = one(rx('1049621'), {}, { active: [activeOrder(rx('1049621'), 'request-123')] })[0]!;
    expect(f.opioid).toMatchObject({ offerDelete: false, alreadyActive: true, sameIngredient: [], otherOpioids: [] });
    const other = one(rx('1049621'), {}, { active: [activeOrder(rx('892672'), 'old-9', [{ asNeededBoolean: true }])] })[0]!;
    expect(other.opioid).toMatchObject({ offerDelete: true, alreadyActive: false });
  });

  test('another opioid taken regularly or with unknown dosing (order or statement, tramadol too) → no delete: a switch or added opioid (rev 2)', () => {
    const regular: fhir4.Dosage[] = [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }];
    for (const active of [
      activeOrder({ text: 'Contalgin 30 mg' }, 'm', regular),
      activeOrder({ text: 'Contalgin 30 mg' }, 'm'),
      activeOrder({ text: 'Contalgin 30 mg' }, 'm', regular, 'MedicationStatement'),
      activeOrder(rx('835603', 'Nobligan 50 mg'), 'm', regular),
    ]) {
      const f = one(rx('1049621', 'OxyContin 10 mg'), {}, { active: [active] })[0]!;
      expect(f.opioid).toMatchObject({ offerDelete: false, sameIngredient: [], otherOpioids: [{ reference: `${active.resourceType}/m` }] });
    }
  });

  test('an active substitution product or antitussive combination is another opioid, also when its code names no ingredient (docs/clinical-rules.md §4.1): no delete', () => {
    for (const active of [
      activeOrder(atc('N07BC06', 'Diacetylmorfin (heroinbehandling)'), 'm'),
      activeOrder(atc('R05FA02', 'Hostesaft med opiumderivat'), 'm'),
      activeOrder({ text: 'Subutex 8 mg' }, 'm'),
    ]) {
      const f = one(rx('1049621', 'OxyContin 10 mg'), {}, { active: [active] })[0]!;
      expect(f.opioid).toMatchObject({ offerDelete: false, sameIngredient: [], otherOpioids: [{ reference: 'MedicationRequest/m' }] });
    }
  });

  test('an ended order that is the draft itself, renewed in place (the same id), withholds the delete even as needed and of another ingredient; under another id it does not (docs/clinical-rules.md §4.1)', () => {
    const endedPn = (id: string) => activeOrder({ text: 'Contalgin 10 mg' }, id, [{ asNeededBoolean: true }]);
    const renewed = one(rx('1049621', 'OxyContin 10 mg'), {}, { ended: [endedPn('request-123')] })[0]!;
    expect(renewed.opioid).toMatchObject({ offerDelete: false, recentlyEnded: [{ reference: 'MedicationRequest/request-123', drugText: 'Contalgin 10 mg' }], recentlyEndedDays: 14, alreadyActive: false });
    const another = one(rx('1049621', 'OxyContin 10 mg'), {}, { ended: [endedPn('old-1')] })[0]!;
    expect(another.opioid).toMatchObject({ offerDelete: true, recentlyEnded: [] });
  });

  test('a PN-only other opioid, or one being stopped in the same draft, leaves the delete (rev 2)', () => {
    const pn = one(rx('1049621'), {}, { active: [activeOrder({ text: 'Contalgin 10 mg' }, 'm', [{ asNeededBoolean: true }])] })[0]!;
    expect(pn.opioid?.offerDelete).toBe(true);
    const drafts = readDraftOrders(bundle(order(rx('1049621', 'OxyContin 10 mg')), order({ text: 'Contalgin 30 mg' }, { status: 'stopped' }, 'm')));
    const switched = run(drafts, { active: [activeOrder({ text: 'Contalgin 30 mg' }, 'm')] });
    expect(switched.map((f) => [f.order.reference, f.opioid?.offerDelete])).toEqual([['MedicationRequest/request-123', true]]);
  });
});

