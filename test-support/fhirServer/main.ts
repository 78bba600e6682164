import { createFhirTestServer, MAX_LATENCY_MS } from './server.js';

/**
 * `npm run fhir-server`: the test FHIR server as a process. Env: FHIR_PORT (default 8081; 0 picks a
 * free port), FHIR_HOST (default 127.0.0.1), FHIR_BEARER_TOKEN (optional), FHIR_SEED_DIR (optional),
 * FHIR_SEED_SHIFT_DAYS (default 0), FHIR_LATENCY_MS (default 0: every request answered that many ms late,
 * on a timer, like a server waiting on its database; at most 10,000).
 * Prints one line `FHIR server listening on <baseUrl>` on stdout once it accepts requests; tests
 * parse it.
 */

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 8081;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`FHIR_PORT is not a port: ${value}`);
  return port;
}

function parseShift(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const days = Number(value);
  if (!Number.isInteger(days) || Math.abs(days) > 365_000) throw new Error(`FHIR_SEED_SHIFT_DAYS is not a whole number of days: ${value}`);
  return days;
}

function parseLatency(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_LATENCY_MS) {
    throw new Error(`FHIR_LATENCY_MS is not a whole number of ms from 0 to ${MAX_LATENCY_MS}: ${value}`);
  }
  return ms;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const latencyMs = parseLatency(process.env.FHIR_LATENCY_MS);
  const server = await createFhirTestServer({
    port: parsePort(process.env.FHIR_PORT),
    host: process.env.FHIR_HOST || '127.0.0.1',
    ...(process.env.FHIR_BEARER_TOKEN ? { bearerToken: process.env.FHIR_BEARER_TOKEN } : {}),
    ...(process.env.FHIR_SEED_DIR ? { seedDir: process.env.FHIR_SEED_DIR } : {}),
    seedDateShiftDays: parseShift(process.env.FHIR_SEED_SHIFT_DAYS),
    latencyMs,
  });
  const ms = Math.round(performance.now() - startedAt);
  const auth = process.env.FHIR_BEARER_TOKEN ? 'bearer token required' : 'no auth';
  const latency = latencyMs > 0 ? `; every answer ${latencyMs} ms late` : '';
  // Details first on stderr: stdout carries only the machine-readable line.
  process.stderr.write(
    `FHIR server ready in ${ms} ms (${auth}; seeded ${server.seeded.resources} resources from ${server.seeded.files} files${latency})\n`,
  );
  process.stdout.write(`FHIR server listening on ${server.baseUrl}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`FHIR server stopping (${signal})\n`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`FHIR server close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`FHIR server failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
