/**
 * Quick fuzz pass (the long one is `npm run fuzz -- --runs 100000`): mutated and malformed bodies on
 * every endpoint answer 200 with a schema-valid body or a 4xx OperationOutcome — never a 5xx, a crash or
 * a hang. Mutations reach deep into prefetch resources and draft orders: the readers' property test.
 */
import { projectRoot } from '../../src/projectRoot.js';
import request from 'supertest';
import { endpoints, fuzz } from '../../test-support/hardening/fuzzTarget.js';
import { buildTestApp, listenOnLoopback, validator } from '../support/testApp.js';

let loopback: Awaited<ReturnType<typeof listenOnLoopback>>;
let baseUrl = '';

beforeAll(async () => {
  loopback = await listenOnLoopback(buildTestApp().app);
  baseUrl = loopback.baseUrl;
});

afterAll(() => loopback.close());

test('mutated and malformed bodies on every endpoint: never a 5xx, never a hang', async () => {
  const runs = Number(process.env.FUZZ_RUNS ?? 300);
  const report = await fuzz({
    baseUrl,
    root: projectRoot,
    runsPerEndpoint: runs,
    ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
    timeoutMs: 5_000,
    responseProblems: (body) => validator.problems('response', body),
  });
  expect(report.failure).toBeNull();
  for (const name of ['patient-view', 'order-select', 'order-sign', 'feedback']) expect(report.runs[name]).toBeGreaterThanOrEqual(runs);
}, 120_000);

test('every seed body of a hook, sent as it is, passes the request checks (200, or 412 for a fixture whose data must come from a FHIR server): the mutations start from requests the service reads through, not from a 400', async () => {
  const { app } = buildTestApp();
  for (const ep of endpoints(projectRoot).filter((e) => e.name !== 'feedback')) {
    const statuses: number[] = [];
    for (const seed of ep.seeds) statuses.push((await request(app).post(ep.path).send(seed as object)).status);
    expect([ep.name, statuses.filter((s) => s !== 200 && s !== 412)]).toEqual([ep.name, []]);
    expect([ep.name, statuses.filter((s) => s === 200).length > statuses.length / 2]).toEqual([ep.name, true]);
  }
});
