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

const { values } = parseArgs({ options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number');

const dataDir = mkdtempSync(join(tmpdir(), 'nkr-fuzz-'));
const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  cwd: projectRoot,
  env: { ...process.env, NODE_ENV: 'production', AUTH: 'off', PORT: '0', HOST: '127.0.0.1', PUBLIC_BASE_URL: 'http://127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', PSEUDONYM_SECRET: 'fuzz-secret-not-for-production-0123456789' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let crashed = false;
child.on('exit', (code, signal) => {
  if (code !== 0 && signal !== 'SIGTERM') crashed = true;
});

// The "listening" line is logged at info (so LOG_LEVEL must be info); after it, stdout is drained and dropped.
const baseUrl = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => {
    child.kill('SIGTERM');
    reject(new Error('the service did not start within 20 s'));
  }, 20_000);
  let pending = '';
  let ready = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (ready) return;
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const m = /"url":"(http:\/\/[^"]+)\/cds-services"/.exec(line);
      if (m?.[1]) {
        ready = true;
        clearTimeout(timer);
        resolve(m[1]);
        return;
      }
    }
  });
});

const validator = new SchemaValidator();
const started = Date.now();
const report = await fuzz({
  baseUrl,
  root: projectRoot,
  runsPerEndpoint: runs,
  timeoutMs: 10_000,
  responseProblems: (body) => validator.problems('response', body),
  ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
});
child.kill('SIGTERM');
rmSync(dataDir, { recursive: true, force: true });

console.log(`fuzz: ${runs} mutated bodies per endpoint plus the raw cases, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const [endpoint, n] of Object.entries(report.runs)) console.log(`  ${endpoint}: ${n} requests, statuses ${JSON.stringify(report.statuses[endpoint])}`);
console.log(`  slowest answer: ${report.maxMs.toFixed(1)} ms`);
if (crashed) console.log('  the service process exited during the run');
if (report.failure) {
  console.log(`FAILURE on ${report.failure.endpoint}: ${report.failure.problem}`);
  console.log(`  mutations: ${report.failure.counterexample}`);
  console.log(`  reproduce: npm run fuzz -- --runs ${runs} --seed ${report.failure.seed}`);
}
process.exit(report.failure || crashed ? 1 : 0);
