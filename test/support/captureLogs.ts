import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.js';

/** What a test reads back: the raw text, the parsed lines (typed as the test needs), and a reset. */
export interface CapturedLogs {
  logger: Logger;
  text: () => string;
  lines: <Line = Record<string, unknown>>() => Line[];
  clear: () => void;
}

/** A pino logger (the service's own settings, at `level`) writing into memory, so tests can read what was logged. */
export function captureLogs(level = 'debug'): CapturedLogs {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level, destination: stream });
  const text = (): string => chunks.join('');
  const lines = <Line = Record<string, unknown>>(): Line[] =>
    text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Line);
  const clear = (): void => {
    chunks.length = 0;
  };
  return { logger, text, lines, clear };
}
