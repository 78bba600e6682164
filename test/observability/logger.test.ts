import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requestLineLogger, type Logger } from '../../src/observability/logger.js';
import { captureLogs } from '../support/captureLogs.js';
import { parseLogLine, startProcess, stopAllProcesses } from '../support/processes.js';

// The service's stdout logger writes asynchronously (src/observability/logger.ts). What it promises: a line
// is written at once though nothing else is logged (an operator tailing the log is not kept waiting, e.g. by
// a batching destination), and every line logged before the process exits is written. Checked on a real
// process's stdout.
const loggerModule = fileURLToPath(new URL('../../src/observability/logger.ts', import.meta.url));

/** Node's arguments for a module that makes the stdout logger and then runs `body`. */
const loggingArgs = (body: string): string[] => [
  '--import',
  'tsx',
  '--input-type=module',
  '-e',
  [`import { createLogger } from ${JSON.stringify(loggerModule)};`, `const logger = createLogger({ level: 'info' });`, body].join('\n'),
];

/** Runs to the end (spawnSync reads stdout until it closes, so nothing written before the exit is missed). */
function runToExit(body: string): { status: number | null; lines: string[] } {
  const run = spawnSync(process.execPath, loggingArgs(body), { encoding: 'utf8', timeout: 15_000 });
  return { status: run.status, lines: run.stdout.split('\n').filter((l) => l !== '') };
}

afterAll(stopAllProcesses);

describe('stdout logger', () => {
  test('a lone line is written without waiting for more lines or for the process to end', async () => {
    // One short line; the process then idles for 20 s (stopped below). startProcess rejects unless the line
    // comes within the (generous: the whole suite may be running) timeout; a line held for a batch never would.
    const p = await startProcess({
      name: 'logger process',
      args: loggingArgs(`logger.info({ n: 1 }, 'lone line'); setTimeout(() => undefined, 20_000);`),
      ready: (line) => (line.includes('lone line') ? true : undefined),
      timeoutMs: 8_000,
    });
    await p.stop('SIGKILL');
  });

  test('every line logged before an exit is written, in order', () => {
    const { status, lines } = runToExit(`for (let i = 0; i < 500; i++) logger.info({ i }, 'numbered line'); process.exit(0);`);
    expect(status).toBe(0);
    expect(lines.map((l) => parseLogLine(l)?.i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  test('past its buffer, stdout drops lines instead of holding them all; the drops are counted and then named in one warning', () => {
    // 20,000 lines logged in one synchronous loop: none can be written meanwhile, so past the (here 200 KB)
    // buffer they are dropped. Memory stays bounded; nothing is lost without a word.
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        [
          `import { createLogger } from ${JSON.stringify(loggerModule)};`,
          `let dropped = 0;`,
          `const logger = createLogger({ level: 'info', maxBufferBytes: 200_000, onDropped: () => dropped++ });`,
          `for (let i = 0; i < 20_000; i++) logger.info({ i, pad: 'x'.repeat(100) }, 'filler');`,
          `process.stderr.write(String(dropped));`,
        ].join('\n'),
      ],
      { encoding: 'utf8', timeout: 15_000 },
    );
    expect(run.status).toBe(0);
    const dropped = Number(run.stderr.trim().split('\n').at(-1));
    const lines = run.stdout.split('\n').filter((l) => l !== '').map((l) => parseLogLine(l));
    const fillers = lines.filter((l) => l?.msg === 'filler');
    expect(dropped).toBeGreaterThan(15_000);
    expect(fillers.length).toBeLessThan(2_000);
    expect(fillers.length + dropped).toBe(20_000);
    // The lines kept are the first ones, in order.
    expect(fillers.map((l) => l?.i)).toEqual(Array.from({ length: fillers.length }, (_, i) => i));
    expect(lines.filter((l) => l?.msg === 'log lines dropped: stdout was not read fast enough')).toEqual([expect.objectContaining({ level: 40, droppedLines: dropped })]);
  });

  test('lines are JSON with the service name, and a token under a named key is removed', () => {
    const { lines } = runToExit(`logger.info({ authorization: 'Bearer secret-token', serviceId: 'x' }, 'with a token'); process.exit(0);`);
    const [line] = lines;
    expect(line).toBeDefined();
    expect(parseLogLine(line ?? '')).toMatchObject({ service: 'nkr-pain-cds', serviceId: 'x', msg: 'with a token' });
    expect(line).not.toContain('secret-token');
  });
});

describe('logger redaction (src/observability/logger.ts): every named and nested path', () => {
  /** What `log` wrote through a logger made by createLogger (see test/support/captureLogs.ts). */
  function capture(log: (logger: Logger) => void): string {
    const { logger, text } = captureLogs();
    log(logger);
    return text();
  }
  const SECRETS = { authorization: 'Bearer tok-auth', cookie: 'sid=tok-cookie', access_token: 'tok-access', prefetch: 'pat-prefetch', context: 'pat-context' };
  const objects: Array<[string, Record<string, unknown>]> = [
    ['req.headers.authorization and cookie', { req: { headers: { authorization: SECRETS.authorization, cookie: SECRETS.cookie }, id: 'r1' } }],
    ['headers.authorization', { headers: { authorization: SECRETS.authorization } }],
    ['fhirAuthorization, top level', { fhirAuthorization: { access_token: SECRETS.access_token } }],
    ['token, jwt, access_token, body, top level', { token: SECRETS.authorization, jwt: SECRETS.authorization, access_token: SECRETS.access_token, body: SECRETS.prefetch }],
    ['prefetch and context, top level', { prefetch: { p: SECRETS.prefetch }, context: { patientId: SECRETS.context } }],
    ['one level down: fhirAuthorization, access_token, authorization, prefetch, context', { request: { fhirAuthorization: { access_token: SECRETS.access_token }, prefetch: SECRETS.prefetch, context: SECRETS.context }, other: { access_token: SECRETS.access_token, authorization: SECRETS.authorization } }],
  ];
  test.each(objects)('%s: removed, the rest of the line kept', (_name, fields) => {
    const out = capture((logger) => logger.info({ ...fields, serviceId: 'kept' }, 'line'));
    expect(out).toContain('"serviceId":"kept"');
    for (const secret of Object.values(SECRETS)) expect(out).not.toContain(secret);
  });
  test('the request-line logger still removes the named paths', () => {
    const out = capture((logger) => requestLineLogger(logger).info({ req: { headers: { authorization: SECRETS.authorization } }, prefetch: SECRETS.prefetch, context: SECRETS.context, serviceId: 'kept' }, 'line'));
    expect(out).toContain('"serviceId":"kept"');
    for (const secret of [SECRETS.authorization, SECRETS.prefetch, SECRETS.context]) expect(out).not.toContain(secret);
  });
});
