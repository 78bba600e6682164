import { projectPath } from '../../src/projectRoot.js';
import { readActiveMedicationResources, readDraftOrders as readWith, withMedications } from '../../src/data/draftOrders.js';
import { hasMedication } from '../../src/model/medicationOrder.js';
import { SkippedResources } from '../../src/model/skipped.js';
import { statuses } from '../support/medicationTerminology.js';
import { readJson } from '../support/testApp.js';

const readDraftOrders = (d: unknown, selections?: unknown[]) => readWith(d, selections, new SkippedResources(), statuses);

interface OrderFixture {
  selections?: string[];
  draftOrders: unknown;
}
/** The one draft of a Bundle holding a single draft MedicationRequest `x` with these fields. */
const oneDraft = (fields: Record<string, unknown>) =>
  readDraftOrders({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'MedicationRequest', id: 'x', status: 'draft', ...fields } }] })[0]!;
const fixture = (name: string): OrderFixture => readJson<OrderFixture>(projectPath('fixtures', 'orders', name));

describe('readDraftOrders', () => {
  test('sandbox R4 draft: category object wrapped, doseAndRate kept as array, selected', () => {
    const f = fixture('sandbox-r4-tramadol.json');
    const [d, ...rest] = readDraftOrders(f.draftOrders, f.selections);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      resourceType: 'MedicationRequest',
      id: 'request-123',
      reference: 'MedicationRequest/request-123',
      selected: true,
      drugText: 'tramadol hydrochloride 50 MG Oral Tablet',
    });
    expect(d!.asR4()).toMatchObject({ category: [{ coding: [{ code: 'community' }] }] });
    expect(d!.dosageInstruction[0]?.doseAndRate?.[0]?.doseQuantity?.value).toBe(1);
    expect(d!.medication?.coding?.[0]?.code).toBe('835603');
  });

  test('sandbox empty draft has no medication', () => {
    const f = fixture('sandbox-r4-nomed.json');
    const drafts = readDraftOrders(f.draftOrders, f.selections);
    expect(drafts).toHaveLength(1);
    expect(hasMedication(drafts[0]!)).toBe(false);
    expect(drafts[0]!.drugText).toBeNull();
  });

  test('DSTU2 MedicationOrder → R4 shape, original resourceType kept for the reference', () => {
    const f = fixture('sandbox-dstu2-amitriptyline-bid.json');
    const [d] = readDraftOrders(f.draftOrders, f.selections);
    expect(d).toMatchObject({ resourceType: 'MedicationOrder', reference: 'MedicationOrder/order-123', selected: true });
    expect(d!.asR4()).toMatchObject({
      resourceType: 'MedicationRequest',
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/smart-1288992' },
      authoredOn: '2026-11-25',
    });
    expect(d!.asR4()).not.toHaveProperty('patient');
    expect(d!.asR4()).toMatchObject({ reasonCode: [{ coding: [{ code: '203082005' }] }] });
    expect(d!.reasons[0]?.coding?.[0]?.code).toBe('203082005');
    const dosage = d!.dosageInstruction[0];
    expect(dosage?.timing?.repeat).toMatchObject({ frequency: 2, period: 1, periodUnit: 'd' });
    expect(dosage?.timing?.repeat).not.toHaveProperty('periodUnits');
    expect(dosage?.doseAndRate?.[0]?.doseQuantity?.value).toBe(1);
    // Both spellings in one timing (a mixed-version EHR): the R4 periodUnit and durationUnit stand, the DSTU2 ones go.
    const mixed = oneDraft({ dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', periodUnits: 'wk', duration: 2, durationUnit: 'h', durationUnits: 'min' } } }] });
    expect(mixed.dosageInstruction[0]?.timing?.repeat).toEqual({ frequency: 1, period: 1, periodUnit: 'd', duration: 2, durationUnit: 'h' });
    expect(d!.asSent().resourceType).toBe('MedicationOrder');
    // Made once: a card's update and its check read the same copy.
    expect(d!.asR4()).toBe(d!.asR4());
    expect(d!.asSent()).toBe(d!.asSent());
  });

  test('fhirVersion: DSTU2 for a MedicationOrder; STU3 for dose[x] on the instruction (no doseAndRate anywhere) or a requester {agent}; else R4 (the sandbox\'s R4 drafts too)', () => {
    expect(readDraftOrders(fixture('sandbox-dstu2-amitriptyline-bid.json').draftOrders)[0]!.fhirVersion).toBe('DSTU2');
    expect(readDraftOrders(fixture('sandbox-r4-tramadol.json').draftOrders)[0]!.fhirVersion).toBe('R4');
    expect(oneDraft({ dosageInstruction: [{ doseQuantity: { value: 1 } }] }).fhirVersion).toBe('STU3');
    expect(oneDraft({ dosageInstruction: { doseRange: { low: { value: 1 } } } }).fhirVersion).toBe('STU3');
    expect(oneDraft({ requester: { agent: { reference: 'Practitioner/1' } } }).fhirVersion).toBe('STU3');
    expect(oneDraft({ dosageInstruction: [{ doseAndRate: [{ doseQuantity: { value: 1 } }] }] }).fhirVersion).toBe('R4');
    expect(oneDraft({ dosageInstruction: [{ doseQuantity: { value: 1 } }, { doseAndRate: { doseQuantity: { value: 1 } } }] }).fhirVersion).toBe('R4');
    expect(oneDraft({ requester: { reference: 'Practitioner/1' }, dosageInstruction: [{ timing: { repeat: { when: ['HS'] } } }] }).fhirVersion).toBe('R4');
  });

  test('dosages: R4 read as sent; every lenient shape mended into a copy, the request itself never changed', () => {
    const r4 = { text: '1 x 3', timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd', when: ['MORN'] } }, doseAndRate: [{ doseQuantity: { value: 1 } }] };
    const odd = [
      { timing: { repeat: { frequency: 2, period: 1, periodUnits: 'd' } } },
      { timing: { repeat: { when: 'HS' } } },
      { timing: { repeat: { timeOfDay: ['08:00', 8] } } },
      { timing: { code: 'BID' } },
      { timing: 'twice a day' },
      { doseQuantity: { value: 2 } },
      { doseAndRate: { doseQuantity: { value: 1 } } },
      { doseAndRate: [] },
      { asNeededBoolean: 'yes' },
      { sequence: '1' },
    ];
    const order = (dosageInstruction: unknown[]) => ({ resourceType: 'MedicationRequest', id: 'r1', status: 'draft', medicationCodeableConcept: { text: 'x' }, dosageInstruction });
    const sent = order([r4, ...odd]);
    const before = JSON.stringify(sent);
    const [d] = readDraftOrders(sent);
    expect(JSON.stringify(sent)).toBe(before);
    const [first, ...rest] = d!.dosageInstruction;
    expect(first).toEqual(r4);
    expect(rest.map((x) => JSON.stringify(x))).toEqual([
      '{"timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}}}',
      '{"timing":{"repeat":{"when":["HS"]}}}',
      '{"timing":{"repeat":{"timeOfDay":["08:00"]}}}',
      '{"timing":{}}',
      '{}',
      '{"doseAndRate":[{"doseQuantity":{"value":2}}]}',
      '{"doseAndRate":[{"doseQuantity":{"value":1}}]}',
      '{}',
      '{}',
      '{}',
    ]);
  });

  test('several orders: ServiceRequest ignored, references resolved from contained and the Bundle, selections', () => {
    const f = fixture('r4-several-orders.json');
    const drafts = readDraftOrders(f.draftOrders, f.selections);
    expect(drafts.map((d) => [d.id, d.selected])).toEqual([
      ['rx-targin', true],
      ['rx-ultracet', false],
      ['rx-nobligan', false],
      ['rx-empty', false],
    ]);
    expect(drafts[0]!.reasons[0]?.coding?.[0]?.code).toBe('M79.7');
    expect(drafts[1]!.medication?.coding?.[0]?.code).toBe('836397');
    expect(drafts[2]!.medication?.text).toBe('Nobligan 50 mg kapsler');
    expect(drafts[2]!.drugText).toBe('Nobligan 50 mg kapsler');
    expect(readDraftOrders(f.draftOrders).every((d) => d.selected)).toBe(true);
    expect(readDraftOrders(f.draftOrders, []).some((d) => d.selected)).toBe(false);
  });

  test('selections read leniently: a bare id or a type in another case selects the order; another resource type does not', () => {
    const f = fixture('r4-several-orders.json');
    const selected = (selections: string[]) => readDraftOrders(f.draftOrders, selections).filter((d) => d.selected).map((d) => d.id);
    expect(selected(['MedicationRequest/rx-targin'])).toEqual(['rx-targin']);
    expect(selected(['rx-targin'])).toEqual(['rx-targin']);
    expect(selected(['medicationrequest/rx-targin'])).toEqual(['rx-targin']);
    expect(selected([' MedicationRequest/rx-targin/_history/2 '])).toEqual(['rx-targin']);
    expect(selected(['ServiceRequest/rx-targin', 'rx-unknown', '/', ''])).toEqual([]);
  });

  test('a contained Medication is found by "#id" whether its id was written with the "#" or without', () => {
    const draft = (containedId: string) =>
      oneDraft({
        contained: [{ resourceType: 'Medication', id: containedId, code: { coding: [{ system: 'http://www.whocc.no/atc', code: 'N02AA05' }] } }],
        medicationReference: { reference: '#med1' },
      });
    for (const id of ['med1', '#med1']) {
      expect(draft(id).medication?.coding?.[0]?.code).toBe('N02AA05');
      expect(draft(id).unresolvedMedicationReference).toBeNull();
    }
    expect(draft('med2').unresolvedMedicationReference).toBe('#med1');
  });

  test('of a contained resource listed under both ids ("med1" and "#med1"), the first is taken', () => {
    const atc = (code: string) => ({ resourceType: 'Medication', code: { coding: [{ system: 'http://www.whocc.no/atc', code }] } });
    // A few contained resources are searched, many are looked up by a map: both ways.
    for (const others of [0, 20]) {
      const padding = Array.from({ length: others }, (_, i) => ({ ...atc('A01AA01'), id: `other${i}` }));
      const first = (ids: [string, string]) =>
        oneDraft({ contained: [...padding, { ...atc('N02AA05'), id: ids[0] }, { ...atc('N02AX02'), id: ids[1] }], medicationReference: { reference: '#med1' } }).medication?.coding?.[0]?.code;
      expect(first(['med1', '#med1'])).toBe('N02AA05');
      expect(first(['#med1', 'med1'])).toBe('N02AA05');
    }
  });

  test('contained reasons are found by id once per order, not searched for each reference: an order may list thousands', () => {
    // The number of times a contained resource's id is read counts the comparisons (not timed): a search of the
    // contained list per `#` reference read ~n²/2 ids (1,000 reasons: ~1 million; 10,000: 1.7 s in service.call).
    const n = 1000;
    let idReads = 0;
    const contained = Array.from({ length: n }, (_, i) => {
      const c: Record<string, unknown> = { resourceType: 'Condition', code: { text: `smerter ${i}` } };
      Object.defineProperty(c, 'id', { enumerable: true, get: () => (idReads++, `c${i}`) });
      return c;
    });
    const reasonReference = Array.from({ length: n }, (_, i) => ({ reference: `#c${n - 1 - i}` }));
    const d = oneDraft({ medicationCodeableConcept: { text: 'duloxetin' }, contained, reasonReference });
    expect(d.reasons).toHaveLength(n);
    expect(d.reasons[0]?.text).toBe(`smerter ${n - 1}`);
    expect(d.unresolvedReasonReferences).toEqual([]);
    expect(idReads).toBeLessThan(5 * n);
  });

  test('lenient input: reasonCode object, doseAndRate object, unresolved references reported', () => {
    const d = oneDraft({
      reasonCode: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] },
      reasonReference: [{ reference: 'Condition/elsewhere' }],
      medicationReference: { reference: 'Medication/on-server' },
      dosageInstruction: [{ doseAndRate: { doseQuantity: { value: 2 } }, timing: { repeat: { when: 'HS' } } }],
    });
    expect(d.reasons).toHaveLength(1);
    expect(d.unresolvedReasonReferences).toEqual([{ reference: 'Condition/elsewhere', display: null }]);
    expect(d.unresolvedMedicationReference).toBe('Medication/on-server');
    expect(hasMedication(d)).toBe(true);
    expect(d.dosageInstruction[0]?.doseAndRate).toEqual([{ doseQuantity: { value: 2 } }]);
    expect(d.dosageInstruction[0]?.timing?.repeat?.when).toEqual(['HS']);
  });

  test('a medicationReference is resolved from Medications read later (e.g. from the server), without reading the draft again', () => {
    const drafts = readDraftOrders([{ resourceType: 'MedicationRequest', id: 'x', medicationReference: { reference: 'http://fhir.example/Medication/m1' } }]);
    expect(drafts[0]!.unresolvedMedicationReference).toBe('http://fhir.example/Medication/m1');
    const [d] = withMedications(drafts, new Map([['http://fhir.example/Medication/m1', { resourceType: 'Medication', id: 'm1', code: { text: 'Lyrica 75 mg' } }]]));
    expect(d!.medication?.text).toBe('Lyrica 75 mg');
    expect(d!.unresolvedMedicationReference).toBeNull();
    expect(d!.selected).toBe(true);
    // A Medication found but naming nothing readable (no code, no ingredients) leaves the reference unresolved: the drug stays unknown, not absent.
    const [blank] = withMedications(drafts, new Map([['http://fhir.example/Medication/m1', { resourceType: 'Medication', id: 'm1', status: 'active' }]]));
    expect(blank).toBe(drafts[0]);
  });

  test('a reference that cannot be resolved keeps its display as the medication (classified by it)', () => {
    const [d] = readDraftOrders([{ resourceType: 'MedicationRequest', id: 'x', medicationReference: { reference: 'Medication/gone', display: 'Oxycodone 5 mg' } }]);
    expect(d!.medication).toEqual({ text: 'Oxycodone 5 mg' });
    expect(d!.unresolvedMedicationReference).toBe('Medication/gone');
    expect(d!.drugText).toBe('Oxycodone 5 mg');
  });

  test('a Medication whose ingredients are coded (itemCodeableConcept) is named by them, not by the display of the reference to it; one whose ingredients are named only by reference displays is named by that display first', () => {
    const draft = (ingredient: unknown[]) =>
      oneDraft({ contained: [{ resourceType: 'Medication', id: 'm', ingredient }], medicationReference: { reference: '#m', display: 'Smertestillende depottablet' } });
    const coded = draft([{ itemCodeableConcept: { text: 'oxycodon' } }, { itemCodeableConcept: { text: 'naloxon' } }]);
    expect(coded.medication).toBeNull();
    expect(coded.medicationIngredients).toEqual([{ text: 'oxycodon' }, { text: 'naloxon' }]);
    expect(coded.drugText).toBe('oxycodon / naloxon');
    const byDisplays = draft([{ itemReference: { display: 'oxycodon' } }, { itemReference: { display: 'naloxon' } }]);
    expect(byDisplays.medication).toEqual({ text: 'Smertestillende depottablet' });
    expect(byDisplays.medicationIngredients).toEqual([{ text: 'oxycodon' }, { text: 'naloxon' }]);
    expect(byDisplays.drugText).toBe('Smertestillende depottablet');
  });

  test('the status is kept, lower case (a stopped draft gets no card downstream)', () => {
    const [d] = readDraftOrders([{ resourceType: 'MedicationRequest', id: 'x', status: 'Entered-In-Error', medicationCodeableConcept: { text: 'OxyContin' } }]);
    expect(d!.status).toBe('entered-in-error');
  });

  test('a resource that cannot be read is skipped and named, the others are read', () => {
    const skipped = new SkippedResources();
    const hostile = { resourceType: 'MedicationRequest', id: 'bad' };
    Object.defineProperty(hostile, 'status', { enumerable: true, get: () => { throw new Error('boom'); } });
    const drafts = readWith([hostile, { resourceType: 'MedicationRequest', id: 'ok', medicationCodeableConcept: { text: 'OxyContin' } }], undefined, skipped, statuses);
    expect(drafts.map((d) => d.id)).toEqual(['ok']);
    expect(skipped.items).toEqual([{ resourceType: 'MedicationRequest', id: 'bad', reader: 'medication-order' }]);
  });

  test('garbage gives no orders', () => {
    expect(readDraftOrders(null)).toEqual([]);
    expect(readDraftOrders('x')).toEqual([]);
    expect(readDraftOrders({ resourceType: 'Bundle', entry: [null, 1, { resource: 'x' }] })).toEqual([]);
  });
});

describe('readActiveMedicationResources', () => {
  test('only active orders and statements with a medication; Bundles flattened; DSTU2 too', () => {
    const active = readActiveMedicationResources([
      { resourceType: 'MedicationRequest', id: 'a', status: 'active', intent: 'order', subject: {}, medicationCodeableConcept: { text: 'OxyContin' } },
      { resourceType: 'MedicationRequest', id: 'b', status: 'stopped', intent: 'order', subject: {}, medicationCodeableConcept: { text: 'OxyContin' } },
      { resourceType: 'MedicationRequest', id: 'c', status: 'active', intent: 'order', subject: {} },
      {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: [{ resource: { resourceType: 'MedicationOrder', id: 'd', status: 'active', medicationCodeableConcept: { text: 'Contalgin' } } }],
      },
      { resourceType: 'MedicationStatement', id: 's', status: 'active', medicationCodeableConcept: { text: 'Contalgin' }, dosage: [{ asNeededBoolean: true }] },
      { resourceType: 'MedicationStatement', id: 't', status: 'completed', medicationCodeableConcept: { text: 'Contalgin' } },
    ], new SkippedResources(), statuses);
    expect(active.map((a) => a.reference)).toEqual(['MedicationRequest/a', 'MedicationOrder/d', 'MedicationStatement/s']);
    expect(active[2]!.dosageInstruction).toEqual([{ asNeededBoolean: true }]);
  });
  test('a statement started at its effectivePeriod.start, else its effectiveDateTime, else dateAsserted (the start a course length counts from)', () => {
    const statement = (id: string, fields: Record<string, unknown>) => ({ resourceType: 'MedicationStatement', id, status: 'active', medicationCodeableConcept: { text: 'Contalgin' }, ...fields });
    const started = readActiveMedicationResources([
      statement('a', { effectivePeriod: { start: '2026-10-01' }, effectiveDateTime: '2026-10-15', dateAsserted: '2026-11-20' }),
      statement('b', { effectivePeriod: { end: '2026-12-01' }, effectiveDateTime: '2026-10-15', dateAsserted: '2026-11-20' }),
      statement('c', { dateAsserted: '2026-11-20' }),
      statement('d', {}),
    ], new SkippedResources(), statuses);
    expect(started.map((s) => s.startedAt)).toEqual(['2026-10-01', '2026-10-15', '2026-11-20', null]);
  });

  test("a DSTU2 statement's reason is its reasonForUseCodeableConcept or reasonForUseReference (resolved to a contained Condition)", () => {
    const depression = { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'F32.1' }] };
    const [byCode, byReference] = readActiveMedicationResources([
      { resourceType: 'MedicationStatement', id: 'a', status: 'active', medicationCodeableConcept: { text: 'Sertralin' }, reasonForUseCodeableConcept: depression },
      {
        resourceType: 'MedicationStatement',
        id: 'b',
        status: 'active',
        medicationCodeableConcept: { text: 'Sertralin' },
        reasonForUseReference: { reference: '#dep' },
        contained: [{ resourceType: 'Condition', id: 'dep', code: depression }],
      },
    ], new SkippedResources(), statuses);
    expect([byCode!.reasons, byCode!.hasReason]).toEqual([[depression], true]);
    expect([byReference!.reasons, byReference!.hasReason]).toEqual([[depression], true]);
  });
});
