/**
 * Every instance on one store must use the same PSEUDONYM_SECRET: the keys of patients, findings and callers
 * are keyed hashes under it, so an instance with another secret never finds the suppressions the others
 * wrote, and its own answers never act on their cards (the caller keys differ) — quiet by design would fail
 * without a word. The store keeps a keyed hash of a fixed text under the secret of the first instance that
 * started on it; an instance whose own differs is refused at start. `npm run quiet:reset` forgets it (a
 * secret changed on purpose: what was quieted under the old one cannot be read under the new one anyway).
 */
import { ConfigError } from '../config.js';
import type { Pseudonymizer } from './pseudonym.js';
import type { Store } from './store.js';

const SETTING = 'pseudonym-secret-check';

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
