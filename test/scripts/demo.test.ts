import { existsSync } from 'node:fs';
import { freePort, startProcess, stopAllProcesses, type StartedProcess } from '../support/processes.js';

/**
 * `npm run demo` (scripts/demo.ts) as a tester runs it: both servers on loopback, the printed links
 * right (the sandbox's quirks: discovery URL = PUBLIC_BASE_URL + /cds-services without a trailing
 * slash; screen and hook together), and SIGINT (Ctrl-C) stops everything and exits 0.
 */

let demo: StartedProcess<true>;
let port: number;
let fhirPort: number;

beforeAll(async () => {
  [port, fhirPort] = await Promise.all([freePort(), freePort()]);
  demo = await startProcess({
    name: 'npm run demo',
    args: ['--import', 'tsx', 'scripts/demo.ts'],
    env: { DEMO_PORT: String(port), DEMO_FHIR_PORT: String(fhirPort), SANDBOX_URL: 'http://localhost:8080' },
    ready: (line) => (line.startsWith('Demo patients:') ? true : undefined),
    timeoutMs: 60_000,
  });
}, 70_000);

afterAll(async () => {
  await stopAllProcesses();
});

const lineAfter = (label: string): string => {
  const line = demo.stdout().split('\n').find((l) => l.startsWith(label));
  return (line ?? '').slice(label.length).trim().split(/\s+/)[0] ?? '';
};

const sandboxLinks = (): URL[] =>
  demo
    .stdout()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('http://localhost:8080/?'))
    .map((l) => new URL(l));

test('prints the preview page, discovery and FHIR server addresses', () => {
  expect(lineAfter('Card preview page:')).toBe(`http://localhost:${port}/`);
  expect(lineAfter('CDS discovery:')).toBe(`http://localhost:${port}/cds-services`);
  expect(lineAfter('FHIR server:')).toBe(`http://127.0.0.1:${fhirPort}/fhir`);
});

test('sandbox links: our FHIR server, a demo patient, discovery without a trailing slash, screen and hook together', () => {
  const links = sandboxLinks();
  expect(links.map((l) => `${l.searchParams.get('screen')}&${l.searchParams.get('hook')}`)).toEqual([
    'patient-view&patient-view',
    'rx-view&order-select',
    'rx-sign&order-sign',
  ]);
  for (const link of links) {
    expect(link.searchParams.get('fhirServiceUrl')).toBe(`http://127.0.0.1:${fhirPort}/fhir`);
    expect(link.searchParams.get('serviceDiscoveryURL')).toBe(`http://localhost:${port}/cds-services`);
    expect(link.searchParams.get('patientId')).toMatch(/^demo-/);
  }
  // Encoded as one parameter each, so the sandbox reads the whole URL.
  expect(demo.stdout()).toContain(`serviceDiscoveryURL=${encodeURIComponent(`http://localhost:${port}/cds-services`)}&`);
});

test('both servers answer: the preview page and the seeded FHIR server', async () => {
  const page = await fetch(`http://127.0.0.1:${port}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('card preview');
  const patients = (await (await fetch(`http://127.0.0.1:${fhirPort}/fhir/Patient`)).json()) as { total: number };
  expect(patients.total).toBe(9);
  const info = (await (await fetch(`http://127.0.0.1:${port}/preview/api/scenarios`)).json()) as { demoIssuer: boolean; fhirServer: string; publicBaseUrl: string };
  expect(info).toMatchObject({ demoIssuer: true, fhirServer: `http://127.0.0.1:${fhirPort}/fhir`, publicBaseUrl: `http://localhost:${port}` });
});

test('Ctrl-C stops both servers, removes the data folder and exits 0', async () => {
  const dataDir = lineAfter('Data folder:');
  expect(existsSync(dataDir)).toBe(true);
  demo.child.kill('SIGINT');
  expect(await demo.exited(20_000)).toEqual({ code: 0, signal: null });
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  await expect(fetch(`http://127.0.0.1:${fhirPort}/fhir/metadata`)).rejects.toThrow();
  expect(existsSync(dataDir)).toBe(false);
}, 30_000);
