import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import type { CdsService } from '../../src/model/cdsService.js';
import { hookPosts, type Middleware } from '../../src/transport/hookPosts.js';
import { buildTestApp, expectValidResponse, listenOnLoopback, patientViewRequest, rawHttp } from '../support/testApp.js';

/**
 * Hook calls and feedback are routed outside Express (src/transport/hookPosts.ts): these pin that the
 * route matches what Express's `/cds-services/:id` matched, runs the same middleware, and answers
 * errors the same way; everything else still reaches Express.
 */
const ID = 'nkr-pain-patient-view';
const body = (): Record<string, unknown> => patientViewRequest('gsb-established-complete');

describe('hookPosts: which requests it takes', () => {
  const { app } = buildTestApp();

  test.each([`/cds-services/${ID}`, `/cds-services/${ID}/`, `/CDS-Services/${ID}`, `/cds-services/${ID}?x=1`])('POST %s is a hook call', async (path) => {
    const res = await request(app).post(path).send(body());
    expect(res.status).toBe(200);
    expect(expectValidResponse(res.body).cards.length).toBeGreaterThan(0);
  });

  test('an absolute-form target (POST http://host/cds-services/… HTTP/1.1, RFC 9112 §3.2.2) is the same hook call or feedback', async () => {
    const server = await listenOnLoopback(app);
    try {
      const post = (target: string, json: unknown) => {
        const text = JSON.stringify(json);
        return rawHttp(server.baseUrl, `POST ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
      };
      const call = await post(`${server.baseUrl}/cds-services/${ID}`, body());
      expect(call.status).toBe(200);
      expect(call.raw).toContain('"cards":[{');
      const feedback = { feedback: [{ card: '0190a000-0000-7000-8000-000000000000', outcome: 'overridden', outcomeTimestamp: '2026-11-25T12:00:00Z' }] };
      expect((await post(`http://another.host.example/cds-services/${ID}/feedback?x=1`, feedback)).status).toBe(200);
      expect((await post(`${server.baseUrl}/cds-services/nope`, body())).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  test('POST to an unknown or undecodable id → 404 OperationOutcome', async () => {
    for (const path of ['/cds-services/nope', '/cds-services/%E0%A4%A', '/cds-services/nope/feedback']) {
      const res = await request(app).post(path).send({});
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    }
  });

  test('other methods and paths are still Express’s: 405 with Allow, preflight 204, 404 elsewhere', async () => {
    const get = await request(app).get(`/cds-services/${ID}`);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST, OPTIONS');
    const feedbackGet = await request(app).get(`/cds-services/${ID}/feedback`);
    expect(feedbackGet.status).toBe(405);
    const preflight = await request(app).options(`/cds-services/${ID}`).set('Origin', 'https://sandbox.cds-hooks.org').set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    const deeper = await request(app).post(`/cds-services/${ID}/feedback/more`).send({});
    expect(deeper.status).toBe(404);
  });
});

describe('hookPosts: what every answer carries', () => {
  test('CORS, nosniff, request id, no-store, JSON with its length; no ETag', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post(`/cds-services/${ID}`).set('Origin', 'https://sandbox.cds-hooks.org').set('X-Request-Id', 'abc-123').send(body());
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeDefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    expect(res.headers.etag).toBeUndefined();
  });

  test('errors: not JSON → 415, bad JSON → 400, a service that throws → 500 without details; the app keeps answering', async () => {
    const throwing: CdsService = {
      id: 'throws',
      hook: 'patient-view',
      title: 't',
      description: 'd',
      prefetch: [],
      call: () => Promise.reject(new Error('secret detail')),
    };
    const { app } = buildTestApp({ services: [throwing] });
    const text = await request(app).post('/cds-services/throws').set('Content-Type', 'text/plain').send('hello');
    expect(text.status).toBe(415);
    const broken = await request(app).post('/cds-services/throws').set('Content-Type', 'application/json').send('{"hook":');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'structure' }] });
    const valid = { hook: 'patient-view', hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea', context: { patientId: 'p1', userId: 'Practitioner/1' } };
    const failed = await request(app).post('/cds-services/throws').send(valid);
    expect(failed.status).toBe(500);
    expect(failed.text).not.toContain('secret detail');
    expect((await request(app).get('/cds-services')).status).toBe(200);
  });
});

describe('hookPosts: the middleware steps run as Express runs them', () => {
  const service: CdsService = { id: 'svc', hook: 'patient-view', title: 't', description: 'd', prefetch: [], call: () => Promise.resolve({ cards: [] }) };
  /** hookPosts over `before`, with a route that answers 200 "called" and an error answer that names the error. */
  function handler(before: Middleware[], ran: string[]): (req: IncomingMessage, res: ServerResponse) => void {
    const posts = hookPosts({
      services: [service],
      before,
      checkCaller: () => Promise.resolve(null),
      readBody: () => Promise.resolve({}),
      callService: async (_s, _req, res) => {
        ran.push('route');
        res.end('called');
      },
      feedback: async () => undefined,
      answerError: (err, _req, res) => {
        ran.push('error');
        res.statusCode = 500;
        res.end(`error: ${String(err)}`);
      },
    });
    return (req, res) => {
      if (!posts(req, res)) res.end('not ours');
    };
  }

  test('a step that calls next(null) has no error (Express reads null as none): the next step and the hook call run', async () => {
    const ran: string[] = [];
    const steps: Middleware[] = [
      (_req, _res, next) => {
        ran.push('first');
        next(null);
      },
      (_req, _res, next) => {
        ran.push('second');
        next();
      },
    ];
    const res = await request(handler(steps, ran)).post('/cds-services/svc').send({});
    expect([res.status, res.text]).toEqual([200, 'called']);
    expect(ran).toEqual(['first', 'second', 'route']);
  });

  test('a step that calls next(err) gets the error answer: no later step and no hook call', async () => {
    const ran: string[] = [];
    const steps: Middleware[] = [
      (_req, _res, next) => {
        ran.push('first');
        next(new Error('refused'));
      },
      (_req, _res, next) => {
        ran.push('second');
        next();
      },
    ];
    const res = await request(handler(steps, ran)).post('/cds-services/svc').send({});
    expect([res.status, res.text]).toEqual([500, 'error: Error: refused']);
    expect(ran).toEqual(['first', 'error']);
  });
});
