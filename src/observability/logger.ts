import { pino, type Logger, type LoggerOptions as PinoOptions } from 'pino';

export type { Logger };

/**
 * Paths that may hold a token or patient data. pino removes them before a line is written, so a
 * careless `log.info({ req })` cannot leak a JWT or a FHIR access token.
 */
const NAMED_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'jwt',
  'access_token',
  'fhirAuthorization',
  'prefetch',
  'context',
  'body',
  'req.body',
];
/** The same keys one level down, under any key: these wildcards cost two thirds of a line's time. */
const NESTED_PATHS: string[] = ['*.fhirAuthorization', '*.access_token', '*.authorization', '*.prefetch', '*.context'];

/**
 * The most log output held in memory while stdout is not being read fast enough (a stalled log collector,
 * a full pipe): past it a line is dropped and counted rather than memory grow without bound, and once
 * stdout has caught up one warning line says how many were dropped.
 */
const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

export interface ServiceLoggerOptions {
  level?: string;
  /** Where lines go instead of stdout (tests). */
  destination?: NodeJS.WritableStream;
  /** Told of each line dropped at stdout (the service counts them in /metrics). */
  onDropped?: () => void;
  /** Default 16 MB (LOG_BUFFER_MAX_BYTES); tests lower it. */
  maxBufferBytes?: number;
}

export function createLogger(options: ServiceLoggerOptions = {}): Logger {
  const opts: PinoOptions = {
    level: options.level ?? 'info',
    base: { service: 'nkr-pain-cds' },
    redact: { paths: [...NAMED_PATHS, ...NESTED_PATHS], remove: true },
  };
  if (options.destination) return pino(opts, options.destination as pino.DestinationStream);
  // stdout written asynchronously: a line never waits for the disk or pipe on the request path, and
  // lines that come while a write is under way go out together (the synchronous default made one
  // write call per request: a quarter of the CPU of a call that issues no cards, `npm run bench`).
  // pino flushes what is buffered when the process exits.
  const stdout = pino.destination({ dest: 1, sync: false, maxLength: options.maxBufferBytes ?? LOG_BUFFER_MAX_BYTES });
  const logger = pino(opts, stdout);
  let dropped = 0;
  stdout.on('drop', () => {
    dropped++;
    options.onDropped?.();
  });
  stdout.on('drain', () => {
    if (dropped === 0) return;
    const droppedLines = dropped;
    dropped = 0;
    logger.warn({ droppedLines }, 'log lines dropped: stdout was not read fast enough');
  });
  return logger;
}

/** A logger that writes nothing: tests build apps with it unless they assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * For the one line per request (src/observability/requestLog.ts), built only from the request's id,
 * method, path, status, time and the route's summary (ids, kinds, counts, our own words): the named
 * paths are still removed, the costly nested wildcards are not needed (`npm run bench`: 18 → 7 µs a line).
 */
export function requestLineLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: NAMED_PATHS, remove: true } });
}
