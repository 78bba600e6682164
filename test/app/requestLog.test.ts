import request from 'supertest';
import type { CdsService } from '../../src/model/cdsService.js';
import { UnreadableResource } from '../../src/model/skipped.js';
import type { Logger } from '../../src/observability/logger.js';
import { captureLogs } from '../support/captureLogs.js';
import { buildTestApp, patientViewRequest } from '../support/testApp.js';

/**
 * The request log: ONE line per request (src/observability/requestLog.ts) (request id, service, status, duration, cards by
 * kind, FHIR read timings, a 4xx's reason); services log through the request's logger; optional data
 * that is unavailable and resources skipped as unreadable are named in warning lines. No tokens, no
 * patient data.
 */

type Line = Record<string, any>;

/** The app's log at info, as it runs by default. */
function logCapture(): { logger: Logger; lines: () => Line[] } {
  const logs = captureLogs('info');
  return { logger: logs.logger, lines: () => logs.lines<Line>() };
}

const PV = '/cds-services/nkr-pain-patient-view';
const requestLines = (lines: Line[]): Line[] => lines.filter((l) => l.res !== undefined);

/** the request log writes its line when the response has finished; give the event loop a turn. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('one log line per request', () => {
  test('a 200: request id (echoed as X-Request-Id), service, status, duration, cards by kind, and where the data came from', async () => {
    const log = logCapture();
    const { app } = buildTestApp({ logger: log.logger });
    const body = patientViewRequest('gsb-workup-missing');
    body.hookInstance = 'b6a2e0c4-0a4f-4d6e-9d55-2f5a1c3e7d10';
    const res = await request(app).post(PV).set('X-Request-Id', 'ehr-call-42').send(body);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('ehr-call-42');
    await settle();
    const lines = requestLines(log.lines());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      req: { id: 'ehr-call-42', method: 'POST', path: PV },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      serviceId: 'nkr-pain-patient-view',
      hookInstance: 'b6a2e0c4-0a4f-4d6e-9d55-2f5a1c3e7d10', // the EHR's id of the call, to match its own logs
      cards: { 'screening-incomplete': 1 },
      cardCount: 1,
      data: { fhirReads: [], unavailable: [] }, // everything was prefetched
    });
  });

  test('probes and scrapers (/healthz, /readyz, /metrics) write no line; the admin report does (a read of the card statistics is on record)', async () => {
    const log = logCapture();
    const { app } = buildTestApp({ logger: log.logger, env: { ADMIN_TOKEN: 'a'.repeat(32) } });
    for (const path of ['/healthz', '/readyz', '/metrics']) await request(app).get(path);
    await settle();
    expect(requestLines(log.lines())).toEqual([]);
    await request(app).get('/admin/report');
    await settle();
    expect(requestLines(log.lines())).toMatchObject([{ req: { method: 'GET', path: '/admin/report' }, res: { statusCode: 401 } }]);
  });

  test('an unusable X-Request-Id is replaced by a fresh id', async () => {
    const { app } = buildTestApp();
    const res = await request(app).get('/cds-services').set('X-Request-Id', 'x'.repeat(65));
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('an X-Request-Id with six digits in a row (a CPR number\'s date part) is replaced, never logged; a UUID with them is kept unless its digits spell a CPR number', async () => {
    const log = logCapture();
    const { app } = buildTestApp({ logger: log.logger });
    for (const given of ['0101801234', 'ehr-010180-1234', 'call-1234567', '01-01-80-1234', '00000000-0000-0000-0000-000101801234', '00000000-0000-4000-8000-000101801234', '01017012-3400-4000-8000-000000000000']) {
      const res = await request(app).get('/cds-services').set('X-Request-Id', given);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    for (const kept of ['12345678-9abc-4def-8123-456789abcdef', 'ehr-call-42', 'call-12345']) {
      expect((await request(app).get('/cds-services').set('X-Request-Id', kept)).headers['x-request-id']).toBe(kept);
    }
    await settle();
    const text = JSON.stringify(log.lines());
    expect(text).not.toMatch(/0101801234|010180|0101701234|call-1234567|01-01-80/);
    expect(text).toContain('12345678-9abc-4def-8123-456789abcdef');
  });

  test('a 404, 405 or undecodable path\'s 400 line quotes no caller text: a misdirected FHIR read or an unknown service id may be a patient id (a CPR number)', async () => {
    const log = logCapture();
    const { app } = buildTestApp({ logger: log.logger });
    expect((await request(app).get('/Patient/0101801234').query({ name: 'Jensen' })).status).toBe(404);
    expect((await request(app).post('/cds-services/0101801234').send({})).status).toBe(404);
    expect((await request(app).post('/cds-services/0101801234/feedback').send({})).status).toBe(404);
    expect((await request(app).get('/cds-services/0101801234')).status).toBe(405);
    // A path no route could decode (bad percent-encoding) is refused with a 400 before any route read it: the caller's text too.
    expect((await request(app).get('/cds-services/0101801234%ZZ')).status).toBe(400);
    await settle();
    const lines = requestLines(log.lines());
    expect(lines.map((l) => [l.res.statusCode, l.req.path])).toEqual([
      [404, '/…'],
      [404, '/cds-services/…'],
      [404, '/cds-services/…'],
      [405, '/cds-services/…'],
      [400, '/cds-services/…'],
    ]);
    expect(JSON.stringify(log.lines())).not.toMatch(/0101801234|Jensen|Patient/);
    expect(lines.every((l) => typeof l.reason === 'string' && l.reason.length > 0)).toBe(true);
  });

  test('a 400 says why (the first offending field), at warn level', async () => {
    const log = logCapture();
    const { app } = buildTestApp({ logger: log.logger });
    const body = patientViewRequest('gsb-workup-missing');
    delete (body.context as Record<string, unknown>).patientId;
    body.hookInstance = '7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';
    expect((await request(app).post(PV).send(body)).status).toBe(400);
    await settle();
    const [line] = requestLines(log.lines());
    // The refused call is named by its hookInstance too, so the EHR can find it.
    expect(line).toMatchObject({ level: 40, res: { statusCode: 400 }, serviceId: 'nkr-pain-patient-view', hookInstance: '7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e' });
    expect(line?.reason).toContain('context.patientId');
    // A hookInstance that is no UUID is the caller's own text: not logged.
    body.hookInstance = 'Mette-Hansen-010170-1234';
    expect((await request(app).post(PV).send(body)).status).toBe(400);
    await settle();
    expect(requestLines(log.lines())[1]).toMatchObject({ hookInstance: '(not a UUID)' });
    expect(JSON.stringify(log.lines())).not.toContain('Mette');
    // Nor a number padded into a UUID's shape (no version, no variant): a CPR number.
    body.hookInstance = '00000000-0000-0000-0000-000101701234';
    expect((await request(app).post(PV).send(body)).status).toBe(400);
    await settle();
    expect(requestLines(log.lines())[2]).toMatchObject({ hookInstance: '(not a UUID)' });
    expect(JSON.stringify(log.lines())).not.toContain('0101701234');
    // Nor one with a version and variant whose digits still spell a CPR number.
    for (const [i, cpr] of ['01017012-3400-4000-8000-000000000000', '00000000-0000-4000-8000-000101801234'].entries()) {
      body.hookInstance = cpr;
      expect((await request(app).post(PV).send(body)).status).toBe(400);
      await settle();
      expect(requestLines(log.lines())[3 + i]).toMatchObject({ hookInstance: '(not a UUID)' });
    }
    expect(JSON.stringify(log.lines())).not.toMatch(/0101701234|0101801234/);
  });

  test('a 412 names the required keys it could not read, and why', async () => {
    const log = logCapture();
    const { app } = buildTestApp({ logger: log.logger });
    expect((await request(app).post(PV).send(patientViewRequest('gsb-workup-missing', { omit: ['labs', 'serviceRequests'] }))).status).toBe(412);
    await settle();
    const [line] = requestLines(log.lines());
    expect(line).toMatchObject({ level: 40, res: { statusCode: 412 } });
    expect(line?.reason).toContain('prefetch "labs"');
    expect(line?.reason).toContain('no fhirServer');
    expect(line?.reason).not.toContain('serviceRequests'); // optional: never a reason to refuse
  });

  test('a 200 without an optional key: the call answers, the warning names the key, the request line lists it', async () => {
    const log = logCapture();
    const { app } = buildTestApp({ logger: log.logger });
    expect((await request(app).post(PV).send(patientViewRequest('gsb-workup-missing', { omit: ['medications'] }))).status).toBe(200);
    await settle();
    const [line] = requestLines(log.lines());
    expect(line).toMatchObject({ res: { statusCode: 200 }, data: { unavailable: ['medications'] } });
    const warning = log.lines().find((l) => l.msg === 'optional data unavailable: the cards that need it degrade');
    expect(warning).toMatchObject({ level: 40, key: 'medications', req: { id: line?.req.id } });
  });
});

describe('services log through the request logger; skipped resources are one warning line', () => {
  /** A service that logs and skips two unreadable resources, as readers do. */
  const probe: CdsService<'patient-view'> = {
    id: 'probe',
    hook: 'patient-view',
    title: 'probe',
    description: 'probe',
    prefetch: [],
    async call(call) {
      call.log.info({ step: 'probing' }, 'probe ran');
      call.skipped.readEach([{ resourceType: 'Observation', id: 'o-odd', valueQuantity: 'Karen Jensen' }, { resourceType: 'Condition', id: 'c-odd' }], 'probe', () => {
        throw new Error('unreadable');
      });
      // A reader that tells why: its own fixed words go with the type and id.
      call.skipped.readEach([{ resourceType: 'ServiceRequest', id: 's-odd', status: 42 }], 'probe', () => {
        throw new UnreadableResource('no status');
      });
      return { cards: [] };
    },
  };

  test('the service line carries the request id; the skipped resources are named by type and id only, with the reader\'s reason when it gives one', async () => {
    const log = logCapture();
    const app = buildTestApp({ env: {}, logger: log.logger, services: [probe as CdsService] }).app;
    const res = await request(app).post('/cds-services/probe').send({ hook: 'patient-view', hookInstance: 'h', context: { patientId: 'p1', userId: 'Practitioner/u' } });
    expect(res.status).toBe(200);
    await settle();
    const lines = log.lines();
    const [requestLine] = requestLines(lines);
    const id = requestLine?.req.id;
    expect(lines.find((l) => l.msg === 'probe ran')).toMatchObject({ step: 'probing', req: { id } });
    const skipped = lines.filter((l) => Array.isArray(l.skipped));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({
      level: 40,
      req: { id },
      skipped: [
        { resourceType: 'Observation', id: 'o-odd', reader: 'probe' },
        { resourceType: 'Condition', id: 'c-odd', reader: 'probe' },
        { resourceType: 'ServiceRequest', id: 's-odd', reader: 'probe', reason: 'no status' },
      ],
    });
    // A reading that threw an error of its own names no reason (its text may hold data).
    expect(skipped[0]?.skipped[0]).not.toHaveProperty('reason');
    expect(requestLine?.skipped).toBe(3);
    expect(JSON.stringify(lines)).not.toContain('Karen');
  });
});
