/**
 * A bounded soak: `npm run soak -- [--minutes 2] [--rate 300] [--connections 16]`.
 *
 * Starts the service as a process on loopback as it runs in production (`npm start`'s node flags, NODE_ENV=production, JWT on,
 * LOG_LEVEL=info with the request log, a temporary DATA_DIR), trusting one "soak" issuer whose ES384 key
 * this script generates and writes, with its trusted-issuers file, to a temporary folder. Then holds a
 * steady rate (autocannon `overallRate`) of a mix of patient-view, order-select, order-sign and feedback
 * calls with the fixtures' bodies (prefetch filled, so no FHIR server is involved), each call with a
 * fresh token (unique jti, `aud` = PUBLIC_BASE_URL + path). Samples the service's RSS every 5 s.
 *
 * Prints per minute: requests, p50/p99/max latency and the non-2xx counts; then errors, timeouts, the
 * service's error log lines, and RSS at start, end and peak. Exit 1 on any 5xx, connection error,
 * timeout, error log line, or if the service exits. Loopback only; bounded (≤ 60 minutes, ≤ 5000 req/s).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { projectRoot } from '../src/projectRoot.js';
import { createSoakIssuer, serviceEnvFor } from '../test-support/hardening/soakIssuer.js';
import { freePort } from '../test-support/freePort.js';
import { startScriptNodeFlags } from '../test-support/startScript.js';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '2' }, rate: { type: 'string', default: '300' }, connections: { type: 'string', default: '16' } },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const connections = Number(values.connections);
if (!(minutes > 0 && minutes <= 60)) throw new Error('--minutes takes a number from 0 to 60');
if (!(Number.isInteger(rate) && rate >= 1 && rate <= 5000)) throw new Error('--rate takes a whole number from 1 to 5000 (requests per second)');
if (!(Number.isInteger(connections) && connections >= 1 && connections <= 256)) throw new Error('--connections takes a whole number from 1 to 256');

// --- the soak issuer (test-support/hardening/soakIssuer.ts), a temp folder for it and DATA_DIR ---
const work = mkdtempSync(join(tmpdir(), 'nkr-soak-'));
const dataDir = join(work, 'data');
const issuer = createSoakIssuer(work);


// --- request bodies, from the fixtures ---
type Json = Record<string, unknown>;
const readJson = (...parts: string[]): Json => JSON.parse(readFileSync(join(projectRoot, ...parts), 'utf8')) as Json;
const patientViews = readdirSync(join(projectRoot, 'fixtures', 'requests'))
  .filter((f) => f.startsWith('patient-view') && f.endsWith('.json'))
  .map((f) => readJson('fixtures', 'requests', f));
const orderSelect = readJson('fixtures', 'requests', 'order-select-oxycodone.json');
const orderSign: Json = {
  ...orderSelect,
  hook: 'order-sign',
  context: { ...(orderSelect.context as Json), selections: undefined },
};
const feedback: Json = {
  feedback: [
    {
      card: '52bbb69b-841f-44e5-8ee4-8a18ccbfabdc',
      outcome: 'overridden',
      outcomeTimestamp: '2026-11-25T17:39:50.395Z',
      overrideReason: { reason: { code: 'already-addressed', system: 'urn:nkr-pain-cds:override-reason' } },
    },
  ],
};
/** One connection's cycle: 8 patient-view, 5 order-select, 4 order-sign, 3 feedback. */
const MIX: Array<{ path: string; body: Json }> = [];
const add = (n: number, path: string, bodies: Json[]): void => {
  for (let i = 0; i < n; i++) MIX.push({ path, body: bodies[i % bodies.length] as Json });
};
add(8, '/cds-services/nkr-pain-patient-view', patientViews);
add(5, '/cds-services/nkr-pain-order-select', [orderSelect]);
add(4, '/cds-services/nkr-pain-order-sign', [orderSign]);
add(3, '/cds-services/nkr-pain-patient-view/feedback', [feedback]);
// Interleave (a fixed permutation, 7 and 20 being coprime): every connection sends the kinds mixed, not in blocks.
const MIXED = MIX.map((_, i) => MIX[(i * 7) % MIX.length] as { path: string; body: Json });

// --- the service ---
const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
// With `npm start`'s node flags (the heap limits), from the sources (tsx), so no build is needed.
const child = spawn(process.execPath, [...startScriptNodeFlags(), '--import', 'tsx', 'src/main.ts'], {
  cwd: projectRoot,
  env: serviceEnvFor(issuer, { port, dataDir, pseudonymSecret: `soak-${randomUUID()}`, extra: { LOG_LEVEL: 'info' } }),
  stdio: ['ignore', 'pipe', 'pipe'],
});
let exited: string | null = null;
let stopping = false;
child.on('exit', (code, signal) => {
  if (!stopping) exited = `the service exited (code ${code}, signal ${signal}) during the soak`;
});
let errorLines = 0;
const errorSamples: string[] = [];
let pending = '';
let ready: (() => void) | null = null;
const readyPromise = new Promise<void>((resolve) => (ready = resolve));
child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    if (/"level":(50|60)/.test(line)) {
      errorLines++;
      if (errorSamples.length < 5) errorSamples.push(line.slice(0, 300));
    }
    if (ready && line.includes('"nkr-pain-cds listening"')) {
      ready();
      ready = null;
    }
  }
});
let stderr = '';
child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));

function cleanUp(): void {
  stopping = true;
  child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanUp();
  process.exit(130);
});

const startTimer = setTimeout(() => {
  console.error(`the service did not start within 30 s\n${stderr}`);
  cleanUp();
  process.exit(1);
}, 30_000);
await readyPromise;
clearTimeout(startTimer);

// --- RSS of the service process, every 5 s ---
function rssMiB(): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
const rss: Array<{ s: number; mib: number }> = [];
const t0 = Date.now();
const sampleRss = (): void => {
  const mib = rssMiB();
  if (mib !== null) rss.push({ s: Math.round((Date.now() - t0) / 1000), mib });
};
sampleRss();
const rssTimer = setInterval(sampleRss, 5_000);

// --- the load ---
interface Minute {
  latencies: number[];
  statuses: Record<string, number>;
}
const perMinute: Minute[] = [];
let loadStart = Date.now();
const lastMinute = Math.max(0, Math.ceil(minutes) - 1);
const minuteOf = (): Minute => {
  const i = Math.min(lastMinute, Math.floor((Date.now() - loadStart) / 60_000));
  while (perMinute.length <= i) perMinute.push({ latencies: [], statuses: {} });
  return perMinute[i] as Minute;
};
let reqErrors = 0;
const reqErrorSamples = new Set<string>();

loadStart = Date.now();
let finish: (r: autocannon.Result) => void = () => undefined;
let fail: (e: unknown) => void = () => undefined;
const finished = new Promise<autocannon.Result>((resolve, reject) => {
  finish = resolve;
  fail = reject;
});
const instance = autocannon({
  url: origin,
  connections,
  overallRate: rate,
  duration: Math.round(minutes * 60),
  timeout: 10,
  requests: MIXED.map(({ path, body }) => ({
    method: 'POST' as const,
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${issuer.token(origin + path)}` } }),
  })),
}, (err, r) => (err ? fail(err) : finish(r)));
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  const m = minuteOf();
  m.latencies.push(responseTime);
  m.statuses[statusCode] = (m.statuses[statusCode] ?? 0) + 1;
});
instance.on('reqError', (err: Error) => {
  reqErrors++;
  if (reqErrorSamples.size < 5) reqErrorSamples.add(err.message);
});
const result = await finished;
clearInterval(rssTimer);
sampleRss();
cleanUp();

// --- report ---
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (n: number): string => n.toFixed(1).padStart(7);
console.log(`soak: ${minutes} min at ${rate} req/s requested, ${connections} connections, JWT on (ES384, fresh jti per call), production mode, loopback`);
console.log('  minute  requests   req/s    p50 ms   p99 ms   max ms   statuses');
let fiveXx = 0;
let non2xx = 0;
perMinute.forEach((m, i) => {
  const sorted = [...m.latencies].sort((a, b) => a - b);
  const seconds = i === lastMinute ? Math.max(1, result.duration - i * 60) : 60;
  for (const [status, n] of Object.entries(m.statuses)) {
    if (!status.startsWith('2')) non2xx += n;
    if (status.startsWith('5')) fiveXx += n;
  }
  console.log(`  ${String(i + 1).padStart(6)}  ${String(sorted.length).padStart(8)} ${fmt(sorted.length / seconds)}  ${fmt(pct(sorted, 50))}  ${fmt(pct(sorted, 99))}  ${fmt(sorted.at(-1) ?? NaN)}   ${JSON.stringify(m.statuses)}`);
});
const first = rss[0];
const last = rss.at(-1);
const warm = rss.find((r) => r.s >= 30) ?? first;
const peak = rss.reduce((a, b) => (b.mib > a.mib ? b : a), first ?? { s: 0, mib: NaN });
console.log(`  total ${result.requests.total} requests (${result.requests.average.toFixed(0)} req/s average), latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`);
console.log(`  non-2xx ${non2xx}, 5xx ${fiveXx}, connection errors ${reqErrors + result.errors - result.timeouts}, timeouts ${result.timeouts}, service error log lines ${errorLines}`);
console.log(`  RSS (MiB): start ${first?.mib.toFixed(1)}, after 30 s ${warm?.mib.toFixed(1)}, end ${last?.mib.toFixed(1)}, peak ${peak.mib.toFixed(1)} at ${peak.s} s (${rss.length} samples, every 5 s)`);
for (const s of reqErrorSamples) console.log(`  error: ${s}`);
for (const s of errorSamples) console.log(`  error log: ${s}`);
if (exited) console.log(`  ${exited}`);
const failed = fiveXx > 0 || result.errors > 0 || result.timeouts > 0 || reqErrors > 0 || errorLines > 0 || exited !== null;
console.log(failed ? 'SOAK FAILED' : 'soak passed: no 5xx, no errors, no timeouts');
process.exit(failed ? 1 : 0);
