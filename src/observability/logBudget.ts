/**
 * At most `perWindow` log lines of one kind per window; the rest are counted by a key (a bounded set, such
 * as a check name) and reported in one summary line when the window ends. For lines that any client can
 * cause at will (a refused token): an integrator sees every line at the rate of a misconfiguration, a
 * flood of bad calls costs the log one line a window. The counts in full belong in a metric.
 */
export interface LogBudgetOptions {
  perWindow: number;
  windowMs: number;
  /** Called once a window ended in which lines were not logged: how many, by key. */
  onSuppressed: (notLogged: number, byKey: Record<string, number>) => void;
  /** Epoch ms; tests fix it. */
  clock?: () => number;
}

export class LogBudget {
  private windowStart = -Infinity;
  private logged = 0;
  private suppressed = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;

  constructor(private readonly options: LogBudgetOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** True when this line may be logged; false when it is counted under `key` instead. */
  allow(key: string): boolean {
    const now = this.clock();
    if (now - this.windowStart >= this.options.windowMs) {
      this.report();
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged < this.options.perWindow) {
      this.logged++;
      return true;
    }
    this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
    // The summary comes when the window ends even if no line comes after it (unref'd: it keeps no process alive).
    this.timer ??= setTimeout(() => this.report(), Math.max(0, this.windowStart + this.options.windowMs - now)).unref();
    return false;
  }

  /** Reports what was not logged (if anything) now. */
  private report(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.suppressed.size === 0) return;
    const byKey = Object.fromEntries(this.suppressed);
    this.suppressed = new Map();
    this.options.onSuppressed(
      Object.values(byKey).reduce((a, b) => a + b, 0),
      byKey,
    );
  }
}
