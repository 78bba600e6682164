import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { errorCodeOf } from '../model/errorCode.js';

const LOG_EVERY_MS = 60_000;

/** Operations that write: a store that answers reads but cannot write (a full disk, a lock) is not up. */
const WRITES: ReadonlySet<string> = new Set(['card-log', 'feedback', 'quiet-write', 'jwt-replay', 'jwt-replay-prune', 'quiet-prune', 'retention']);

/**
 * Whether the store is reachable and writable, as its callers find out: each failure is counted (metrics),
 * logged at most once a minute (with how many were not logged), and shown by /readyz until an operation of
 * the same kind succeeds — a failed write only by a write, so reads (the readiness ping) do not hide it.
 */
export class StoreHealth {
  private downSince: number | null = null;
  /** The failure that made it down was a write: only a write clears it. */
  private writeFailed = false;
  private lastLoggedAt = -Infinity;
  private lastRecoveryLoggedAt = -Infinity;
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
    if (WRITES.has(operation)) this.writeFailed = true;
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

  /** `operation`: what succeeded; a read does not clear a failed write. */
  succeeded(operation?: string): void {
    if (this.downSince === null) return;
    if (this.writeFailed && (operation === undefined || !WRITES.has(operation))) return;
    const now = this.now();
    // Logged at most once a minute too: a store that comes and goes must not fill the log.
    if (now - this.lastRecoveryLoggedAt >= LOG_EVERY_MS) {
      this.deps.logger.warn({ downForMs: now - this.downSince }, 'store reachable again');
      this.lastRecoveryLoggedAt = now;
    }
    this.downSince = null;
    this.writeFailed = false;
    this.deps.metrics.storeUp.set(1);
  }

  /**
   * Runs a store operation, recording its outcome; rethrows failures. `isStoreFailure` false for an error
   * that says nothing about the store (a long read given up): rethrown, not recorded.
   */
  async track<T>(operation: string, fn: () => Promise<T>, isStoreFailure: (err: unknown) => boolean = () => true): Promise<T> {
    try {
      const result = await fn();
      this.succeeded(operation);
      return result;
    } catch (err) {
      if (isStoreFailure(err)) this.failed(operation, err);
      throw err;
    }
  }
}

function errorSummary(err: unknown): string {
  if (!(err instanceof Error)) return 'error';
  const code = errorCodeOf(err);
  return code !== undefined ? `${err.name} ${code}` : err.name === 'Error' ? `Error: ${err.message.slice(0, 80).replace(/\w+:\/\/\S+/g, '<url>')}` : err.name;
}
