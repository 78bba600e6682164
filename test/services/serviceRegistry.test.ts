import request from 'supertest';
import { ConfigError } from '../../src/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createServices } from '../../src/services/serviceRegistry.js';
import { loadCardTexts } from '../../src/render/cardTexts.js';
import { captureLogs } from '../support/captureLogs.js';
import { everyCardKind, kindsOf } from '../support/everyCardKind.js';
import { buildTestApp, cardOfKind, expectValidResponse, patientViewRequest, testConfig } from '../support/testApp.js';

describe('CARD_KINDS_DISABLED (docs/clinical-rules.md §8)', () => {
  test('a disabled kind is never issued; the others still are', async () => {
    const { app } = buildTestApp({ env: { CARD_KINDS_DISABLED: 'screening-abnormal,tramadol' } });
    const pv = expectValidResponse((await request(app).post('/cds-services/nkr-pain-patient-view').send(patientViewRequest('gsb-complete-flagged'))).body);
    expect(cardOfKind(pv, 'screening-abnormal')).toBeUndefined();
    const enabled = expectValidResponse((await request(buildTestApp().app).post('/cds-services/nkr-pain-patient-view').send(patientViewRequest('gsb-complete-flagged'))).body);
    expect(cardOfKind(enabled, 'screening-abnormal')).toBeDefined();

    const entry = [['N02AX02', 'Nobligan'], ['N06AX21', 'Cymbalta']].map(([code, text], i) => ({
      resource: { resourceType: 'MedicationRequest', id: `o${i}`, status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text, coding: [{ system: 'http://www.whocc.no/atc', code }] } },
    }));
    const sign = { hook: 'order-sign', hookInstance: 'h', context: { patientId: 'p1', userId: 'Practitioner/x', draftOrders: { resourceType: 'Bundle', entry } }, prefetch: { conditions: null, medications: null } };
    const { app: demo } = buildTestApp({ env: { ALL_PATIENTS_IN_SCOPE: 'true', CARD_KINDS_DISABLED: 'tramadol' } });
    const kinds = expectValidResponse((await request(demo).post('/cds-services/nkr-pain-order-sign').send(sign)).body).cards.map((c) => c.source.topic.code);
    expect(kinds).toEqual(['duloxetine']);
  });
  const allKinds = loadCardTexts().cardKinds().sort();
  test.each(allKinds)('%s can be switched off through HTTP; every other kind is still issued', async (kind) => {
    const cards = await everyCardKind('en', { CARD_KINDS_DISABLED: kind });
    expect(kindsOf(cards)).toEqual(allKinds.filter((k) => k !== kind));
  }, 30_000);
  test('an unknown kind stops the start, naming the known ones', () => {
    expect(() => createServices(testConfig({ CARD_KINDS_DISABLED: 'tramadol,screening-complete' }), silentLogger())).toThrow(ConfigError);
    expect(() => createServices(testConfig({ CARD_KINDS_DISABLED: 'common' }), silentLogger())).toThrow(/CARD_KINDS_DISABLED: "common" is not a card kind; known: .*non-pharmacological-treatment/);
  });
});

describe('ALL_PATIENTS_IN_SCOPE (docs/clinical-rules.md §2)', () => {
  test('logs a loud warning at start', () => {
    const logs = captureLogs('info');
    createServices(testConfig({ ALL_PATIENTS_IN_SCOPE: 'true' }), logs.logger);
    expect(logs.lines<{ level: number; msg: string }>().some((l) => l.level === 40 && /ALL_PATIENTS_IN_SCOPE is ON/.test(l.msg))).toBe(true);
    logs.clear();
    createServices(testConfig(), logs.logger);
    expect(logs.text()).not.toContain('ALL_PATIENTS_IN_SCOPE');
  });
});
