import { rmSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { FhirFetcher } from '../../src/data/fhirFetcher.js';
import { SQLITE_FILE } from '../../src/store/openStore.js';
import { SqliteDb } from '../../src/store/sqliteDb.js';
import { SqlStore } from '../../src/store/sqlStore.js';
import { closeAll, freshLocation, openAt } from '../store/storeKinds.js';
import { buildTestApp, FIXED_NOW, patientViewRequest } from '../support/testApp.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
const ADMIN_TOKEN = 'admin-token-0123456789';

afterAll(closeAll);

describe('GET /metrics', () => {
  test('open by default, Prometheus text: requests and latency per service and status, cards by kind and indicator', async () => {
    const { app } = buildTestApp();
    expect((await request(app).post('/cds-services/nkr-pain-patient-view').send(patientViewRequest('gsb-workup-missing'))).status).toBe(200);
    expect((await request(app).post('/cds-services/no-such-service').send({})).status).toBe(404);
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('cds_http_requests_total{route="service",service="nkr-pain-patient-view",status="200"} 1');
    expect(res.text).toMatch(/cds_http_request_duration_seconds_bucket\{le="[^"]+",route="service",service="nkr-pain-patient-view",status="200"\} 1/);
    // An unknown id is not a label value (bounded cardinality).
    expect(res.text).toContain('cds_http_requests_total{route="service",service="",status="404"} 1');
    expect(res.text).not.toContain('no-such-service');
    expect(res.text).toContain('cds_cards_issued_total{kind="screening-incomplete",indicator="warning"} 1');
    expect(res.text).toContain('cds_store_up 1');
    expect(res.text).toContain('cds_log_lines_dropped_total 0');
  });

  test('feedback at /Feedback (routed in any case) is counted as feedback of its service', async () => {
    const { app } = buildTestApp();
    const body = { feedback: [{ card: '52bbb69b-841f-44e5-8ee4-8a18ccbfabdc', outcome: 'overridden', outcomeTimestamp: '2026-11-25T12:00:00Z' }] };
    expect((await request(app).post('/cds-services/nkr-pain-patient-view/Feedback').send(body)).status).toBe(200);
    const res = await request(app).get('/metrics');
    expect(res.text).toContain('cds_http_requests_total{route="feedback",service="nkr-pain-patient-view",status="200"} 1');
  });

  test('a percent-encoded service id is counted as the service it is answered as', async () => {
    const { app } = buildTestApp();
    expect((await request(app).post('/cds-services/nkr-pain-patient%2Dview').send(patientViewRequest('gsb-workup-missing'))).status).toBe(200);
    const res = await request(app).get('/metrics');
    expect(res.text).toContain('cds_http_requests_total{route="service",service="nkr-pain-patient-view",status="200"} 1');
    expect(res.text).not.toContain('service="",status="200"');
  });

  test('/admin/report is a route label only when the endpoint exists (ADMIN_TOKEN set)', async () => {
    for (const [env, route] of [[{}, 'other'], [{ ADMIN_TOKEN }, 'admin/report']] as const) {
      const { app } = buildTestApp({ env });
      await request(app).get('/admin/report');
      expect((await request(app).get('/metrics')).text).toMatch(new RegExp(`cds_http_requests_total\\{route="${route}",service="",status="(404|401)"\\} 1`));
    }
  });

  test('with METRICS_TOKEN: 401 without or with a wrong bearer token, 200 with it', async () => {
    const { app } = buildTestApp({ env: { METRICS_TOKEN } });
    const denied = await request(app).get('/metrics');
    expect(denied.status).toBe(401);
    // The realm the route names is what the client gets (the shared error answer no longer overwrites it).
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect((await request(app).get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789')).status).toBe(401);
    const ok = await request(app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('cds_http_requests_total');
  });

  test('FHIR reads per prefetch key: count, failures, latency', async () => {
    const fetcher: FhirFetcher = {
      fetch: (_server, query) => (query.startsWith('Observation') ? Promise.reject(new Error('down')) : Promise.resolve([])),
    };
    const { app, metrics } = buildTestApp({ fetcher });
    const body = patientViewRequest('gsb-workup-missing', { omit: ['labs', 'conditions'], fhirServer: 'http://127.0.0.1:9/fhir' });
    await request(app).post('/cds-services/nkr-pain-patient-view').send(body);
    const text = await metrics.registry.metrics();
    expect(text).toContain('cds_fhir_reads_total{key="conditions",outcome="ok"} 1');
    expect(text).toContain('cds_fhir_reads_total{key="labs",outcome="failed"} 1');
    expect(text).toMatch(/cds_fhir_read_duration_seconds_count\{key="labs"\} 1/);
  });
});

describe('GET /readyz', () => {
  test('200 when the store answers and the data files are loaded', async () => {
    const t = buildTestApp();
    const res = await request(t.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { store: 'ok (sqlite)', data: 'ok' } });
    expect((await request(t.app).get('/healthz')).status).toBe(200);
  });
  test('503 while writes fail although the store still answers (a full disk); ready again after a write works', async () => {
    const t = buildTestApp();
    t.runtime.health.failed('feedback', Object.assign(new Error('full'), { code: 'SQLITE_FULL', name: 'SqliteError' }));
    const res = await request(t.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.store).toBe('unavailable (sqlite: SqliteError SQLITE_FULL)');
    t.runtime.health.succeeded('card-log');
    expect((await request(t.app).get('/readyz')).status).toBe(200);
  });
  test('503 while the running secret check finds another PSEUDONYM_SECRET recorded (src/store/secretCheck.ts); ready again when it agrees', async () => {
    const watch: { problem: string | null } = { problem: null };
    const t = buildTestApp({ secretWatch: watch });
    const ok = await request(t.app).get('/readyz');
    expect([ok.status, ok.body.checks.pseudonymSecret]).toEqual([200, 'ok']);
    watch.problem = 'PSEUDONYM_SECRET differs from the one the store now records';
    const res = await request(t.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not ready', checks: { store: 'ok (sqlite)', data: 'ok', pseudonymSecret: 'PSEUDONYM_SECRET differs from the one the store now records' } });
    watch.problem = null;
    expect((await request(t.app).get('/readyz')).status).toBe(200);
  });
});

describe('GET /admin/report', () => {
  test('no ADMIN_TOKEN configured → the endpoint does not exist (404)', async () => {
    const { app } = buildTestApp();
    expect((await request(app).get('/admin/report')).status).toBe(404);
    expect((await request(app).get('/admin/report').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).status).toBe(404);
  });

  test('with ADMIN_TOKEN: 401 without the token or with another, 200 JSON with it', async () => {
    const { app } = buildTestApp({ env: { ADMIN_TOKEN } });
    const denied = await request(app).get('/admin/report');
    expect(denied.status).toBe(401);
    expect(denied.text).toBe('');
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="admin"');
    expect((await request(app).get('/admin/report').set('Authorization', `Bearer ${METRICS_TOKEN}`)).status).toBe(401);
    const res = await request(app).get('/admin/report').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ store: 'sqlite', totals: { issued: 0, accepted: 0, overridden: 0, noAnswer: 0 }, kinds: [], weeks: [], feedbackForUnknownCards: 0 });
  });

  test('on a SQLite file (read on a worker thread of its own): 200 with the counts; a read that fails → 503 with Retry-After', async () => {
    const loc = await freshLocation('sqlite');
    const store = await openAt(loc);
    try {
      await store.appendCards([
        { cardUuid: 'c-1', serviceId: 'nkr-pain-patient-view', kind: 'screening-incomplete', indicator: 'warning', language: 'da', issuedAt: FIXED_NOW, patientKey: 'pk', findingKey: 'fk', orderKey: null, suggestions: [] },
      ]);
      const { app } = buildTestApp({ env: { ADMIN_TOKEN }, store });
      const res = await request(app).get('/admin/report').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ store: 'sqlite', totals: { issued: 1, noAnswer: 1 }, kinds: [{ kind: 'screening-incomplete', language: 'da', issued: 1 }] });
      // The file is gone (the service's own connections still hold it): the reader thread cannot open it.
      rmSync(join(loc.dataDir, SQLITE_FILE));
      const failed = await request(app).get('/admin/report').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(failed.status).toBe(503);
      expect(failed.headers['retry-after']).toBe('30');
      expect(failed.body.resourceType).toBe('OperationOutcome');
    } finally {
      await store.close();
    }
  });

  test('a report slower than its deadline → 503 saying so; the store is not marked down (cds_store_up stays 1)', async () => {
    const loc = await freshLocation('sqlite');
    // A 1 ms deadline: the reader thread cannot even start in time.
    const db = new SqliteDb(join(loc.dataDir, SQLITE_FILE), { longReadTimeoutMs: 1 });
    await db.migrate();
    const store = new SqlStore(db);
    try {
      const { app } = buildTestApp({ env: { ADMIN_TOKEN }, store });
      const res = await request(app).get('/admin/report').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.body.issue[0].diagnostics).toMatch(/^The report could not be read: the read did not finish in time\. Set RETENTION_DAYS/);
      const metrics = await request(app).get('/metrics');
      expect(metrics.text).toContain('cds_store_up 1');
      expect(metrics.text).not.toContain('cds_store_errors_total{operation="report"}');
    } finally {
      await store.close();
    }
  });
});
