/**
 * The long fuzz run: `npm run fuzz -- --runs 100000 [--seed N]`. Starts the service as a process
 * (production mode, auth off, a temporary data folder), sends mutated and malformed bodies to every
 * endpoint, and prints the counts per endpoint and status — or the first failure with its seed, so
 * `--seed` reproduces it. Exit 1 on a failure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/projectRoot.js';
import { SchemaValidator } from '../src/transport/schemaValidation.js';
import { fuzz } from '../test-support/hardening/fuzzTarget.js';
import { freePort } from '../test-support/freePort.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number');


const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), 'nkr-fuzz-'));
const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  cwd: projectRoot,
  env: { ...process.env, NODE_ENV: 'production', AUTH: 'off', PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: 'http://127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'error', PSEUDONYM_SECRET: 'fuzz-secret-not-for-production-0123456789' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
let exited = false;
let crashed = false;
child.on('exit', (code, signal) => {
  exited = true;
  if (code !== 0 && signal !== 'SIGTERM') crashed = true;
});
const stop = (): void => {
  if (!exited) child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
};

/** Waits until the service answers its discovery endpoint (20 s at most). */
async function ready(): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (exited) throw new Error('the service exited before it was ready');
    try {
      const res = await fetch(`${baseUrl}/cds-services`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the service did not start within 20 s');
}

try {
  await ready();
} catch (err) {
  stop();
  throw err;
}

// Always a known seed, so any run can be repeated exactly with --seed.
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const validator = new SchemaValidator();
const started = Date.now();
let report: Awaited<ReturnType<typeof fuzz>>;
try {
  report = await fuzz({
    baseUrl,
    root: projectRoot,
    runsPerEndpoint: runs,
    timeoutMs: 10_000,
    responseProblems: (body) => validator.problems('response', body),
    seed,
  });
} finally {
  stop();
}

console.log(`fuzz: ${runs} mutated bodies per endpoint plus the raw cases, seed ${seed}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const [endpoint, n] of Object.entries(report.runs)) console.log(`  ${endpoint}: ${n} requests, statuses ${JSON.stringify(report.statuses[endpoint])}`);
console.log(`  slowest answer: ${report.maxMs.toFixed(1)} ms`);
if (crashed) console.log('  the service process exited during the run');
if (report.failure) {
  console.log(`FAILURE on ${report.failure.endpoint}: ${report.failure.problem}`);
  console.log(`  mutations: ${report.failure.counterexample}`);
  console.log(`  reproduce: npm run fuzz -- --runs ${runs} --seed ${report.failure.seed}`);
}
process.exit(report.failure || crashed ? 1 : 0);
