/**
 * A search the EHR pages gives the same cards as the same search on one page (docs/clinical-rules.md §7.1,
 * "Incomplete Bundles"): every sample body (test/support/sampleBodies.ts) is sent with each prefetched searchset
 * of two or more entries cut into pages — the first page prefetched with a `next` link, the rest served by a
 * FHIR server on loopback, each page with the next one's link and the search's `total` when the EHR's Bundle
 * gave one. Three cuts per body: every page as small as FHIR_MAX_PAGES (100 here) allows, two pages cut at a
 * random place, and a random number of pages of random sizes. What is cut apart must be read as one answer: an
 * `_include`d Medication on another page than its order, a withdrawn report on another page than its results,
 * a Condition a drug's reason names, a resource listed on two pages.
 *
 * Every call also names that server as its `fhirServer`, which answers anything but its pages with HTTP 500, so
 * a key that was not prefetched stays unreadable as it was without a server; the status and the cards are
 * compared (a 412's words may then name the server's answer).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isObject as isJson } from '../../src/model/json.js';
import { answerOf, SAMPLE_BODIES } from '../support/sampleBodies.js';
import { GENEROUS_FHIR_TIMEOUTS } from '../support/fhirAccess.js';
import { buildTestApp, type TestApp } from '../support/testApp.js';

type Json = Record<string, unknown>;

/** A small seeded generator: the same body is cut the same way on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
const seedOf = (text: string): number => [...text].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);

const MAX_PAGES = 100;

/** Pages served by path (`/fhir/page/<search>/<n>`); anything else is a server error. */
const pages = new Map<string, string>();
/** Every path the server was asked for, in order. */
const served: string[] = [];
let server: Server;
let base = '';
let app: TestApp['app'];

beforeAll(async () => {
  server = createServer((req, res) => {
    served.push(req.url ?? '');
    const body = pages.get(req.url ?? '');
    res.writeHead(body === undefined ? 500 : 200, { 'content-type': 'application/fhir+json' });
    res.end(body ?? JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'not a page of this test' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  // One app for every call: no answer is sent, so nothing it stores changes a card.
  app = buildTestApp({ env: { FHIR_SERVER_ALLOWLIST: base, FHIR_MAX_PAGES: String(MAX_PAGES), ...GENEROUS_FHIR_TIMEOUTS } }).app;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

type Cut = 'smallest pages' | 'two pages' | 'random pages';

/** Where each page starts (the first at 0), for `n` entries. */
function pageStarts(n: number, cut: Cut, next: () => number): number[] {
  if (cut === 'smallest pages') {
    const size = Math.ceil(n / Math.min(n, MAX_PAGES));
    return Array.from({ length: Math.ceil(n / size) }, (_, i) => i * size);
  }
  const count = cut === 'two pages' ? 2 : 2 + Math.floor(next() * (Math.min(n, 12) - 1));
  const starts = new Set<number>([0]);
  while (starts.size < count) starts.add(1 + Math.floor(next() * (n - 1)));
  return [...starts].sort((a, b) => a - b);
}

/** The searchset as a first page with a `next` link; its other pages registered on the server. */
function paged(bundle: Json, search: string, cut: Cut, next: () => number): Json {
  const entries = bundle.entry as unknown[];
  const starts = pageStarts(entries.length, cut, next);
  const url = (i: number): string => `${base}/page/${search}/${i}`;
  const page = (i: number): Json => {
    const { link: _link, entry: _entry, ...rest } = bundle;
    const out: Json = { ...rest, entry: entries.slice(starts[i], starts[i + 1]) };
    if (i + 1 < starts.length) out.link = [{ relation: 'next', url: url(i + 1) }];
    return out;
  };
  for (let i = 1; i < starts.length; i++) pages.set(new URL(url(i)).pathname, JSON.stringify(page(i)));
  return page(0);
}

const toCut = (value: unknown): value is Json & { entry: unknown[] } =>
  isJson(value) && value.resourceType === 'Bundle' && value.type === 'searchset' && Array.isArray(value.entry) && value.entry.length >= 2;
const prefetchOf = (body: Json): Json => (isJson(body.prefetch) ? body.prefetch : {});

/** The body with every prefetched searchset of two or more entries paged (its other pages put on the server). */
function bodyPaged(name: string, body: Json, cut: Cut): Json {
  const next = random(seedOf(`${name} ${cut}`));
  const prefetch = Object.fromEntries(
    Object.entries(prefetchOf(body)).map(([key, value]) => [key, toCut(value) ? paged(value, `${seedOf(name)}-${cut.replace(/ /g, '-')}-${key}`, cut, next) : value]),
  );
  return { ...body, fhirServer: base, prefetch };
}

const answer = (body: Json): Promise<string[]> => answerOf(app, body);

describe('a search cut into pages gets the same cards as on one page', () => {
  const withPages = SAMPLE_BODIES.filter(([, body]) => Object.values(prefetchOf(body)).some(toCut));

  test('most sample bodies have a searchset to cut', () => {
    expect(withPages.length).toBeGreaterThan(SAMPLE_BODIES.length / 2);
  });

  test.each(withPages)('%s', async (name, body) => {
    const whole = await answer({ ...body, fhirServer: base });
    // Without a server at all, the same (the server answers nothing but pages).
    expect(whole).toEqual(await answer(body));
    for (const cut of ['smallest pages', 'two pages', 'random pages'] as const) {
      pages.clear();
      const paged = bodyPaged(name, body, cut);
      served.length = 0;
      expect([cut, await answer(paged)]).toEqual([cut, whole]);
      // Every page was read: the cards were made from the whole search, not from the first page.
      expect([cut, [...pages.keys()].filter((p) => !served.includes(p))]).toEqual([cut, []]);
    }
  });
});
