import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The service's stdout logger writes asynchronously (src/observability/logger.ts). What it promises: a line
// is written at once though nothing else is logged (an operator tailing the log is not kept waiting, e.g. by
// a batching destination), and every line logged before the process exits is written. Checked on a real
// process's stdout.
const loggerModule = fileURLToPath(new URL('../../src/observability/logger.ts', import.meta.url));

interface Child {
  lines: () => string[];
  exited: Promise<number | null>;
  kill: () => void;
}

function startChild(body: string): Child {
  const script = [`import { createLogger } from ${JSON.stringify(loggerModule)};`, `const logger = createLogger({ level: 'info' });`, body].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { lines: () => out.split('\n').filter((l) => l !== ''), exited, kill: () => child.kill('SIGKILL') };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('stdout logger', () => {
  test('a lone line is written without waiting for more lines or for the process to end', async () => {
    // One short line; the process then idles for 20 s (killed below).
    const child = startChild(`logger.info({ n: 1 }, 'lone line'); setTimeout(() => undefined, 20_000);`);
    try {
      // Generous: a machine running the whole suite is slow; a line held for a batch would never come.
      const seen = await waitFor(() => child.lines().some((l) => l.includes('lone line')), 8_000);
      expect(seen).toBe(true);
    } finally {
      child.kill();
      await child.exited;
    }
  });

  test('every line logged before an exit is written, in order', async () => {
    const child = startChild(`for (let i = 0; i < 500; i++) logger.info({ i }, 'numbered line'); process.exit(0);`);
    expect(await child.exited).toBe(0);
    const numbers = child.lines().map((l) => (JSON.parse(l) as { i: number }).i);
    expect(numbers).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  test('lines are JSON with the service name, and a token under a named key is removed', async () => {
    const child = startChild(`logger.info({ authorization: 'Bearer secret-token', serviceId: 'x' }, 'with a token'); process.exit(0);`);
    await child.exited;
    const [line] = child.lines();
    expect(line).toBeDefined();
    const entry = JSON.parse(line ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({ service: 'nkr-pain-cds', serviceId: 'x', msg: 'with a token' });
    expect(line).not.toContain('secret-token');
  });
});
