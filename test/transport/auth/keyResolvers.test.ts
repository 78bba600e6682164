import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { createAuthVerifier } from '../../../src/transport/auth/verifier.js';
import { HttpError } from '../../../src/transport/operationOutcome.js';
import {
  defaultPayload,
  fixedNow,
  makeKeys,
  REMOTE_ISS,
  REMOTE_JKU,
  SERVICE_AUD,
  SERVICE_ID,
  signToken,
  standardIssuersFile,
  testConfig,
  type Keys,
} from './authTestKit.js';
import { captureLogs } from '../../support/captureLogs.js';

const KEYS_HOST = 'https://keys.remote.example.org';

let keys: Keys;
let issuersFile: string;

beforeAll(async () => {
  keys = await makeKeys();
  issuersFile = standardIssuersFile(keys);
  // Nothing leaves the machine: an unexpected request fails instead of reaching a network.
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
});

async function newVerifier() {
  const logs = captureLogs();
  const verifier = await createAuthVerifier(testConfig({ trustedIssuersFile: issuersFile }), logs.logger, { now: fixedNow });
  return { verifier: verifier!, logs };
}

const remoteToken = (header: Record<string, unknown> = {}): Promise<string> =>
  signToken(keys.es384.privateKey, { alg: 'ES384', typ: 'JWT', kid: keys.es384.kid, ...header }, defaultPayload(REMOTE_ISS));

describe('remote JWK Sets', () => {
  it('fetches the issuer jwksUri once and caches it', async () => {
    const scope = nock(KEYS_HOST).get('/jwks.json').once().reply(200, { keys: [keys.es384.publicJwk] });
    const { verifier } = await newVerifier();
    await expect(verifier.verify(`Bearer ${await remoteToken()}`, SERVICE_AUD, SERVICE_ID)).resolves.toMatchObject({ iss: REMOTE_ISS });
    // A second token is verified from the cache: nock would throw on a second, unplanned request.
    await expect(verifier.verify(`Bearer ${await remoteToken()}`, SERVICE_AUD, SERVICE_ID)).resolves.toMatchObject({ iss: REMOTE_ISS });
    expect(scope.isDone()).toBe(true);
  });

  it('fetches the set named by an allow-listed jku (not the jwksUri)', async () => {
    const jku = nock(KEYS_HOST).get('/rotated.json').reply(200, { keys: [keys.es384.publicJwk] });
    const jwksUri = nock(KEYS_HOST).get('/jwks.json').reply(200, { keys: [] });
    const { verifier } = await newVerifier();
    await expect(verifier.verify(`Bearer ${await remoteToken({ jku: REMOTE_JKU })}`, SERVICE_AUD, SERVICE_ID)).resolves.toBeDefined();
    expect(jku.isDone()).toBe(true);
    expect(jwksUri.isDone()).toBe(false);
  });

  it('never requests a jku that is not on the list', async () => {
    const requested: string[] = [];
    const evil = nock('https://attacker.example.net')
      .get(/.*/)
      .reply(function handler() {
        requested.push(this.req.path);
        return [200, { keys: [keys.es384.publicJwk] }];
      });
    const { verifier, logs } = await newVerifier();
    const err = await verifier.verify(`Bearer ${await remoteToken({ jku: 'https://attacker.example.net/jwks.json' })}`, SERVICE_AUD, SERVICE_ID).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(401);
    expect(logs.lines().some((l) => l.check === 'jku')).toBe(true);
    expect(requested).toEqual([]);
    expect(evil.isDone()).toBe(false);
  });

  it('an unreachable JWK Set refuses the call (401, check "signature")', async () => {
    nock(KEYS_HOST).get('/jwks.json').reply(500, 'down');
    const { verifier, logs } = await newVerifier();
    const err = await verifier.verify(`Bearer ${await remoteToken()}`, SERVICE_AUD, SERVICE_ID).catch((e: unknown) => e);
    expect((err as HttpError).status).toBe(401);
    expect(logs.lines().find((l) => l.check === 'signature')?.reason).toMatch(/JWK Set|jose/);
  });

  it('a kid missing from the fetched set is refused', async () => {
    nock(KEYS_HOST).get('/jwks.json').reply(200, { keys: [keys.rs384.publicJwk] });
    const { verifier, logs } = await newVerifier();
    const err = await verifier.verify(`Bearer ${await remoteToken()}`, SERVICE_AUD, SERVICE_ID).catch((e: unknown) => e);
    expect((err as HttpError).status).toBe(401);
    expect(logs.lines().find((l) => l.check === 'signature')?.reason).toMatch(/kid/);
  });
});
