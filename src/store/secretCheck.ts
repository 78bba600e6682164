/**
 * Every instance on one store must use the same PSEUDONYM_SECRET: the keys of patients, findings and callers
 * are keyed hashes under it, so an instance with another secret never finds the suppressions the others
 * wrote, and its own answers never act on their cards (the caller keys differ) — quiet by design would fail
 * without a word. The store keeps a keyed hash of a fixed text under the secret of the first instance that
 * started on it; an instance whose own differs is refused at start. `npm run quiet:reset` forgets it (a
 * secret changed on purpose: what was quieted under the old one cannot be read under the new one anyway).
 * A running instance checks again (SecretWatch): one left running through a reset is not left to differ.
 */
import { ConfigError } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Pseudonymizer } from './pseudonym.js';
import type { Store } from './store.js';
import type { StoreHealth } from './storeHealth.js';

const SETTING = 'pseudonym-secret-check';
/** How often a running instance checks again. */
const RECHECK_MS = 30_000;

export async function checkPseudonymSecret(store: Store, pseudonyms: Pseudonymizer): Promise<void> {
  const own = pseudonyms.secretCheck();
  const recorded = await store.claimSetting(SETTING, own);
  if (recorded !== own) {
    throw new ConfigError(
      'PSEUDONYM_SECRET',
      `differs from the secret the store's pseudonymous keys were made with (another instance on this store, or an earlier start, used another): set the same PSEUDONYM_SECRET on every instance. To change it on purpose, stop every instance and run npm run quiet:reset (what was quieted under the old secret is forgotten), then start them with the new one`,
    );
  }
}

/** quiet:reset: the next instance to start records its own secret. */
export async function forgetPseudonymSecret(store: Store): Promise<void> {
  await store.claimSetting(SETTING, null);
}

/**
 * The running instance's side of the check. `npm run quiet:reset` while an instance runs forgets the recorded
 * check, and an instance started then with another secret would not be refused. So every RECHECK_MS a running
 * instance claims the check again — recording its own when it was forgotten, so that an instance started later
 * with another secret is refused at start — and compares: while the store holds another secret's check (that
 * instance started first), this one is not ready (/readyz 503: a load balancer stops sending it calls) and says
 * so once in the log, until the store holds its own again. A check that cannot reach the store changes nothing
 * (StoreHealth counts it).
 */
export class SecretWatch {
  private differs = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: { store: Store; pseudonyms: Pseudonymizer; health: StoreHealth; logger: Logger }) {}

  /** For /readyz: why this instance must not serve, or null. */
  get problem(): string | null {
    return this.differs
      ? 'PSEUDONYM_SECRET differs from the one the store now records (another instance started with another secret after npm run quiet:reset): restart this instance with that secret, or stop the other'
      : null;
  }

  async check(): Promise<void> {
    const own = this.deps.pseudonyms.secretCheck();
    let recorded: string | null;
    try {
      recorded = await this.deps.health.track('secret-check', () => this.deps.store.claimSetting(SETTING, own));
    } catch {
      return;
    }
    const differs = recorded !== own;
    if (differs && !this.differs) this.deps.logger.error('PSEUDONYM_SECRET differs from the secret the store records now: this instance is not ready (/readyz 503) until they agree');
    else if (!differs && this.differs) this.deps.logger.warn('PSEUDONYM_SECRET agrees with the store again: ready');
    this.differs = differs;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.check(), RECHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
