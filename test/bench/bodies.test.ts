import request from 'supertest';
import {
  observations,
  orderSelectBody,
  orderSelectNoMedicationBody,
  orderSignBody,
  patientViewBody,
  patientViewFallbackBody,
} from '../../bench/bodies.js';
import { buildTestApp, expectValidResponse, FIXED_NOW, validator } from '../support/testApp.js';

/** The benchmark's generated bodies (bench/bodies.ts) are requests the service accepts; no timing here. */
describe('bench request bodies', () => {
  // The cards each body must get: a benchmark of the card-issuing calls that issued none would measure the
  // wrong thing (the order-select body once held another patient's resources than its context's, and got none).
  const PATIENT_VIEW_CARDS = ['screening-abnormal', 'non-pharmacological-treatment', 'current-medication'];
  const bodies: Array<[string, string, Record<string, unknown>, string[]]> = [
    ['patient-view, 200 Observations', 'nkr-pain-patient-view', patientViewBody({ observations: 200 }, FIXED_NOW), PATIENT_VIEW_CARDS],
    ['patient-view, 10 Observations', 'nkr-pain-patient-view', patientViewBody({ observations: 10 }, FIXED_NOW), PATIENT_VIEW_CARDS],
    ['order-select, sandbox tramadol', 'nkr-pain-order-select', orderSelectBody(FIXED_NOW), ['tramadol']],
    ['order-select, sandbox draft without drug', 'nkr-pain-order-select', orderSelectNoMedicationBody(), []],
    ['order-sign, 5 drafts', 'nkr-pain-order-sign', orderSignBody(FIXED_NOW), ['tramadol', 'gabapentinoid']],
  ];

  it.each(bodies)('%s is valid against schemas/request.schema.json and answered 200 with its cards', async (_name, id, body, kinds) => {
    expect(validator.problems('request', body)).toEqual([]);
    const { app } = buildTestApp();
    const res = await request(app).post(`/cds-services/${id}`).send(body);
    expect(res.status).toBe(200);
    expect(expectValidResponse(res.body).cards.map((c) => c.source.topic.code)).toEqual(kinds);
  });

  it('the fallback body (no prefetch) is a valid request', () => {
    const body = patientViewFallbackBody('http://127.0.0.1:8081/fhir', 'integration-fm-1');
    expect(validator.problems('request', body)).toEqual([]);
    expect(body.prefetch).toBeUndefined();
  });

  // A missing key would make every benchmarked call log an "optional data unavailable" warning (or read FHIR).
  it.each([
    ['nkr-pain-patient-view', patientViewBody({ observations: 1 }, FIXED_NOW)],
    ['nkr-pain-order-select', orderSelectBody(FIXED_NOW)],
    ['nkr-pain-order-sign', orderSignBody(FIXED_NOW)],
  ])('%s: the body fills every prefetch key the service declares in discovery', async (id, body) => {
    const { app } = buildTestApp();
    const discovery = await request(app).get('/cds-services');
    const service = (discovery.body.services as Array<{ id: string; prefetch?: Record<string, string> }>).find((s) => s.id === id);
    const keys = Object.keys(service?.prefetch ?? {});
    expect(keys.length).toBeGreaterThan(0);
    expect(Object.keys(body.prefetch as object).sort()).toEqual(expect.arrayContaining(keys.sort()));
  });

  it('makes exactly the number of Observations asked for, with unique ids', () => {
    for (const n of [0, 10, 1000]) {
      const list = observations(n, FIXED_NOW);
      expect(list).toHaveLength(n);
      expect(new Set(list.map((o) => o.id)).size).toBe(n);
    }
  });
});
