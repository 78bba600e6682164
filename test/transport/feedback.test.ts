import request from 'supertest';
import { buildTestApp, readJson, sandboxPath } from '../support/testApp.js';

const URL = '/cds-services/nkr-pain-patient-view/feedback';

interface FeedbackCapture {
  url: string;
  body: { feedback: Array<Record<string, any>> };
}
const accepted = (): FeedbackCapture['body'] => readJson<FeedbackCapture>(sandboxPath('11-POST-cds-services_fm-meds_feedback.json')).body;
const overridden = (): FeedbackCapture['body'] => readJson<FeedbackCapture>(sandboxPath('21-POST-cds-services_fm-meds_feedback.json')).body;

function expectOperationOutcome(res: request.Response, status: number): fhir4.OperationOutcome {
  expect(res.status).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  return res.body as fhir4.OperationOutcome;
}

describe('F1: the sandbox\'s own feedback bodies', () => {
  test('accepted with acceptedSuggestions (capture 11) → 200 {} and stored', async () => {
    const { app, feedback } = buildTestApp();
    const body = accepted();
    expect(body.feedback[0]?.outcome).toBe('accepted');
    const res = await request(app).post(URL).send(body);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.text).toBe('{}');
    expect(feedback.all()).toEqual([
      expect.objectContaining({
        serviceId: 'nkr-pain-patient-view',
        card: body.feedback[0]!.card,
        outcome: 'accepted',
        acceptedSuggestions: [body.feedback[0]!.acceptedSuggestions[0].id],
        outcomeTimestamp: body.feedback[0]!.outcomeTimestamp,
      }),
    ]);
  });

  test('overridden with a reason that has code and system but no display (capture 21) → 200 {} and stored', async () => {
    const { app, feedback } = buildTestApp();
    const body = overridden();
    expect(body.feedback[0]?.overrideReason.reason.display).toBeUndefined();
    const res = await request(app).post(URL).send(body);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{}');
    expect(feedback.all()).toEqual([
      expect.objectContaining({ outcome: 'overridden', overrideReason: { system: 'http://example.org/override', code: 'pt-pref' }, hasUserComment: false }),
    ]);
  });

  test('a plain dismiss (overridden without a reason) → 200', async () => {
    const { app, feedback } = buildTestApp();
    const res = await request(app).post(URL).send({ feedback: [{ card: 'c-1', outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:40:00Z' }] });
    expect(res.status).toBe(200);
    expect(feedback.all()).toHaveLength(1);
  });

  test('idempotent: the same feedback sent twice is stored once', async () => {
    const { app, feedback } = buildTestApp();
    expect((await request(app).post(URL).send(accepted())).status).toBe(200);
    expect((await request(app).post(URL).send(accepted())).status).toBe(200);
    expect(feedback.all()).toHaveLength(1);
    // A different outcome for the same card is a new record.
    expect((await request(app).post(URL).send(overridden())).status).toBe(200);
    expect(feedback.all()).toHaveLength(2);
  });

  test('a batch across cards is stored item by item', async () => {
    const { app, feedback } = buildTestApp();
    const res = await request(app).post(URL).send({ feedback: [...accepted().feedback, ...overridden().feedback] });
    expect(res.status).toBe(200);
    expect(feedback.all().map((f) => f.outcome).sort()).toEqual(['accepted', 'overridden']);
  });

  test('a userComment is not kept, only that there was one', async () => {
    const { app, feedback } = buildTestApp();
    const body = overridden();
    body.feedback[0]!.overrideReason.userComment = 'Patient Karen Jensen said no';
    expect((await request(app).post(URL).send(body)).status).toBe(200);
    expect(feedback.all()[0]?.hasUserComment).toBe(true);
    expect(JSON.stringify(feedback.all())).not.toContain('Karen');
  });
});

describe('F1: malformed feedback → 400, nothing stored', () => {
  test.each<[string, unknown, string]>([
    ['accepted without acceptedSuggestions', { feedback: [{ card: 'c', outcome: 'accepted', outcomeTimestamp: '2026-11-25T17:39:34.987Z' }] }, 'feedback[0].acceptedSuggestions'],
    ['an unknown outcome', { feedback: [{ card: 'c', outcome: 'ignored', outcomeTimestamp: '2026-11-25T17:39:34.987Z' }] }, 'feedback[0].outcome'],
    ['no outcomeTimestamp', { feedback: [{ card: 'c', outcome: 'overridden' }] }, 'feedback[0].outcomeTimestamp'],
    ['no card', { feedback: [{ outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:39:34.987Z' }] }, 'feedback[0].card'],
    ['no feedback list', {}, 'feedback'],
  ])('%s', async (_name, body, expression) => {
    const { app, feedback } = buildTestApp();
    const oo = expectOperationOutcome(await request(app).post(URL).send(body as object), 400);
    expect(oo.issue[0]?.expression).toEqual([expression]);
    expect(feedback.all()).toEqual([]);
  });

  test('a body that is not JSON → 400; not declared JSON → 415', async () => {
    const { app } = buildTestApp();
    expectOperationOutcome(await request(app).post(URL).set('Content-Type', 'application/json').send('{"feedback":'), 400);
    expectOperationOutcome(await request(app).post(URL).set('Content-Type', 'text/plain').send('{}'), 415);
  });
});

describe('F1/F2: routing', () => {
  test('feedback for an unknown service → 404', async () => {
    const { app, feedback } = buildTestApp();
    expectOperationOutcome(await request(app).post('/cds-services/fm-meds/feedback').send(accepted()), 404);
    expect(feedback.all()).toEqual([]);
  });

  test('F2: an unknown card uuid → 200 {} (no hint about which cards exist)', async () => {
    const { app } = buildTestApp();
    const body = { feedback: [{ card: '00000000-0000-4000-8000-000000000000', outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:40:00Z' }] };
    const res = await request(app).post(URL).send(body);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{}');
  });

  test('GET on the feedback endpoint → 405', async () => {
    const { app } = buildTestApp();
    const res = await request(app).get(URL);
    expectOperationOutcome(res, 405);
    expect(res.headers.allow).toContain('POST');
  });
});
