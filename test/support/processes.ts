import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/projectRoot.js';

/**
 * Child processes for integration tests: start with a bounded wait for a ready line, stop with a
 * bounded wait (SIGTERM, then SIGKILL). Every started process is tracked, so `stopAllProcesses()` in
 * an afterAll ends them even when beforeAll failed half-way or a test threw.
 */

/**
 * A bound on a child's start, not a timing check: a service starts in ~1.3 s on an idle machine, but under
 * `.ci/run` two Jest workers, Chromium and other children share two cores (a start once took over 15 s there).
 */
export const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartedProcess<T> {
  child: ChildProcess;
  /** What the ready function returned for the ready line. */
  ready: T;
  /** Everything written so far (kept in memory only, for assertions and error messages). */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited; rejects after timeoutMs. */
  exited(timeoutMs?: number): Promise<ExitResult>;
  /** Sends `signal` (SIGTERM by default); SIGKILL if it has not exited after timeoutMs. Never rejects. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitResult>;
}

export interface StartOptions<T> {
  /** Used in error messages. */
  name: string;
  /** Arguments to `node` (process.execPath). */
  args: string[];
  /** Added to a minimal environment (PATH, HOME, temp dirs): nothing of the test runner's leaks in. */
  env?: Record<string, string>;
  /** Called for each stdout line until it returns something other than undefined. */
  ready: (line: string) => T | undefined;
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();

/** The parent's variables a child may inherit; NODE_OPTIONS (Jest's --experimental-vm-modules), NODE_ENV, FHIR_* etc. may not. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'SYSTEMROOT'];

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  return { ...env, ...extra };
}

const tail = (text: string, max = 4_000): string => (text.length > max ? `…${text.slice(-max)}` : text);

function exitedWithin(child: ChildProcess, timeoutMs: number): Promise<ExitResult> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ code, signal });
    };
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<ExitResult> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  try {
    return await exitedWithin(child, timeoutMs);
  } catch {
    child.kill('SIGKILL');
    return exitedWithin(child, STOP_TIMEOUT_MS).catch(() => ({ code: null, signal: null }));
  }
}

/** Spawns `node ...args` in the project root and resolves once a stdout line is ready; rejects (and kills it) otherwise. */
export function startProcess<T>(options: StartOptions<T>): Promise<StartedProcess<T>> {
  const timeoutMs = options.timeoutMs ?? STARTUP_TIMEOUT_MS;
  const child = spawn(process.execPath, options.args, {
    cwd: projectRoot,
    env: childEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));

  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  const handle = (ready: T): StartedProcess<T> => ({
    child,
    ready,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: (ms = STOP_TIMEOUT_MS) => exitedWithin(child, ms),
    stop: (signal = 'SIGTERM', ms = STOP_TIMEOUT_MS) => stopChild(child, signal, ms),
  });

  return new Promise((resolve, reject) => {
    let settled = false;
    let pending = '';
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stopChild(child, 'SIGKILL', STOP_TIMEOUT_MS);
      reject(new Error(`${options.name} ${why}\n--- stderr ---\n${tail(stderr)}\n--- stdout ---\n${tail(stdout)}`));
    };
    const timer = setTimeout(() => fail(`did not become ready within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(`could not be started: ${err.message}`));
    child.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal}) before it was ready`));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (settled) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const ready = options.ready(line.replace(/\r$/, ''));
        if (ready !== undefined) {
          settled = true;
          clearTimeout(timer);
          resolve(handle(ready));
          return;
        }
      }
    });
  });
}

/** DATA_DIRs made for service processes that were given none; removed by stopAllProcesses. */
const madeDataDirs = new Set<string>();

/** Stops every process started here that is still running (SIGTERM, then SIGKILL), then removes the DATA_DIRs made for them. For afterAll. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child, 'SIGTERM', STOP_TIMEOUT_MS)));
  for (const dir of madeDataDirs) rmSync(dir, { recursive: true, force: true });
  madeDataDirs.clear();
}

/** The test FHIR server (`test-support/fhirServer/main.ts`) on a free loopback port; `ready` is its base URL. */
export function startFhirServerProcess(options: { bearerToken?: string; env?: Record<string, string> } = {}): Promise<StartedProcess<string>> {
  return startProcess({
    name: 'FHIR test server',
    args: ['--import', 'tsx', 'test-support/fhirServer/main.ts'],
    env: {
      FHIR_PORT: '0',
      FHIR_HOST: '127.0.0.1',
      ...(options.bearerToken !== undefined ? { FHIR_BEARER_TOKEN: options.bearerToken } : {}),
      ...options.env,
    },
    ready: (line) => /^FHIR server listening on (http:\/\/127\.0\.0\.1:\d+\/fhir)$/.exec(line)?.[1],
  });
}

/** One JSON log line of the service (pino); non-JSON lines are returned as null. */
export function parseLogLine(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The service (`src/main.ts` through tsx, no build) on a free loopback port (PORT=0); `ready` is its
 * origin, e.g. `http://127.0.0.1:40123`, taken from the `nkr-pain-cds listening` log line. Without a
 * DATA_DIR in `env` it gets a fresh temporary one: one instance per DATA_DIR (src/store/instanceLock.ts),
 * and tests leave the project's ./data alone.
 */
export function startServiceProcess(env: Record<string, string> = {}, nodeFlags: readonly string[] = []): Promise<StartedProcess<string>> {
  let dataDir = env.DATA_DIR;
  if (dataDir === undefined) {
    dataDir = mkdtempSync(join(tmpdir(), 'nkr-service-'));
    madeDataDirs.add(dataDir);
  }
  return startProcess({
    name: 'nkr-pain-cds service',
    args: [...nodeFlags, '--import', 'tsx', 'src/main.ts'],
    env: { PORT: '0', HOST: '127.0.0.1', ...env, DATA_DIR: dataDir },
    ready: (line) => {
      const entry = parseLogLine(line);
      if (entry?.msg !== 'nkr-pain-cds listening' || typeof entry.url !== 'string') return undefined;
      return new URL(entry.url).origin;
    },
  });
}

export { freePort } from '../../test-support/freePort.js';
