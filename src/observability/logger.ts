import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that may hold a token or patient data. pino removes them before a line is written, so a
 * careless `log.info({ req })` cannot leak a JWT or a FHIR access token.
 */
const REDACTED_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'jwt',
  'access_token',
  'fhirAuthorization',
  '*.fhirAuthorization',
  '*.access_token',
  '*.authorization',
  'prefetch',
  '*.prefetch',
  'context',
  '*.context',
  'body',
  'req.body',
];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'nkr-pain-cds' },
    redact: { paths: REDACTED_PATHS, remove: true },
  };
  return options.destination ? pino(opts, options.destination as pino.DestinationStream) : pino(opts);
}

/** A logger that writes nothing: tests build apps with it unless they assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
