import request from 'supertest';
import { silentLogger } from '../../src/observability/logger.js';
import { createAuthVerifier } from '../../src/transport/auth/index.js';
import { buildTestApp, FIXED_NOW, testConfig, validator } from '../support/testApp.js';

interface DiscoveredService {
  hook: string;
  id: string;
  title?: string;
  description: string;
  prefetch?: Record<string, string>;
  usageRequirements?: string;
  [k: string]: unknown;
}

async function discover(): Promise<{ status: number; type: string; body: { services: DiscoveredService[] } }> {
  const { app } = buildTestApp();
  const res = await request(app).get('/cds-services').set('Accept', 'application/json');
  return { status: res.status, type: String(res.headers['content-type']), body: res.body as { services: DiscoveredService[] } };
}

/** Paths (e.g. "services[0].prefetch") of every null, "", [] or {} below `value`. */
function emptyValues(value: unknown, path = '(root)'): string[] {
  if (value === null || value === '') return [path];
  if (Array.isArray(value)) return value.length === 0 ? [path] : value.flatMap((v, i) => emptyValues(v, `${path}[${i}]`));
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? [path] : entries.flatMap(([k, v]) => emptyValues(v, `${path}.${k}`));
  }
  return [];
}

/** CDS Hooks 2.0 prefetch tokens (https://cds-hooks.hl7.org/2.0/#prefetch-tokens): primitive context fields the hooks mark as tokens, and the user tokens. */
const CONTEXT_TOKENS = new Set(['context.patientId', 'context.userId']);
const USER_TOKENS = new Set(['userPractitionerId', 'userPractitionerRoleId', 'userPatientId', 'userRelatedPersonId']);
/** Search parameters outside the recommended subset (no includes, reverse chaining, or result shaping besides _count/_sort). */
const UNDERSCORE_ALLOWED = new Set(['_count', '_sort', '_id', '_lastUpdated']);

function tokensOf(template: string): string[] {
  return [...template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1] as string);
}

describe('GET /cds-services (D1–D4)', () => {
  test('D1: 200, application/json, {services:[…]} with at least one service (the sandbox refuses zero)', async () => {
    const { status, type, body } = await discover();
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(Array.isArray(body.services)).toBe(true);
    expect(body.services.length).toBeGreaterThan(0);
  });

  test('validates against schemas/discovery.schema.json', async () => {
    const { body } = await discover();
    expect(validator.problems('discovery', body)).toEqual([]);
  });

  test('D2: every service has hook, id, description and title as non-empty strings; no null/empty optional fields', async () => {
    const { body } = await discover();
    for (const s of body.services) {
      for (const field of ['hook', 'id', 'description', 'title'] as const) {
        expect(typeof s[field]).toBe('string');
        expect((s[field] as string).trim()).not.toBe('');
      }
      expect(['patient-view', 'order-select', 'order-sign']).toContain(s.hook);
    }
    expect(emptyValues(body)).toEqual([]);
  });

  test('descriptions in plain clinical English: "addresses", and the non-drug card is not tied to a "complete" screening (rev 2)', async () => {
    const { body } = await discover();
    const text = body.services.map((s) => s.description).join('\n');
    expect(text).not.toMatch(/speaks about|screening is complete/);
    expect(text).toContain('addresses');
  });

  test('D2: only the fields CDS Hooks 2.0 defines (plus extension)', async () => {
    const { body } = await discover();
    const known = new Set(['hook', 'id', 'title', 'description', 'prefetch', 'usageRequirements', 'extension']);
    for (const s of body.services) expect(Object.keys(s).filter((k) => !known.has(k))).toEqual([]);
  });

  test('D3: ids are unique across hooks and URL-safe', async () => {
    const { body } = await discover();
    const ids = body.services.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._~-]+$/);
  });

  test('the patient-view service is announced', async () => {
    const { body } = await discover();
    const pv = body.services.find((s) => s.id === 'nkr-pain-patient-view');
    expect(pv).toMatchObject({ hook: 'patient-view' });
    expect(Object.keys(pv?.prefetch ?? {})).toEqual(expect.arrayContaining(['conditions', 'labs', 'serviceRequests']));
  });

  test('D4: prefetch templates use only valid tokens, never draftOrders/selections/encounterId', async () => {
    const { body } = await discover();
    const templates = body.services.flatMap((s) => Object.entries(s.prefetch ?? {}).map(([key, t]) => ({ id: s.id, key, t })));
    expect(templates.length).toBeGreaterThan(0);
    for (const { t } of templates) {
      expect(t).not.toMatch(/context\.(draftOrders|selections|encounterId)/);
      const tokens = tokensOf(t);
      expect(tokens.length).toBeGreaterThan(0);
      for (const token of tokens) expect(CONTEXT_TOKENS.has(token) || USER_TOKENS.has(token)).toBe(true);
      // Nothing left that looks like a half-written token.
      expect(t.replace(/\{\{[^}]*\}\}/g, '')).not.toMatch(/[{}]/);
    }
  });

  test('D4: prefetch templates are relative reads or searches in the recommended query subset (https://cds-hooks.hl7.org/2.0/#prefetch-template)', async () => {
    const { body } = await discover();
    // Collected rather than asserted one by one, so a failure names every offending service, key and parameter.
    const violations: string[] = [];
    for (const s of body.services) {
      for (const [key, t] of Object.entries(s.prefetch ?? {})) {
        const where = `${s.id}.prefetch.${key}`;
        if (!/^[A-Z][A-Za-z]+(\/\{\{[^}]+\}\}|\?.+)$/.test(t)) violations.push(`${where}: not a relative Type/{{id}} read or Type?… search`);
        const q = t.indexOf('?');
        if (q === -1) continue;
        for (const pair of t.slice(q + 1).split('&')) {
          const [name = '', value = ''] = pair.split('=');
          if (value === '') violations.push(`${where}: ${name} has no value`);
          // No chaining (a.b), no :modifiers except :in, no _include/_revinclude/_has/_elements.
          if (!/^[A-Za-z_][A-Za-z0-9_-]*(:in)?$/.test(name)) violations.push(`${where}: parameter ${name} (chained or modified)`);
          if (name.startsWith('_') && !UNDERSCORE_ALLOWED.has(name)) violations.push(`${where}: ${name} is outside the recommended query subset`);
          if (name === '_sort' && !/^-?[a-z][a-z-]*$/.test(value)) violations.push(`${where}: _sort=${value} is not FHIR _sort syntax`);
          if (name === '_count' && !/^\d+$/.test(value)) violations.push(`${where}: _count=${value}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  test('other methods on /cds-services → 405 with an Allow header and an OperationOutcome', async () => {
    const { app } = buildTestApp();
    const res = await request(app).post('/cds-services').send({});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toContain('GET');
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  test('the pre-1.0 path /.well-known/cds-services is not served', async () => {
    const { app } = buildTestApp();
    const res = await request(app).get('/.well-known/cds-services');
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('discovery with caller verification on', () => {
  test('stays open without a JWT (and with a junk one), while service calls need one', async () => {
    const env = { AUTH: 'on', PUBLIC_BASE_URL: 'http://localhost:8082' };
    const verifier = await createAuthVerifier(testConfig(env), silentLogger(), { now: () => FIXED_NOW });
    expect(verifier).not.toBeNull();
    const { app } = buildTestApp({ env, verifier });
    const open = await request(app).get('/cds-services');
    expect(open.status).toBe(200);
    expect(open.body.services.length).toBeGreaterThan(0);
    const junk = await request(app).get('/cds-services').set('Authorization', 'Bearer not.a.jwt');
    expect(junk.status).toBe(200);
    const service = await request(app).post('/cds-services/nkr-pain-patient-view').send({});
    expect(service.status).toBe(401);
  });
});
