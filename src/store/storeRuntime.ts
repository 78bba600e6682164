import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { CardLog } from './cardLog.js';
import { Pseudonymizer } from './pseudonym.js';
import { QuietByDesign } from './quiet.js';
import type { Store } from './store.js';
import { StoreHealth } from './storeHealth.js';

/** Everything built on an open store: its health, the card log writer, the pseudonymizer. (The shared JWT replay
 * cache on the store is transport's `StoreReplayCache`, built by main.ts.) */
export interface StoreRuntime {
  store: Store;
  health: StoreHealth;
  cardLog: CardLog;
  pseudonyms: Pseudonymizer;
  /** Quiet by design (docs/clinical-rules.md §6). */
  quiet: QuietByDesign;
}

export function storeRuntime(
  store: Store,
  deps: { config: Config; logger: Logger; metrics: Metrics; secret: string; health?: StoreHealth; clock?: () => number },
): StoreRuntime {
  const health = deps.health ?? new StoreHealth({ logger: deps.logger, metrics: deps.metrics, ...(deps.clock ? { clock: deps.clock } : {}) });
  const pseudonyms = new Pseudonymizer(deps.secret);
  const quiet = new QuietByDesign({ store, health, pseudonyms, settings: deps.config.quiet, clock: deps.clock ?? Date.now });
  const cardLog = new CardLog({ store, health, metrics: deps.metrics, pseudonyms, flushMs: deps.config.store.cardLogFlushMs, quiet });
  return { store, health, cardLog, pseudonyms, quiet };
}
