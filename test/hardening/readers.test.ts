/**
 * The readers' property (issue 9, docs/clinical-rules.md §7): Conditions, Observations, medication
 * orders and statements, and the Bundles holding them, with fields replaced by wrong types, strings,
 * single objects for arrays, nulls, huge and deep values — mutated ONLY inside the prefetch values and
 * the draft orders, so every run hits a reader. Through the HTTP API: 200 with a schema-valid body or a
 * 4xx with an OperationOutcome, never a 5xx.
 */
import { projectRoot } from '../../src/projectRoot.js';
import { fuzz } from '../../test-support/hardening/fuzzTarget.js';
import type { PathFilter } from '../../test-support/hardening/mutations.js';
import { buildTestApp, listenOnLoopback, validator } from '../support/testApp.js';

let loopback: Awaited<ReturnType<typeof listenOnLoopback>>;
let baseUrl = '';

beforeAll(async () => {
  loopback = await listenOnLoopback(buildTestApp().app);
  baseUrl = loopback.baseUrl;
});

afterAll(() => loopback.close());

/** A prefetch value (a Bundle or a resource) or anything in it; the draft orders or anything in them. */
const insideReadData: PathFilter = (path) =>
  (path[0] === 'prefetch' && path.length >= 2) || (path[0] === 'context' && path[1] === 'draftOrders' && path.length >= 2);

test('readers of conditions, observations, medication orders and bundles: wrong shapes give 200 or 4xx, never a 5xx', async () => {
  const runs = Number(process.env.FUZZ_RUNS ?? 200);
  const report = await fuzz({
    baseUrl,
    root: projectRoot,
    runsPerEndpoint: runs,
    ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
    timeoutMs: 5_000,
    responseProblems: (body) => validator.problems('response', body),
    endpoints: ['patient-view', 'order-select', 'order-sign'],
    within: insideReadData,
  });
  expect(report.failure).toBeNull();
  for (const name of ['patient-view', 'order-select', 'order-sign']) expect(report.runs[name]).toBeGreaterThanOrEqual(runs);
  // Mutated data is mostly still read: most answers are 200 (a filter that mutated nothing would give 200 too, so:)
  expect(Object.keys(report.statuses['patient-view'] ?? {}).length).toBeGreaterThan(1);
}, 120_000);
