import { beforeAll, describe, expect, it } from '@jest/globals';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { requireCaller } from '../../../src/transport/auth/requireCaller.js';
import { createAuthVerifier, type AuthVerifier } from '../../../src/transport/auth/verifier.js';
import { HttpError } from '../../../src/transport/operationOutcome.js';
import {
  BASE,
  defaultPayload,
  EHR_ISS,
  ehrToken,
  FEEDBACK_AUD,
  fixedNow,
  LIMITED_ISS,
  makeKeys,
  sandboxToken,
  SERVICE_AUD,
  SERVICE_ID,
  signToken,
  standardIssuersFile,
  testConfig,
  type Keys,
} from './authTestKit.js';
import { captureLogs } from '../../support/captureLogs.js';
import { rawHttp } from '../../support/testApp.js';
import type { AddressInfo } from 'node:net';

let keys: Keys;
let issuersFile: string;

beforeAll(async () => {
  keys = await makeKeys();
  issuersFile = standardIssuersFile(keys);
});

/** A tiny app shaped like the real one: discovery open, service and feedback behind requireCaller. */
function appWith(verifier: AuthVerifier | null, logs = captureLogs()) {
  const config = testConfig({ trustedIssuersFile: issuersFile });
  const app = express();
  const check = requireCaller(verifier, config, logs.logger);
  // The app calls the check with the route's service id (src/transport/hookPosts.ts); here, as middleware.
  const guard = (req: Request, res: Response, next: NextFunction): void => {
    check(req, typeof req.params.id === 'string' ? req.params.id : null).then((caller) => {
      res.locals.caller = caller ?? undefined;
      next();
    }, next);
  };
  const echo = (_req: Request, res: Response): void => {
    res.json({ caller: res.locals.caller ?? null });
  };
  app.get('/cds-services', echo);
  const router = express.Router();
  router.post('/:id', guard, echo);
  router.post('/:id/feedback', guard, echo);
  app.use('/cds-services', router);
  // The middleware guarding a mount point itself (no :id): see endpointPath.
  app.use('/mounted', guard, echo);
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status);
      if (err.emptyBody) res.end();
      else res.json(err.toOperationOutcome());
      return;
    }
    res.status(500).end();
  });
  return app;
}

async function verifierFor(file: string | null): Promise<AuthVerifier> {
  const v = await createAuthVerifier(testConfig({ trustedIssuersFile: file }), captureLogs().logger, { now: fixedNow });
  return v!;
}

describe('requireCaller', () => {
  it('lets a sandbox-signed call through with the development default and stores the caller', async () => {
    const app = appWith(await verifierFor(null));
    const res = await request(app)
      .post(`/cds-services/${SERVICE_ID}`)
      .set('Authorization', `Bearer ${await sandboxToken(keys, SERVICE_AUD)}`)
      .send({});
    expect(res.status).toBe(200);
    expect(res.body.caller).toMatchObject({ iss: 'https://sandbox.cds-hooks.org', kid: '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f' });
  });

  it('checks feedback calls against the feedback URL', async () => {
    const app = appWith(await verifierFor(null));
    const ok = await request(app)
      .post(`/cds-services/${SERVICE_ID}/feedback`)
      .set('Authorization', `Bearer ${await sandboxToken(keys, FEEDBACK_AUD)}`)
      .send({});
    expect(ok.status).toBe(200);
    const wrong = await request(app)
      .post(`/cds-services/${SERVICE_ID}/feedback`)
      .set('Authorization', `Bearer ${await sandboxToken(keys, SERVICE_AUD)}`)
      .send({});
    expect(wrong.status).toBe(401);
  });

  it('refuses two Authorization headers with 400 (ambiguous credentials), whichever comes first; never reads either', async () => {
    const logs = captureLogs();
    const server = appWith(await verifierFor(null), logs).listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const post = (headers: string) =>
        rawHttp(base, `POST /cds-services/${SERVICE_ID} HTTP/1.1\r\nHost: localhost\r\n${headers}Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
      expect((await post(`Authorization: Bearer ${await sandboxToken(keys, SERVICE_AUD)}\r\n`)).status).toBe(200); // the control: one header
      for (const validFirst of [true, false]) {
        const valid = await sandboxToken(keys, SERVICE_AUD); // a fresh one: not a replay
        const both = [`Authorization: Bearer ${valid}\r\n`, 'Authorization: Bearer other.other.other\r\n'];
        const res = await post((validFirst ? both : both.reverse()).join(''));
        expect({ validFirst, status: res.status }).toEqual({ validFirst, status: 400 });
        expect(res.raw).not.toContain(valid);
        expect(logs.text()).not.toContain(valid);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('answers 401 with an empty body when the header is missing', async () => {
    const res = await request(appWith(await verifierFor(issuersFile))).post(`/cds-services/${SERVICE_ID}`).send({});
    expect(res.status).toBe(401);
    expect(res.text).toBe('');
  });

  it('leaves discovery alone (it is not guarded)', async () => {
    const res = await request(appWith(await verifierFor(issuersFile))).get('/cds-services');
    expect(res.status).toBe(200);
  });

  it('ignores the query string when computing the audience', async () => {
    const res = await request(appWith(await verifierFor(issuersFile)))
      .post(`/cds-services/${SERVICE_ID}?x=1`)
      .set('Authorization', `Bearer ${await ehrToken(keys)}`)
      .send({});
    expect(res.status).toBe(200);
  });

  it('keeps a trailing slash the client sent (aud is the URL it called)', async () => {
    const app = appWith(await verifierFor(issuersFile));
    const withSlash = await request(app)
      .post(`/cds-services/${SERVICE_ID}/`)
      .set('Authorization', `Bearer ${await ehrToken(keys, { payload: { aud: `${SERVICE_AUD}/` } })}`)
      .send({});
    expect(withSlash.status).toBe(200);
    const mismatch = await request(app)
      .post(`/cds-services/${SERVICE_ID}/`)
      .set('Authorization', `Bearer ${await ehrToken(keys)}`)
      .send({});
    expect(mismatch.status).toBe(401);
  });

  it('does not invent a trailing slash at a mount point', async () => {
    const res = await request(appWith(await verifierFor(issuersFile)))
      .post('/mounted')
      .set('Authorization', `Bearer ${await ehrToken(keys, { payload: { aud: `${BASE}/mounted` } })}`)
      .send({});
    expect(res.status).toBe(200);
  });

  it('uses req.params.id as the service id: a valid caller not allowed that service gets 403', async () => {
    const token = await signToken(
      keys.es384.privateKey,
      { alg: 'ES384', typ: 'JWT', kid: keys.es384.kid },
      { ...defaultPayload(LIMITED_ISS), tenant: 'tenant-a' },
    );
    const res = await request(appWith(await verifierFor(issuersFile)))
      .post(`/cds-services/${SERVICE_ID}`)
      .set('Authorization', `Bearer ${token}`)
      .send({});
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');

    const allowed = await signToken(
      keys.es384.privateKey,
      { alg: 'ES384', typ: 'JWT', kid: keys.es384.kid },
      { ...defaultPayload(LIMITED_ISS, `${BASE}/cds-services/some-other-service`), tenant: 'tenant-a' },
    );
    const ok = await request(appWith(await verifierFor(issuersFile)))
      .post('/cds-services/some-other-service')
      .set('Authorization', `Bearer ${allowed}`)
      .send({});
    expect(ok.status).toBe(200);
  });

  it('passes every request when the verifier is null (AUTH=off)', async () => {
    const res = await request(appWith(null)).post(`/cds-services/${SERVICE_ID}`).send({});
    expect(res.status).toBe(200);
    expect(res.body.caller).toBeNull();
  });

  it('a replayed request is refused', async () => {
    const app = appWith(await verifierFor(issuersFile));
    const token = await ehrToken(keys);
    const first = await request(app).post(`/cds-services/${SERVICE_ID}`).set('Authorization', `Bearer ${token}`).send({});
    const second = await request(app).post(`/cds-services/${SERVICE_ID}`).set('Authorization', `Bearer ${token}`).send({});
    expect([first.status, second.status]).toEqual([200, 401]);
    expect(first.body.caller.iss).toBe(EHR_ISS);
  });
});
