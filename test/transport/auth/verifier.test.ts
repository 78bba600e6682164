import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AuthVerifier } from '../../../src/transport/auth/verifier.js';
import { createAuthVerifier, REFUSAL_LINES_PER_MINUTE } from '../../../src/transport/auth/verifier.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { HttpError } from '../../../src/transport/operationOutcome.js';
import {
  defaultPayload,
  EHR_ISS,
  EHR_JKU,
  ehrToken,
  FEEDBACK_AUD,
  fixedNow,
  LIMITED_ISS,
  makeKeys,
  NOW_S,
  sandboxToken,
  SERVICE_AUD,
  SERVICE_ID,
  signToken,
  standardIssuersFile,
  testConfig,
  unsignedToken,
  type Keys,
} from './authTestKit.js';
import { captureLogs } from '../../support/captureLogs.js';

let keys: Keys;
let issuersFile: string;

beforeAll(async () => {
  keys = await makeKeys();
  issuersFile = standardIssuersFile(keys);
});

async function setup(authOverrides: Parameters<typeof testConfig>[0] = {}) {
  const logs = captureLogs();
  const verifier = await createAuthVerifier(testConfig({ trustedIssuersFile: issuersFile, ...authOverrides }), logs.logger, { now: fixedNow });
  if (verifier === null) throw new Error('expected a verifier');
  return { verifier, logs };
}

/** Asserts the call is refused with `status`, and that the log names `check` as the failed one. */
async function expectRefused(
  v: { verifier: AuthVerifier; logs: ReturnType<typeof captureLogs> },
  authorization: string | undefined,
  check: string,
  opts: { status?: number; aud?: string; serviceId?: string | null; reason?: RegExp } = {},
): Promise<Record<string, unknown>> {
  const err = await v.verifier.verify(authorization, opts.aud ?? SERVICE_AUD, opts.serviceId === undefined ? SERVICE_ID : opts.serviceId).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  const status = opts.status ?? 401;
  expect((err as HttpError).status).toBe(status);
  if (status === 401) expect((err as HttpError).emptyBody).toBe(true);
  const failures = v.logs.lines().filter((l) => l.msg === 'caller verification failed');
  const line = failures[failures.length - 1];
  expect(line).toBeDefined();
  expect(line?.check).toBe(check);
  if (opts.reason) expect(String(line?.reason)).toMatch(opts.reason);
  return line as Record<string, unknown>;
}

const bearer = (t: string): string => `Bearer ${t}`;

describe('createAuthVerifier: accepted tokens', () => {
  it('accepts an ES384 token from a trusted issuer and returns the caller', async () => {
    const v = await setup();
    const jti = randomUUID();
    const caller = await v.verifier.verify(bearer(await ehrToken(keys, { payload: { jti } })), SERVICE_AUD, SERVICE_ID);
    expect(caller).toEqual({ iss: EHR_ISS, jti, kid: keys.es384.kid });
  });

  it('accepts an RS384 token (key chosen by kid from the same JWK Set)', async () => {
    const v = await setup();
    const token = await signToken(keys.rs384.privateKey, { alg: 'RS384', typ: 'JWT', kid: keys.rs384.kid }, defaultPayload(EHR_ISS));
    await expect(v.verifier.verify(bearer(token), SERVICE_AUD, SERVICE_ID)).resolves.toMatchObject({ kid: keys.rs384.kid });
  });

  it('accepts the scheme in any case ("bearer")', async () => {
    const v = await setup();
    await expect(v.verifier.verify(`bearer ${await ehrToken(keys)}`, SERVICE_AUD, SERVICE_ID)).resolves.toMatchObject({ iss: EHR_ISS });
  });

  it('accepts a `sub` claim and does not require one (CDS Hooks 2.0 has no sub)', async () => {
    const v = await setup();
    await expect(v.verifier.verify(bearer(await ehrToken(keys, { payload: { sub: 'client-id' } })), SERVICE_AUD, SERVICE_ID)).resolves.toBeDefined();
  });

  it('accepts a token signed exactly as the sandbox signs, with the development default issuers', async () => {
    const logs = captureLogs();
    const verifier = await createAuthVerifier(testConfig({ trustedIssuersFile: null }), logs.logger, { now: fixedNow });
    const caller = await verifier!.verify(bearer(await sandboxToken(keys, SERVICE_AUD)), SERVICE_AUD, SERVICE_ID);
    expect(caller).toMatchObject({ iss: 'https://sandbox.cds-hooks.org', kid: '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f' });
    expect(caller.tenant).toBeUndefined();
  });

  it('accepts the sandbox token with the real clock too (its iat/exp are "now")', async () => {
    const verifier = await createAuthVerifier(testConfig({ trustedIssuersFile: null }), captureLogs().logger);
    const token = await sandboxToken(keys, FEEDBACK_AUD, Math.floor(Date.now() / 1000));
    await expect(verifier!.verify(bearer(token), FEEDBACK_AUD, SERVICE_ID)).resolves.toMatchObject({ iss: 'https://sandbox.cds-hooks.org' });
  });

  it('returns null when auth is switched off, and logs that it is off', async () => {
    const logs = captureLogs();
    await expect(createAuthVerifier(testConfig({ required: false }), logs.logger)).resolves.toBeNull();
    expect(logs.text()).toContain('caller verification is OFF');
  });
});

describe('createAuthVerifier: each check refuses', () => {
  it('header: missing', async () => {
    await expectRefused(await setup(), undefined, 'header', { reason: /missing/ });
  });

  it('header: not Bearer', async () => {
    const v = await setup();
    const line = await expectRefused(v, `Basic ${Buffer.from('user:secret').toString('base64')}`, 'header', { reason: /Bearer/ });
    expect(line.scheme).toBe('Basic');
    expect(v.logs.text()).not.toContain(Buffer.from('user:secret').toString('base64'));
  });

  it('header: not a JWT', async () => {
    await expectRefused(await setup(), 'Bearer abc.def', 'header');
  });

  it('alg: none is refused', async () => {
    const token = unsignedToken({ alg: 'none', typ: 'JWT', kid: keys.es384.kid }, defaultPayload(EHR_ISS));
    const line = await expectRefused(await setup(), bearer(token), 'alg');
    expect(line.received).toBe('none');
  });

  it('alg: HS256 (shared secret) is refused even with a "valid" HMAC', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-that-is-long-enough-for-hs256');
    const token = await signToken(secret, { alg: 'HS256', typ: 'JWT', kid: keys.es384.kid }, defaultPayload(EHR_ISS));
    const line = await expectRefused(await setup(), bearer(token), 'alg');
    expect(line.received).toBe('HS256');
  });

  it('typ: must be JWT, in any case and with or without "application/" (RFC 7515 compares media types so)', async () => {
    for (const typ of ['jwt', 'application/jwt', 'APPLICATION/JWT']) {
      await expect((await setup()).verifier.verify(bearer(await ehrToken(keys, { header: { typ } })), SERVICE_AUD, SERVICE_ID)).resolves.toMatchObject({ iss: EHR_ISS });
    }
    await expectRefused(await setup(), bearer(await ehrToken(keys, { header: { typ: 'application/at+jwt' } })), 'typ');
    await expectRefused(await setup(), bearer(await ehrToken(keys, { header: { typ: 'at+jwt' } })), 'typ');
    await expectRefused(await setup(), bearer(await ehrToken(keys, { omitHeader: ['typ'] })), 'typ');
  });

  it('kid: must be present', async () => {
    await expectRefused(await setup(), bearer(await ehrToken(keys, { omitHeader: ['kid'] })), 'kid');
  });

  it('iss: unknown issuer', async () => {
    const line = await expectRefused(await setup(), bearer(await ehrToken(keys, { payload: { iss: 'https://evil.example.org' } })), 'iss');
    expect(line.iss).toBe('https://evil.example.org');
  });

  it('iss: missing', async () => {
    await expectRefused(await setup(), bearer(await ehrToken(keys, { omit: ['iss'] })), 'iss');
  });

  it('iss: the sandbox is not trusted by a file that does not list it', async () => {
    await expectRefused(await setup(), bearer(await sandboxToken(keys, SERVICE_AUD)), 'iss');
  });

  it('jku: a value on the issuer allow-list passes, any other is refused', async () => {
    const v = await setup();
    await expect(v.verifier.verify(bearer(await ehrToken(keys, { header: { jku: EHR_JKU } })), SERVICE_AUD, SERVICE_ID)).resolves.toBeDefined();
    const line = await expectRefused(v, bearer(await ehrToken(keys, { header: { jku: 'https://attacker.example.net/jwks.json' } })), 'jku');
    expect(line.received).toBe('https://attacker.example.net/jwks.json');
  });

  it('jku: an issuer without a jku list refuses any jku', async () => {
    const token = await signToken(
      keys.es384.privateKey,
      { alg: 'ES384', typ: 'JWT', kid: keys.es384.kid, jku: EHR_JKU },
      { ...defaultPayload(LIMITED_ISS), tenant: 'tenant-a' },
    );
    await expectRefused(await setup(), bearer(token), 'jku', { serviceId: 'some-other-service' });
  });

  it('signature: unknown kid', async () => {
    await expectRefused(await setup(), bearer(await ehrToken(keys, { header: { kid: 'no-such-kid' } })), 'signature', { reason: /kid/ });
  });

  it('signature: signed by another key under a known kid', async () => {
    const token = await signToken(keys.impostor.privateKey, { alg: 'ES384', typ: 'JWT', kid: keys.es384.kid }, defaultPayload(EHR_ISS));
    await expectRefused(await setup(), bearer(token), 'signature', { reason: /does not verify/ });
  });

  it('signature: a tampered payload', async () => {
    const [h, , s] = (await ehrToken(keys)).split('.');
    const forged = Buffer.from(JSON.stringify({ ...defaultPayload(EHR_ISS), tenant: 'x' })).toString('base64url');
    await expectRefused(await setup(), bearer(`${h}.${forged}.${s}`), 'signature');
  });

  it('aud: a different endpoint is refused, with expected and received logged', async () => {
    const line = await expectRefused(await setup(), bearer(await ehrToken(keys)), 'aud', { aud: FEEDBACK_AUD });
    expect(line).toMatchObject({ expected: FEEDBACK_AUD, received: SERVICE_AUD, iss: EHR_ISS, kid: keys.es384.kid });
    expect(typeof line.jti).toBe('string');
  });

  it('aud: an array containing the endpoint passes, an array without it is refused', async () => {
    const v = await setup();
    const ok = await ehrToken(keys, { payload: { aud: ['https://other.example.org/x', SERVICE_AUD] } });
    await expect(v.verifier.verify(bearer(ok), SERVICE_AUD, SERVICE_ID)).resolves.toBeDefined();
    const bad = await ehrToken(keys, { payload: { aud: ['https://other.example.org/x', FEEDBACK_AUD] } });
    await expectRefused(v, bearer(bad), 'aud');
  });

  it('aud: missing', async () => {
    await expectRefused(await setup(), bearer(await ehrToken(keys, { omit: ['aud'] })), 'aud');
  });

  it('exp: expired beyond the skew is refused; within the skew passes', async () => {
    const v = await setup({ clockSkewSeconds: 60 });
    await expect(
      v.verifier.verify(bearer(await ehrToken(keys, { payload: { iat: NOW_S - 200, exp: NOW_S - 30 } })), SERVICE_AUD, SERVICE_ID),
    ).resolves.toBeDefined();
    await expectRefused(v, bearer(await ehrToken(keys, { payload: { iat: NOW_S - 200, exp: NOW_S - 61 } })), 'exp', { reason: /expired/ });
  });

  it('exp: required', async () => {
    await expectRefused(await setup(), bearer(await ehrToken(keys, { omit: ['exp'] })), 'exp', { reason: /missing/ });
  });

  it('iat: in the future beyond the skew is refused; within the skew passes', async () => {
    const v = await setup({ clockSkewSeconds: 60 });
    await expect(v.verifier.verify(bearer(await ehrToken(keys, { payload: { iat: NOW_S + 30 } })), SERVICE_AUD, SERVICE_ID)).resolves.toBeDefined();
    await expectRefused(v, bearer(await ehrToken(keys, { payload: { iat: NOW_S + 61 } })), 'iat', { reason: /future/ });
  });

  it('iat: older than maxTokenAgeSeconds (+ skew) is refused even if exp is far away', async () => {
    const v = await setup({ clockSkewSeconds: 60, maxTokenAgeSeconds: 600 });
    await expect(
      v.verifier.verify(bearer(await ehrToken(keys, { payload: { iat: NOW_S - 650, exp: NOW_S + 3600 } })), SERVICE_AUD, SERVICE_ID),
    ).resolves.toBeDefined();
    await expectRefused(v, bearer(await ehrToken(keys, { payload: { iat: NOW_S - 661, exp: NOW_S + 3600 } })), 'iat', { reason: /too old/ });
  });

  it('iat: required', async () => {
    await expectRefused(await setup(), bearer(await ehrToken(keys, { omit: ['iat'] })), 'iat', { reason: /missing/ });
  });

  it('nbf: a token not valid yet is refused', async () => {
    await expectRefused(await setup(), bearer(await ehrToken(keys, { payload: { nbf: NOW_S + 120 } })), 'nbf');
  });

  it('nbf: within the skew passes (an EHR clock a little ahead); beyond it, or not a number, is refused', async () => {
    const v = await setup({ clockSkewSeconds: 60 });
    await expect(v.verifier.verify(bearer(await ehrToken(keys, { payload: { nbf: NOW_S + 30 } })), SERVICE_AUD, SERVICE_ID)).resolves.toBeDefined();
    await expectRefused(v, bearer(await ehrToken(keys, { payload: { nbf: NOW_S + 61 } })), 'nbf');
    await expectRefused(v, bearer(await ehrToken(keys, { payload: { nbf: 'tomorrow' as unknown as number } /* deliberately not a NumericDate */ })), 'nbf');
  });

  it('jti: required', async () => {
    await expectRefused(await setup(), bearer(await ehrToken(keys, { omit: ['jti'] })), 'jti', { reason: /missing/ });
  });

  it('jti: a replayed token is refused the second time', async () => {
    const v = await setup();
    const token = await ehrToken(keys);
    await expect(v.verifier.verify(bearer(token), SERVICE_AUD, SERVICE_ID)).resolves.toBeDefined();
    await expectRefused(v, bearer(token), 'jti', { reason: /replayed/ });
  });

  it('jti: a token refused for another reason does not use up its id', async () => {
    const v = await setup();
    const jti = randomUUID();
    await expectRefused(v, bearer(await ehrToken(keys, { payload: { jti } })), 'aud', { aud: FEEDBACK_AUD });
    await expect(v.verifier.verify(bearer(await ehrToken(keys, { payload: { jti } })), SERVICE_AUD, SERVICE_ID)).resolves.toBeDefined();
  });

  it('tenant: an issuer with a tenant list requires a listed tenant', async () => {
    const v = await setup();
    const sign = (extra: Record<string, unknown>, omit: string[] = []) =>
      signToken(keys.es384.privateKey, { alg: 'ES384', typ: 'JWT', kid: keys.es384.kid }, defaultPayload(LIMITED_ISS), { payload: extra, omit });
    const caller = await v.verifier.verify(bearer(await sign({ tenant: 'tenant-a' })), SERVICE_AUD, 'some-other-service');
    expect(caller.tenant).toBe('tenant-a');
    await expectRefused(v, bearer(await sign({ tenant: 'tenant-b' })), 'tenant', { serviceId: 'some-other-service' });
    await expectRefused(v, bearer(await sign({})), 'tenant', { serviceId: 'some-other-service', reason: /missing/ });
  });

  it('service: a valid caller whose issuer does not allow this service gets 403', async () => {
    const token = await signToken(
      keys.es384.privateKey,
      { alg: 'ES384', typ: 'JWT', kid: keys.es384.kid },
      { ...defaultPayload(LIMITED_ISS), tenant: 'tenant-a' },
    );
    await expectRefused(await setup(), bearer(token), 'service', { status: 403 });
  });

  it('service: no service id (an endpoint not tied to a service) skips the service check', async () => {
    const v = await setup();
    const token = await signToken(keys.es384.privateKey, { alg: 'ES384', typ: 'JWT', kid: keys.es384.kid }, { ...defaultPayload(LIMITED_ISS), tenant: 'tenant-a' });
    await expect(v.verifier.verify(bearer(token), SERVICE_AUD, null)).resolves.toMatchObject({ iss: LIMITED_ISS });
  });
});

describe('createAuthVerifier: logging', () => {
  it('names the failed check and never writes the token', async () => {
    const v = await setup();
    const token = await ehrToken(keys);
    const [, payloadPart, signaturePart] = token.split('.');
    await expectRefused(v, bearer(token), 'aud', { aud: FEEDBACK_AUD });
    const text = v.logs.text();
    expect(text).toContain('"check":"aud"');
    expect(text).toContain(`"expected":"${FEEDBACK_AUD}"`);
    expect(text).not.toContain(token);
    expect(text).not.toContain(payloadPart as string);
    expect(text).not.toContain(signaturePart as string);
  });

  it('does not write the token when it succeeds either', async () => {
    const v = await setup();
    const token = await ehrToken(keys);
    await v.verifier.verify(bearer(token), SERVICE_AUD, SERVICE_ID);
    expect(v.logs.text()).toContain('caller verified');
    expect(v.logs.text()).not.toContain(token.split('.')[2] as string);
  });
});

describe('createAuthVerifier: a flood of refusals', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it(`logs at most ${REFUSAL_LINES_PER_MINUTE} refusal lines a minute, counts every refusal in the metric, and sums up the rest in one line when the minute ends`, async () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 11, 7, 12), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const logs = captureLogs();
    const metrics = new Metrics();
    const verifier = (await createAuthVerifier(testConfig({ trustedIssuersFile: issuersFile }), logs.logger, { now: fixedNow, metrics }))!;
    const refuse = (authorization: string | undefined) => verifier.verify(authorization, SERVICE_AUD, SERVICE_ID).then(() => 'accepted', () => 'refused');
    const results: string[] = [];
    for (let i = 0; i < REFUSAL_LINES_PER_MINUTE + 7; i++) results.push(await refuse(undefined));
    for (let i = 0; i < 3; i++) results.push(await refuse('Basic abc'));
    expect(new Set(results)).toEqual(new Set(['refused']));
    const failed = () => logs.lines().filter((l) => l.msg === 'caller verification failed');
    expect(failed()).toHaveLength(REFUSAL_LINES_PER_MINUTE);
    expect(await metrics.registry.getSingleMetricAsString('cds_caller_refusals_total')).toContain(`cds_caller_refusals_total{check="header"} ${REFUSAL_LINES_PER_MINUTE + 10}`);
    expect(logs.lines().filter((l) => /more often than logged/.test(String(l.msg)))).toEqual([]);

    jest.advanceTimersByTime(60_000);
    const summary = logs.lines().filter((l) => /more often than logged/.test(String(l.msg)));
    expect(summary).toEqual([expect.objectContaining({ level: 40, notLogged: 10, byCheck: { header: 10 } })]);

    // A new minute: refusals are logged one by one again.
    await refuse(undefined);
    expect(failed()).toHaveLength(REFUSAL_LINES_PER_MINUTE + 1);
  });

  it('a full replay cache is logged at error level even while bad tokens flood, and counted under its own label', async () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 11, 7, 12), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const logs = captureLogs();
    const metrics = new Metrics();
    const cache = { checkAndStore: () => Promise.resolve('full' as const) };
    const verifier = (await createAuthVerifier(testConfig({ trustedIssuersFile: issuersFile }), logs.logger, { now: fixedNow, metrics, replayCache: cache }))!;
    for (let i = 0; i < REFUSAL_LINES_PER_MINUTE + 5; i++) await verifier.verify(undefined, SERVICE_AUD, SERVICE_ID).catch(() => undefined);
    await verifier.verify(bearer(await ehrToken(keys)), SERVICE_AUD, SERVICE_ID).catch(() => undefined);
    expect(logs.lines().filter((l) => l.level === 50 && l.check === 'jti' && l.reason === 'replay cache full')).toHaveLength(1);
    expect(await metrics.registry.getSingleMetricAsString('cds_caller_refusals_total')).toContain('cds_caller_refusals_total{check="replay-cache-full"} 1');
  });
});

describe('createAuthVerifier: replay cache', () => {
  it('uses an injected replay cache, keyed by issuer and jti, kept until the token can no longer pass', async () => {
    const calls: [string, number, number][] = [];
    const cache = {
      checkAndStore(key: string, expiresAt: number, now: number) {
        calls.push([key, expiresAt, now]);
        return Promise.resolve('new' as const);
      },
    };
    const verifier = await createAuthVerifier(testConfig({ trustedIssuersFile: issuersFile, clockSkewSeconds: 60, maxTokenAgeSeconds: 600 }), captureLogs().logger, {
      now: fixedNow,
      replayCache: cache,
    });
    const jti = randomUUID();
    await verifier!.verify(bearer(await ehrToken(keys, { payload: { jti, iat: NOW_S, exp: NOW_S + 300 } })), SERVICE_AUD, SERVICE_ID);
    await verifier!.verify(bearer(await ehrToken(keys, { payload: { iat: NOW_S, exp: NOW_S + 86400 } })), SERVICE_AUD, SERVICE_ID);
    expect(calls[0]).toEqual([`${EHR_ISS}\u0000${jti}`, NOW_S + 300 + 60, NOW_S]);
    // A far exp is capped by the age limit: the token is refused as too old after iat + maxAge + skew.
    expect(calls[1]?.[1]).toBe(NOW_S + 600 + 60);
  });

  it('a full replay cache refuses (fails closed) and logs at error level', async () => {
    const cache = { checkAndStore: () => Promise.resolve('full' as const) };
    const logs = captureLogs();
    const verifier = await createAuthVerifier(testConfig({ trustedIssuersFile: issuersFile }), logs.logger, { now: fixedNow, replayCache: cache });
    await expectRefused({ verifier: verifier!, logs }, bearer(await ehrToken(keys)), 'jti', { reason: /full/ });
    expect(logs.lines().some((l) => l.level === 50 && l.check === 'jti')).toBe(true);
  });
});
