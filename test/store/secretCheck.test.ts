/** Every instance on one store must share PSEUDONYM_SECRET: another one is refused at start (src/store/secretCheck.ts). */
import { ConfigError } from '../../src/config.js';
import { Pseudonymizer } from '../../src/store/pseudonym.js';
import { checkPseudonymSecret, forgetPseudonymSecret } from '../../src/store/secretCheck.js';
import { closeAll, freshStore, STORE_KINDS } from './storeKinds.js';

afterAll(closeAll);

describe.each(STORE_KINDS)('%s', (kind) => {
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
});
