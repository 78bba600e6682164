import { beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../src/projectRoot.js';
import { readTrustedIssuersFile, TrustedIssuersError } from '../../../src/transport/auth/trustedIssuers.js';
import { createAuthVerifier } from '../../../src/transport/auth/verifier.js';
import { HttpError } from '../../../src/transport/operationOutcome.js';
import {
  EHR_ISS,
  ehrToken,
  fixedNow,
  makeKeys,
  sandboxToken,
  SERVICE_AUD,
  SERVICE_ID,
  testConfig,
  writeIssuersFile,
  type Keys,
} from './authTestKit.js';
import { captureLogs } from '../../support/captureLogs.js';

const SANDBOX_JWKS_COPY = join(projectRoot, 'config', 'sandbox-jwks.json');
const PRODUCTION = { PUBLIC_BASE_URL: 'http://localhost:3000', NODE_ENV: 'production' };

let keys: Keys;
beforeAll(async () => {
  keys = await makeKeys();
});

describe('bundled development configuration', () => {
  it('config/sandbox-jwks.json is an exact copy of the sandbox JWK Set (fixtures/sandbox/)', () => {
    const recorded = JSON.parse(readFileSync(join(projectRoot, 'fixtures', 'sandbox', 'sandbox-jwks.json'), 'utf8')) as unknown;
    expect(JSON.parse(readFileSync(SANDBOX_JWKS_COPY, 'utf8'))).toEqual(recorded);
  });

  it('config/sandbox-jwks.json holds the public half of the sandbox\'s published signing key', () => {
    const set = JSON.parse(readFileSync(SANDBOX_JWKS_COPY, 'utf8')) as { keys: Array<Record<string, unknown>> };
    const published = createPublicKey(createPrivateKey(readFileSync(join(projectRoot, 'fixtures', 'sandbox', 'sandbox-signing-key.pem'), 'utf8'))).export({ format: 'jwk' });
    expect(set.keys).toHaveLength(1);
    expect(set.keys[0]).toMatchObject({ kty: published.kty, crv: published.crv, x: published.x, y: published.y, kid: '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f' });
  });

  it('the development file trusts the sandbox with the bundled JWKS and its jku', () => {
    const [sandbox, ...rest] = readTrustedIssuersFile(join(projectRoot, 'config', 'trusted-issuers.development.json'), false);
    expect(rest).toEqual([]);
    expect(sandbox).toMatchObject({
      iss: 'https://sandbox.cds-hooks.org',
      keys: { kind: 'file', path: SANDBOX_JWKS_COPY },
      jku: ['https://sandbox.cds-hooks.org/.well-known/jwks.json'],
      services: '*',
      tenants: null,
    });
  });
});

describe('production', () => {
  const sandboxEntry = { iss: 'https://sandbox.cds-hooks.org', jwksFile: SANDBOX_JWKS_COPY, services: '*' };

  it('drops the sandbox issuer from a file that lists it, with a warning', async () => {
    const file = writeIssuersFile(
      [sandboxEntry, { iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' }],
      { 'ehr.json': { keys: [keys.es384.publicJwk] } },
    );
    const logs = captureLogs();
    const verifier = await createAuthVerifier(testConfig({ trustedIssuersFile: file }, PRODUCTION), logs.logger, { now: fixedNow });
    expect(logs.lines().some((l) => l.level === 40 && String(l.msg).includes('dropping the CDS Hooks sandbox'))).toBe(true);

    await expect(verifier!.verify(`Bearer ${await ehrToken(keys)}`, SERVICE_AUD, SERVICE_ID)).resolves.toMatchObject({ iss: EHR_ISS });
    const refused = await verifier!.verify(`Bearer ${await sandboxToken(keys, SERVICE_AUD)}`, SERVICE_AUD, SERVICE_ID).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(401);
    expect(logs.lines().some((l) => l.check === 'iss' && l.iss === 'https://sandbox.cds-hooks.org')).toBe(true);
  });

  it('drops an issuer that ships the sandbox key under another name', async () => {
    const file = writeIssuersFile(
      [
        { iss: 'https://renamed.example.org', jwksFile: SANDBOX_JWKS_COPY, services: '*' },
        { iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' },
      ],
      { 'ehr.json': { keys: [keys.es384.publicJwk] } },
    );
    const logs = captureLogs();
    await expect(createAuthVerifier(testConfig({ trustedIssuersFile: file }, PRODUCTION), logs.logger)).resolves.not.toBeNull();
    const dropped = logs.lines().filter((l) => String(l.msg).includes('dropping the CDS Hooks sandbox')).map((l) => l.iss);
    expect(dropped).toEqual(['https://renamed.example.org']);
    const loaded = logs.lines().find((l) => String(l.msg).includes('trusted issuers loaded'));
    expect(loaded?.issuers).toEqual([EHR_ISS]);
  });

  it('throws a clear error when the file lists only the sandbox', async () => {
    const file = writeIssuersFile([sandboxEntry]);
    await expect(createAuthVerifier(testConfig({ trustedIssuersFile: file }, PRODUCTION), captureLogs().logger)).rejects.toThrow(TrustedIssuersError);
  });

  it('has no default file: without TRUSTED_ISSUERS_FILE creating the verifier throws', async () => {
    const err = await createAuthVerifier(testConfig({ trustedIssuersFile: null }, PRODUCTION), captureLogs().logger).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrustedIssuersError);
    expect(String((err as Error).message)).toMatch(/TRUSTED_ISSUERS_FILE/);
    expect(String((err as Error).message)).toMatch(/AUTH=off/);
  });

  it('with auth switched off, no issuers are needed (and an error-level line says so)', async () => {
    const logs = captureLogs();
    await expect(createAuthVerifier(testConfig({ required: false, trustedIssuersFile: null }, PRODUCTION), logs.logger)).resolves.toBeNull();
    expect(logs.lines().some((l) => l.level === 50 && String(l.msg).includes('OFF'))).toBe(true);
  });

  it('refuses a plain-http jwksUri', () => {
    const file = writeIssuersFile([{ iss: EHR_ISS, jwksUri: 'http://keys.example.org/jwks.json', services: '*' }]);
    expect(() => readTrustedIssuersFile(file, true)).toThrow(/https/);
    expect(readTrustedIssuersFile(file, false)[0]?.keys).toEqual({ kind: 'remote', uri: 'http://keys.example.org/jwks.json' });
  });
});

describe('file validation', () => {
  const ehrJwks = (): Record<string, { keys: unknown[] }> => ({ 'ehr.json': { keys: [keys.es384.publicJwk] } });
  const cases: [string, unknown[], Record<string, { keys: unknown[] }> | undefined, RegExp][] = [
    ['an unknown field (typo)', [{ iss: EHR_ISS, jwksFile: 'ehr.json', service: '*' }], undefined, /unknown field "service"/],
    ['neither jwksFile nor jwksUri', [{ iss: EHR_ISS, services: '*' }], undefined, /exactly one of jwksFile or jwksUri/],
    ['both jwksFile and jwksUri', [{ iss: EHR_ISS, jwksFile: 'ehr.json', jwksUri: 'https://k.example.org/j', services: '*' }], undefined, /exactly one/],
    ['no services', [{ iss: EHR_ISS, jwksFile: 'ehr.json' }], undefined, /services/],
    ['the same iss twice', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' }, { iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' }], undefined, /twice/],
    ['a missing JWKS file', [{ iss: EHR_ISS, jwksFile: 'nope.json', services: '*' }], {}, /cannot read/],
    ['a private key in the JWKS', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' }], { 'ehr.json': { keys: [{ kty: 'EC', kid: 'k', d: 'secret' }] } }, /private key/],
    ['a symmetric key in the JWKS', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' }], { 'ehr.json': { keys: [{ kty: 'oct', kid: 'k', k: 'c2VjcmV0' }] } }, /symmetric/],
    ['a key without kid', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' }], { 'ehr.json': { keys: [{ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' }] } }, /keys\[0\] lacks "kid"/],
    ['two keys with the same kid', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' }], { 'ehr.json': { keys: [{ kty: 'EC', kid: 'k' }, { kty: 'EC', kid: 'k' }] } }, /two keys with kid "k"/],
    ['an empty JWK Set', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' }], { 'ehr.json': { keys: [] } }, /keys must NOT have fewer than 1 items/],
    ['a jku that is not a URL', [{ iss: EHR_ISS, jwksFile: 'ehr.json', jku: ['not a url'], services: '*' }], undefined, /jku\[0\] is not an absolute URL/],
    ['a jwksUri that is not http(s)', [{ iss: EHR_ISS, jwksUri: 'ftp://k.example.org/j', services: '*' }], undefined, /jwksUri is not an absolute URL/],
    ['an empty services list', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: [] }], undefined, /services must be "\*" or a non-empty list/],
    ['services as one string', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: 'nkr-pain-patient-view' }], undefined, /services must be "\*" or a non-empty list/],
    ['an empty tenants list', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*', tenants: [] }], undefined, /tenants must be a non-empty list/],
    ['a blank iss', [{ iss: ' ', jwksFile: 'ehr.json', services: '*' }], undefined, /issuers\[0\] \( \)\.iss must match pattern/],
    ['a jwksTimeoutMs out of range', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*', jwksTimeoutMs: 0 }], undefined, /jwksTimeoutMs must be >= 1/],
    ['a fractional jwksCacheMaxAgeSeconds', [{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*', jwksCacheMaxAgeSeconds: 1.5 }], undefined, /jwksCacheMaxAgeSeconds must be integer/],
  ];
  it.each(cases)('refuses %s', (_name, issuers, jwks, message) => {
    const file = writeIssuersFile(issuers, (jwks ?? ehrJwks()) as Record<string, { keys: never[] }>);
    expect(() => readTrustedIssuersFile(file, false)).toThrow(message);
  });

  it('refuses a file without an issuers list, or with an unknown top-level field', () => {
    const file = writeIssuersFile([]);
    writeFileSync(file, JSON.stringify({ issuer: [] }));
    expect(() => readTrustedIssuersFile(file, false)).toThrow(/the file lacks "issuers".*the file has an unknown field "issuer"|the file has an unknown field "issuer".*the file lacks "issuers"/);
    writeFileSync(file, '{ not json');
    expect(() => readTrustedIssuersFile(file, false)).toThrow(/is not JSON/);
  });

  it('fills the defaults and reads "*" inside a service list as all services', () => {
    const file = writeIssuersFile([{ iss: EHR_ISS, jwksFile: 'ehr.json', services: ['a', '*'] }], ehrJwks() as Record<string, { keys: never[] }>);
    expect(readTrustedIssuersFile(file, false)[0]).toMatchObject({ services: '*', tenants: null, jku: [], jwksTimeoutMs: 3000, jwksCacheMaxAgeSeconds: 600 });
  });

  it('resolves jwksFile relative to the trusted-issuers file and accepts a service list', () => {
    const file = writeIssuersFile([{ iss: EHR_ISS, jwksFile: 'ehr.json', services: ['a', 'b'], tenants: ['t'] }], ehrJwks() as Record<string, { keys: never[] }>);
    const [issuer] = readTrustedIssuersFile(file, false);
    expect(issuer).toMatchObject({ services: ['a', 'b'], tenants: ['t'], jku: [], keys: { kind: 'file', path: join(file, '..', 'ehr.json') } });
  });

  it('a service id the process does not offer (a typo) stops the start, naming it; the process\'s own ids and "*" pass', () => {
    const ids = ['nkr-pain-patient-view', 'nkr-pain-order-select'];
    const typo = writeIssuersFile([{ iss: EHR_ISS, jwksFile: 'ehr.json', services: ['nkr-pain-patient-view', 'nkr-pain-nope'] }], ehrJwks() as Record<string, { keys: never[] }>);
    expect(() => readTrustedIssuersFile(typo, false, ids)).toThrow(/issuers\[0\] \(https:[^)]*\)\.services: "nkr-pain-nope" is no service of this process; known: nkr-pain-order-select, nkr-pain-patient-view/);
    const own = writeIssuersFile([{ iss: EHR_ISS, jwksFile: 'ehr.json', services: ['nkr-pain-order-select'] }], ehrJwks() as Record<string, { keys: never[] }>);
    expect(readTrustedIssuersFile(own, false, ids)[0]?.services).toEqual(['nkr-pain-order-select']);
    const all = writeIssuersFile([{ iss: EHR_ISS, jwksFile: 'ehr.json', services: '*' }], ehrJwks() as Record<string, { keys: never[] }>);
    expect(readTrustedIssuersFile(all, false, ids)[0]?.services).toBe('*');
  });

  it('an empty issuers list makes createAuthVerifier throw (every call would fail)', async () => {
    const file = writeIssuersFile([]);
    await expect(createAuthVerifier(testConfig({ trustedIssuersFile: file }), captureLogs().logger)).rejects.toThrow(/no trusted issuers/);
  });
});
