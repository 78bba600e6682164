import { HOUR_MS, DAY_MS } from '../model/duration.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from './store.js';
import type { StoreHealth } from './storeHealth.js';

const EVERY_MS = HOUR_MS;
/** Rows a step deletes: small, so a SQLite step (on the main thread, ~10 ms) holds hook calls only briefly. */
const STEP = 200;
/**
 * After each step the pass waits four times as long as the step took (5 ms to 1 s): it takes at most a fifth
 * of the main thread. A turn of the event loop alone between 500-row steps left hook calls 6–15 % of their
 * throughput, with a p99 of 100–650 ms, for the 37 s that 800,000 rows took (an operations probe).
 */
const PAUSE_PER_STEP_MS = 4;
const MIN_PAUSE_MS = 5;
const MAX_PAUSE_MS = 1_000;

/**
 * RETENTION_DAYS (0 = keep everything): once an hour, cards issued and feedback received more than that many
 * days ago are deleted, a step at a time, paced to leave the main thread to hook calls. Answered-result and
 * other quiet-by-design state without an end date is kept (it holds until the finding changes).
 */
export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: { store: Store; health: StoreHealth; logger: Logger; days: number; clock?: () => number },
  ) {}

  start(): void {
    if (this.deps.days <= 0 || this.timer !== null) return;
    const tick = (): void => void this.runOnce();
    this.timer = setInterval(tick, EVERY_MS);
    this.timer.unref();
    setImmediate(tick);
  }

  /** One pass: every step until nothing older is left; the number of cards and feedback items deleted. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<number> {
    const cutoff = (this.deps.clock ?? Date.now)() - this.deps.days * DAY_MS;
    let total = 0;
    const steps = async (): Promise<void> => {
      try {
        for (;;) {
          if (this.stopped) break;
          const started = performance.now();
          const n = await this.deps.health.track('retention', () => this.deps.store.pruneBefore(cutoff, STEP));
          total += n;
          if (n === 0) break;
          const pause = Math.min(MAX_PAUSE_MS, Math.max(MIN_PAUSE_MS, (performance.now() - started) * PAUSE_PER_STEP_MS));
          await new Promise((resolve) => setTimeout(resolve, pause));
        }
      } catch {
        // Counted and logged by health; the next pass tries again.
      }
    };
    // Instances sharing one PostgreSQL store would all pick the same oldest rows at once: one pass at a time,
    // the others skip theirs (the next hour's pass, on whichever instance comes first, goes on).
    try {
      const ran = await this.deps.store.runAlone('retention', steps);
      if (!ran) this.deps.logger.debug('retention: another instance is running it; this pass skipped');
    } catch (err) {
      // The lock could not be asked for (the store unreachable): a failed retention, as a failed step is.
      this.deps.health.failed('retention', err);
    }
    if (total > 0) this.deps.logger.info({ deleted: total, olderThanDays: this.deps.days }, 'retention: old cards and feedback deleted');
    return total;
  }

  /** Stops the timer and waits for a pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
