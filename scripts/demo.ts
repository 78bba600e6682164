import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../src/projectRoot.js';
import { DEMO_PATIENTS_DIR, daysSinceReference, loadDemoScenarios } from '../src/preview/scenarios.js';

/**
 * `npm run demo`: the test FHIR server seeded with the demo patients (fixtures/demo/patients, dates
 * moved to today) and the service in development mode, both on loopback, with a fresh data folder.
 * Prints the preview page and sandbox links. Ctrl-C (SIGINT) or SIGTERM stops both and exits 0.
 *
 * Env: DEMO_PORT (service, default 3000), DEMO_FHIR_PORT (default 8081), SANDBOX_URL (default the
 * hosted sandbox; a local build e.g. http://localhost:8080), DEMO_KEEP_DATA=1 keeps the data folder.
 */

const STOP_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 30_000;

function port(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port from 1 to 65535, got "${raw}"`);
  return n;
}

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

/** Starts `node --import tsx <script>` and resolves with the value `ready` finds in a stdout line. */
function start(name: string, script: string, env: NodeJS.ProcessEnv, ready: (line: string) => string | undefined, onLine: (line: string) => void): Promise<{ child: Child; value: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const child: Child = { name, process: proc, exited };
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let found = false;
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${START_TIMEOUT_MS / 1000} s\n${stderr}`)), START_TIMEOUT_MS);
    void exited.then((code) => {
      if (!found) {
        clearTimeout(timer);
        reject(new Error(`${name} exited with code ${String(code)} before it was ready\n${stderr}`));
      }
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (!found) {
        const value = ready(line);
        if (value !== undefined) {
          found = true;
          clearTimeout(timer);
          resolve({ child, value });
          return;
        }
      }
      onLine(line);
    });
  });
}

async function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([child.exited, timeout])) === 'timeout') child.process.kill('SIGKILL');
}

/** Service log lines at warn or above, short, on stderr (e.g. the reason of a refused token). */
function forwardServiceLog(line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    process.stderr.write(`service: ${line}\n`);
    return;
  }
  if (typeof entry.level !== 'number' || entry.level < 40) return;
  const { level: _l, time: _t, pid: _p, hostname: _h, msg, ...rest } = entry;
  process.stderr.write(`service ${entry.level >= 50 ? 'error' : 'warn'}: ${String(msg)} ${JSON.stringify(rest)}\n`);
}

function sandboxLink(sandbox: string, fhirServer: string, patientId: string, discovery: string, screen: string, hook: string): string {
  const q = new URLSearchParams({ fhirServiceUrl: fhirServer, patientId, serviceDiscoveryURL: discovery, screen, hook });
  return `${sandbox.replace(/\/+$/, '')}/?${q.toString()}`;
}

async function main(): Promise<void> {
  const servicePort = port('DEMO_PORT', 3000);
  const fhirPort = port('DEMO_FHIR_PORT', 8081);
  const sandbox = process.env.SANDBOX_URL || 'https://sandbox.cds-hooks.org';
  const scenarios = loadDemoScenarios();
  const shift = daysSinceReference(scenarios.referenceDate, Date.now());

  const dataDir = mkdtempSync(join(tmpdir(), 'nkr-pain-cds-demo-'));
  writeFileSync(join(dataDir, 'README.txt'), `Data folder of one \`npm run demo\` run; ${process.env.DEMO_KEEP_DATA === '1' ? 'kept when the demo stops (DEMO_KEEP_DATA=1)' : 'removed when the demo stops'}.\n`);
  const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, LANG: process.env.LANG };
  const children: Child[] = [];
  let stopping = false;

  const shutdown = async (code: number): Promise<never> => {
    stopping = true;
    await Promise.all(children.map(stop));
    if (process.env.DEMO_KEEP_DATA !== '1') rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const fhir = await start(
      'FHIR server',
      'test-support/fhirServer/main.ts',
      { ...baseEnv, FHIR_PORT: String(fhirPort), FHIR_HOST: '127.0.0.1', FHIR_SEED_DIR: DEMO_PATIENTS_DIR, FHIR_SEED_SHIFT_DAYS: String(shift) },
      (line) => /^FHIR server listening on (\S+)$/.exec(line)?.[1],
      (line) => process.stderr.write(`fhir: ${line}\n`),
    );
    children.push(fhir.child);
    const publicBaseUrl = `http://localhost:${servicePort}`;
    const service = await start(
      'nkr-pain-cds service',
      'src/main.ts',
      {
        ...baseEnv,
        NODE_ENV: 'development',
        PORT: String(servicePort),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: publicBaseUrl,
        PREVIEW_PAGE: 'on',
        PREVIEW_FHIR_SERVER: fhir.value,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        // A demo on a laptop (or a busy CI box) is slower than production: generous FHIR timeouts.
        FHIR_QUERY_TIMEOUT_MS: '3000',
        FHIR_REQUEST_DEADLINE_MS: '5000',
      },
      (line) => (line.includes('"msg":"nkr-pain-cds listening"') ? 'ready' : undefined),
      forwardServiceLog,
    );
    children.push(service.child);

    for (const c of children) {
      void c.exited.then((code) => {
        if (stopping) return;
        process.stderr.write(`${c.name} stopped unexpectedly (exit code ${String(code)}); stopping the demo\n`);
        void shutdown(1);
      });
    }

    const discovery = `${publicBaseUrl}/cds-services`;
    const first = (hook: string): string => scenarios.scenarios.find((s) => s.hook === hook)?.patientId ?? 'demo-clarified';
    const lines = [
      'nkr-pain-cds demo is running. Ctrl-C stops both servers.',
      '',
      `Card preview page:   ${publicBaseUrl}/`,
      `CDS discovery:       ${discovery}`,
      `FHIR server:         ${fhir.value}  (demo patients, dates moved ${shift} days to today)`,
      `Data folder:         ${dataDir}`,
      '',
      'CDS Hooks sandbox (patient view):',
      `  ${sandboxLink(sandbox, fhir.value, first('patient-view'), discovery, 'patient-view', 'patient-view')}`,
      'CDS Hooks sandbox (Rx View: type the drug name slowly, e.g. "oxycodone", and pick it from the list):',
      `  ${sandboxLink(sandbox, fhir.value, first('order-select'), discovery, 'rx-view', 'order-select')}`,
      'CDS Hooks sandbox (Rx Sign: pick a drug, then press "Sign Order"):',
      `  ${sandboxLink(sandbox, fhir.value, first('order-sign'), discovery, 'rx-sign', 'order-sign')}`,
      '',
      'Demo patients: ' + [...new Set(scenarios.scenarios.map((s) => s.patientId))].join(', '),
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } catch (err) {
    process.stderr.write(`demo failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    await shutdown(1);
  }
}

void main();
