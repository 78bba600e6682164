import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

const LOG_EVERY_MS = 60_000;

/**
 * Whether the store is reachable, as its callers find out: each failure is counted (metrics), logged
 * at most once a minute (with how many were not logged), and shown by /readyz until an operation succeeds.
 */
export class StoreHealth {
  private downSince: number | null = null;
  private lastLoggedAt = -Infinity;
  private unlogged = 0;
  private lastError = '';

  constructor(
    private readonly deps: { logger: Logger; metrics: Metrics; clock?: () => number },
  ) {}

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  get up(): boolean {
    return this.downSince === null;
  }

  /** A short, secret-free description of the last failure (for /readyz). */
  get problem(): string | null {
    return this.downSince === null ? null : this.lastError;
  }

  failed(operation: string, err: unknown): void {
    const now = this.now();
    this.deps.metrics.storeErrors.inc({ operation });
    this.deps.metrics.storeUp.set(0);
    if (this.downSince === null) this.downSince = now;
    // Error names and codes only: a driver message may quote the connection string.
    this.lastError = errorSummary(err);
    if (now - this.lastLoggedAt >= LOG_EVERY_MS) {
      this.deps.logger.error({ operation, error: this.lastError, notLogged: this.unlogged }, 'store unavailable');
      this.lastLoggedAt = now;
      this.unlogged = 0;
    } else {
      this.unlogged++;
    }
  }

  succeeded(): void {
    if (this.downSince === null) return;
    this.deps.logger.warn({ downForMs: this.now() - this.downSince }, 'store reachable again');
    this.downSince = null;
    this.deps.metrics.storeUp.set(1);
  }

  /** Runs a store operation, recording its outcome; rethrows failures. */
  async track<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      this.succeeded();
      return result;
    } catch (err) {
      this.failed(operation, err);
      throw err;
    }
  }
}

function errorSummary(err: unknown): string {
  if (!(err instanceof Error)) return 'error';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${err.name} ${code}` : err.name === 'Error' ? `Error: ${err.message.slice(0, 80).replace(/\w+:\/\/\S+/g, '<url>')}` : err.name;
}
