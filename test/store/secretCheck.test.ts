/**
 * Every instance on one store must share PSEUDONYM_SECRET: another one is refused at start, and a running one
 * checks again (src/store/secretCheck.ts).
 */
import { ConfigError } from '../../src/config.js';
import { Pseudonymizer } from '../../src/store/pseudonym.js';
import { Metrics } from '../../src/observability/metrics.js';
import { checkPseudonymSecret, forgetPseudonymSecret, SecretWatch } from '../../src/store/secretCheck.js';
import { StoreHealth } from '../../src/store/storeHealth.js';
import { captureLogs } from '../support/captureLogs.js';
import { closeAll, freshStore, STORE_KINDS } from './storeKinds.js';

afterAll(closeAll);

describe.each(STORE_KINDS)('%s', (kind) => {
  /** A fresh store, two secrets, and the running check of an instance started with the first. */
  async function running() {
    const store = await freshStore(kind);
    const first = new Pseudonymizer('first-pseudonym-secret-0123456789-abcdef');
    const other = new Pseudonymizer('other-pseudonym-secret-0123456789-abcdef');
    const logs = captureLogs();
    const watch = new SecretWatch({ store, pseudonyms: first, health: new StoreHealth({ logger: logs.logger, metrics: new Metrics() }), logger: logs.logger });
    return { store, first, other, logs, watch };
  }

  test('the first secret is recorded; the same passes, another is refused; quiet:reset forgets it', async () => {
    const store = await freshStore(kind);
    const first = new Pseudonymizer('first-pseudonym-secret-0123456789-abcdef');
    const other = new Pseudonymizer('other-pseudonym-secret-0123456789-abcdef');
    await checkPseudonymSecret(store, first);
    await checkPseudonymSecret(store, first);
    await expect(checkPseudonymSecret(store, other)).rejects.toThrow(ConfigError);
    await expect(checkPseudonymSecret(store, other)).rejects.toThrow(/PSEUDONYM_SECRET: differs/);
    // The store keeps a keyed hash, never the secret.
    const rows = await store.db.all('SELECT value FROM store_setting');
    expect(JSON.stringify(rows)).not.toContain('first-pseudonym-secret');
    await forgetPseudonymSecret(store);
    await checkPseudonymSecret(store, other);
    await expect(checkPseudonymSecret(store, first)).rejects.toThrow(ConfigError);
  });

  test('a running instance checks again: a reset while it runs records its secret again, so one started after with another is refused', async () => {
    const { store, first, other, logs, watch } = await running();
    await checkPseudonymSecret(store, first);
    await forgetPseudonymSecret(store);
    await watch.check();
    expect(watch.problem).toBeNull();
    await expect(checkPseudonymSecret(store, other)).rejects.toThrow(/PSEUDONYM_SECRET: differs/);
    // The control: without the running instance's check, the other would have been let in.
    await forgetPseudonymSecret(store);
    await checkPseudonymSecret(store, other);
    expect(logs.text()).toBe('');
  });

  test('another secret recorded while it runs: not ready, said once in the log; ready again when the store holds its own', async () => {
    const { store, first, other, logs, watch } = await running();
    await checkPseudonymSecret(store, first);
    await forgetPseudonymSecret(store);
    await checkPseudonymSecret(store, other); // started during the reset, before the running one checked
    await watch.check();
    await watch.check();
    expect(watch.problem).toMatch(/^PSEUDONYM_SECRET differs/);
    expect(logs.lines<{ level: number; msg: string }>().filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      'PSEUDONYM_SECRET differs from the secret the store records now: this instance is not ready (/readyz 503) until they agree',
    ]);
    await forgetPseudonymSecret(store);
    await watch.check();
    expect(watch.problem).toBeNull();
    expect(logs.text()).toContain('PSEUDONYM_SECRET agrees with the store again');
  });
});
