/**
 * JWT attacks through the HTTP API (docs: config/README.md "Caller verification"): each answers 401 with
 * an empty body, and none makes the service fetch anything (no request leaves the process: keys come only
 * from the trusted-issuers file and an allow-listed jku; x5u, x5c and an embedded jwk are ignored).
 */
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import nock from 'nock';
import { silentLogger } from '../../src/observability/logger.js';
import { createAuthVerifier } from '../../src/transport/auth/index.js';
import { buildTestApp, FIXED_NOW, listenOnLoopback, patientViewRequest, testConfig, type TestApp } from '../support/testApp.js';

const BASE = 'http://localhost:3000';
const PATH = '/cds-services/nkr-pain-patient-view';
const AUD = BASE + PATH;
const ISS = 'https://ehr.hardening.example';
const KID = 'ehr-key-1';
const NOW_S = Math.floor(FIXED_NOW / 1000);

let dir = '';
let key: CryptoKey;
let publicJwk: JWK;
let attackerKey: CryptoKey;
let attackerJwk: JWK;
let app: TestApp['app'];
let loopback: Awaited<ReturnType<typeof listenOnLoopback>>;
let baseUrl = '';
const outgoing: string[] = [];

const enc = (o: unknown): string => base64url.encode(JSON.stringify(o));
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ iss: ISS, aud: AUD, iat: NOW_S, exp: NOW_S + 300, jti: randomUUID(), ...extra });
const sign = (header: Record<string, unknown>, payload: Record<string, unknown>, k: CryptoKey | Uint8Array = key): Promise<string> =>
  new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(k);
const good = (extraClaims: Record<string, unknown> = {}, extraHeader: Record<string, unknown> = {}): Promise<string> =>
  sign({ alg: 'ES384', typ: 'JWT', kid: KID, ...extraHeader }, claims(extraClaims));

beforeAll(async () => {
  const pair = await generateKeyPair('ES384');
  key = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES384', use: 'sig' };
  const attacker = await generateKeyPair('ES384');
  attackerKey = attacker.privateKey;
  attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: KID, alg: 'ES384' };
  dir = mkdtempSync(join(tmpdir(), 'nkr-jwt-attacks-'));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [publicJwk] }));
  writeFileSync(
    join(dir, 'issuers.json'),
    JSON.stringify({ issuers: [{ iss: ISS, jwksFile: 'jwks.json', jku: ['https://ehr.hardening.example/jwks.json'], services: '*' }] }),
  );
  const env = { AUTH: 'on', PUBLIC_BASE_URL: BASE, TRUSTED_ISSUERS_FILE: join(dir, 'issuers.json') };
  const verifier = await createAuthVerifier(testConfig(env), silentLogger(), { now: () => FIXED_NOW });
  app = buildTestApp({ env, verifier }).app;
  loopback = await listenOnLoopback(app);
  baseUrl = loopback.baseUrl;
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  nock.emitter.on('no match', (req: { hostname?: string; path?: string; options?: { hostname?: string } }) => {
    const host = req.hostname ?? req.options?.hostname ?? '?';
    // supertest's own loopback call to the app is not the service fetching anything.
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') outgoing.push(`${host}${req.path ?? ''}`);
  });
});

afterAll(async () => {
  await loopback.close();
  nock.emitter.removeAllListeners('no match');
  nock.enableNetConnect();
  rmSync(dir, { recursive: true, force: true });
});

/** A real HTTP call over loopback (fetch), as an EHR makes it. */
const call = async (token: string | undefined): Promise<{ status: number; text: string }> => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(baseUrl + PATH, { method: 'POST', headers, body: JSON.stringify(patientViewRequest('gsb-workup-missing')), signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text() };
};

test('control: a well-formed token from the trusted issuer is accepted', async () => {
  const res = await call(await good());
  expect(res.status).toBe(200);
});

const hmacWithPublicKey = async (alg: 'HS256' | 'HS384'): Promise<string> => {
  // The classic confusion attack: an HMAC "signed" with the issuer's public key as the shared secret.
  const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
  return sign({ alg, typ: 'JWT', kid: KID }, claims(), secret);
};

const attacks: Array<[string, () => Promise<string> | string]> = [
  ['alg none', () => `${enc({ alg: 'none', typ: 'JWT', kid: KID })}.${enc(claims())}.`],
  ['alg NONE (case)', () => `${enc({ alg: 'NONE', typ: 'JWT', kid: KID })}.${enc(claims())}.`],
  ['HS256 signed with the public key', () => hmacWithPublicKey('HS256')],
  ['HS384 signed with the public key', () => hmacWithPublicKey('HS384')],
  ['attacker key embedded in the header (jwk)', () => sign({ alg: 'ES384', typ: 'JWT', kid: KID, jwk: attackerJwk }, claims(), attackerKey)],
  ['jku off the allow-list', () => sign({ alg: 'ES384', typ: 'JWT', kid: KID, jku: 'https://attacker.example/jwks.json' }, claims(), attackerKey)],
  ['x5u off the allow-list', () => sign({ alg: 'ES384', typ: 'JWT', kid: KID, x5u: 'https://attacker.example/cert.pem' }, claims(), attackerKey)],
  ['x5c certificate chain in the header', () => sign({ alg: 'ES384', typ: 'JWT', kid: KID, x5c: ['MIIB'] }, claims(), attackerKey)],
  ['signed by another key under the known kid', () => sign({ alg: 'ES384', typ: 'JWT', kid: KID }, claims(), attackerKey)],
  ['expired', () => good({ iat: NOW_S - 900, exp: NOW_S - 600 })],
  ['not yet valid (nbf)', () => good({ nbf: NOW_S + 3600 })],
  ['issued in the future', () => good({ iat: NOW_S + 3600, exp: NOW_S + 3900 })],
  ['wrong aud', () => good({ aud: `${BASE}/cds-services/nkr-pain-order-select` })],
  ['aud of another host', () => good({ aud: `https://evil.example${PATH}` })],
  ['unknown iss', () => good({ iss: 'https://unknown.example' })],
  ['unknown kid', () => good({}, { kid: 'no-such-kid' })],
  ['no jti', () => sign({ alg: 'ES384', typ: 'JWT', kid: KID }, { iss: ISS, aud: AUD, iat: NOW_S, exp: NOW_S + 300 })],
  ['truncated (signature cut)', async () => (await good()).slice(0, -20)],
  ['truncated (two segments)', async () => (await good()).split('.').slice(0, 2).join('.')],
  ['four segments', async () => `${await good()}.extra`],
  ['header not JSON', async () => `${base64url.encode('not json')}.${(await good()).split('.').slice(1).join('.')}`],
  ['payload not JSON', async () => { const [h, , s] = (await good()).split('.'); return `${h}.${base64url.encode('{"iss":')}.${s}`; }],
  ['not base64url', () => '!!!.@@@.###'],
  // Validly signed, but larger than any CDS client's token: refused before parsing (verifier MAX_TOKEN_LENGTH).
  ['oversized token (9 KB of claims, under the HTTP header limit)', () => good({ pad: 'x'.repeat(9 * 1024) })],
  ['empty bearer', () => ''],
];

test.each(attacks)('%s → 401 with an empty body, and nothing is fetched', async (_name, make) => {
  const before = outgoing.length;
  const res = await call(await make());
  expect(res.status).toBe(401);
  expect(res.text).toBe('');
  expect(outgoing.slice(before)).toEqual([]);
});

test('jwk, x5u and x5c headers are ignored, never fetched or used: signed by the trusted key → 200, by their own key → 401 (above)', async () => {
  const before = outgoing.length;
  for (const header of [{ jwk: attackerJwk }, { x5u: 'https://attacker.example/cert.pem' }, { x5c: ['MIIB'] }]) {
    expect({ header: Object.keys(header), status: (await call(await good({}, header))).status }).toEqual({ header: Object.keys(header), status: 200 });
  }
  expect(outgoing.slice(before)).toEqual([]);
});

test('a jku off the issuer allow-list is refused even on a token signed by the trusted key', async () => {
  expect((await call(await good({}, { jku: 'https://attacker.example/jwks.json' }))).status).toBe(401);
});

test('a replayed jti → 401 the second time, nothing fetched', async () => {
  const token = await good();
  expect((await call(token)).status).toBe(200);
  const res = await call(token);
  expect(res.status).toBe(401);
  expect(outgoing).toEqual([]);
});

test('an RSA key the issuer does not have (RS384 under an unknown kid) → 401', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  expect(createPublicKey(privateKey).asymmetricKeyType).toBe('rsa');
  const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS384', typ: 'JWT', kid: 'rsa-unknown' }).sign(privateKey);
  expect((await call(token)).status).toBe(401);
});

test('a token larger than the HTTP header limit (64 KB) is refused by the server itself with 431, without hanging', async () => {
  const token = await good({ pad: 'x'.repeat(64 * 1024) });
  const res = await call(token);
  expect(res.status).toBe(431);
  expect(outgoing).toEqual([]);
});
