import type { Browser, Page } from 'playwright-core';
import { launchChromium, startDemoStack, startOtherOrigin, type DemoStack } from './browserStack.js';

/**
 * A real browser on another origin calls the service and the FHIR server as the sandbox does
 * (https://cds-hooks.hl7.org/2.0/#cross-origin-resource-sharing): with an Authorization header, so
 * every call is preflighted, and error statuses must reach the page (not an opaque network error).
 */

interface Answer {
  status: number;
  body: unknown;
}

let stack: DemoStack;
let other: { origin: string; close(): Promise<void> };
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [stack, other, browser] = await Promise.all([startDemoStack(), startOtherOrigin(), launchChromium()]);
  page = await browser.newPage();
  await page.goto(`${other.origin}/`);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await other?.close();
  await stack?.close();
});

/** fetch() inside the page on the other origin; a CORS failure rejects with a TypeError there. */
function fetchFromPage(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return page.evaluate(
    async ({ url, init }) => {
      const res = await fetch(url, init);
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body };
    },
    { url, init },
  );
}

async function bearer(path: string, audienceBase: string = stack.origin): Promise<string> {
  return `Bearer ${(await stack.demoIssuer.sign(audienceBase + path)).token}`;
}

function patientView(patientId: string, withFhirServer: boolean): string {
  return JSON.stringify({
    hook: 'patient-view',
    hookInstance: crypto.randomUUID(),
    ...(withFhirServer ? { fhirServer: stack.fhir.baseUrl } : {}),
    context: { userId: 'Practitioner/demo-practitioner', patientId },
  });
}

test('the page really is on another origin', async () => {
  expect(new URL(page.url()).origin).toBe(other.origin);
  expect(other.origin).not.toBe(stack.origin);
});

test('discovery, a service call and feedback with an Authorization header pass CORS', async () => {
  const discovery = await fetchFromPage(`${stack.origin}/cds-services`, { headers: { Authorization: await bearer('/cds-services') } });
  expect(discovery.status).toBe(200);
  const services = (discovery.body as { services: { id: string; hook: string }[] }).services;
  const id = services.find((s) => s.hook === 'patient-view')?.id as string;
  expect(id).toBeDefined();

  const path = `/cds-services/${id}`;
  const call = await fetchFromPage(`${stack.origin}${path}`, {
    method: 'POST',
    headers: { Authorization: await bearer(path), 'Content-Type': 'application/json', 'Accept-Language': 'da' },
    body: patientView('demo-missing-tsh-ck-vitamin-d', true),
  });
  expect(call.status).toBe(200);
  const cards = (call.body as { cards: { uuid: string; source: { topic?: { code: string } } }[] }).cards;
  expect(cards.map((c) => c.source.topic?.code)).toContain('screening-incomplete');

  const feedbackPath = `${path}/feedback`;
  const uuid = cards[0]?.uuid as string;
  const feedback = await fetchFromPage(`${stack.origin}${feedbackPath}`, {
    method: 'POST',
    headers: { Authorization: await bearer(feedbackPath), 'Content-Type': 'application/json' },
    body: JSON.stringify({ feedback: [{ card: uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] }),
  });
  expect(feedback.status).toBe(200);
}, 60_000);

test('a refused token reaches the page as 401, not as a CORS failure', async () => {
  const path = '/cds-services/nkr-pain-patient-view';
  // aud built from 127.0.0.1 while PUBLIC_BASE_URL says localhost: the sandbox's classic mistake.
  const answer = await fetchFromPage(`${stack.origin}${path}`, {
    method: 'POST',
    headers: { Authorization: await bearer(path, stack.loopbackOrigin), 'Content-Type': 'application/json' },
    body: patientView('demo-clarified', true),
  });
  expect(answer.status).toBe(401);
  expect(answer.body).toBeNull();
}, 60_000);

test('a call without patient data reaches the page as 412 with the missing prefetch keys', async () => {
  const path = '/cds-services/nkr-pain-patient-view';
  const answer = await fetchFromPage(`${stack.origin}${path}`, {
    method: 'POST',
    headers: { Authorization: await bearer(path), 'Content-Type': 'application/json' },
    body: patientView('demo-clarified', false),
  });
  expect(answer.status).toBe(412);
  expect(JSON.stringify(answer.body)).toContain('prefetch.conditions');
}, 60_000);

describe('the FHIR server answers what the sandbox asks, across origins', () => {
  const fhirHeaders = { Accept: 'application/json+fhir' };

  test('metadata says R4', async () => {
    const answer = await fetchFromPage(`${stack.fhir.baseUrl}/metadata`, { headers: fhirHeaders });
    expect(answer.status).toBe(200);
    expect((answer.body as { fhirVersion: string }).fhirVersion).toBe('4.0.1');
  });

  test('the patient picker: GET /Patient with total and given/family names', async () => {
    const answer = await fetchFromPage(`${stack.fhir.baseUrl}/Patient`, { headers: fhirHeaders });
    const bundle = answer.body as { total: number; entry: { resource: { id: string; name: { given: string[]; family: string }[] } }[] };
    expect(answer.status).toBe(200);
    expect(bundle.total).toBeGreaterThanOrEqual(9);
    const ids = bundle.entry.map((e) => e.resource.id);
    expect(ids).toEqual(expect.arrayContaining(['demo-high-tsh', 'demo-out-of-scope']));
    for (const e of bundle.entry) {
      expect(Array.isArray(e.resource.name[0]?.given)).toBe(true);
      expect(typeof e.resource.name[0]?.family).toBe('string');
    }
  });

  test('Condition?patient= carries total (the "Treating" list)', async () => {
    const answer = await fetchFromPage(`${stack.fhir.baseUrl}/Condition?patient=demo-sertraline-for-depression`, { headers: fhirHeaders });
    expect(answer.status).toBe(200);
    expect((answer.body as { total: number }).total).toBe(2);
  });

  test('prefetch as POST {Type}/_search with a form body', async () => {
    const answer = await fetchFromPage(`${stack.fhir.baseUrl}/Observation/_search`, {
      method: 'POST',
      headers: { ...fhirHeaders, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'patient=demo-high-tsh&_count=100',
    });
    expect(answer.status).toBe(200);
    expect((answer.body as { total: number }).total).toBe(16);
  });
});
