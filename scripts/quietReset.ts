/**
 * `npm run quiet:reset` — clears the quiet-by-design state (docs/clinical-rules.md §6) of the store this
 * environment names (DATABASE_URL, else the SQLite store in DATA_DIR): every answered card is shown
 * again at its next hook call. For demonstrations and testers; the card log and the feedback are kept
 * (the report still counts them). Running instances need no restart: they read the state per call.
 */
import { loadConfigOrExit } from '../src/config.js';
import { withStore } from '../src/store/openStore.js';
import { forgetPseudonymSecret } from '../src/store/secretCheck.js';

async function main(): Promise<void> {
  await withStore(loadConfigOrExit(), async (store) => {
    const cleared = await store.clearQuiet();
    // A PSEUDONYM_SECRET changed on purpose: the next instance to start records its own (src/store/secretCheck.ts).
    await forgetPseudonymSecret(store);
    process.stdout.write(`Quiet-by-design state cleared (${store.kind}): ${cleared} suppression(s) removed; answered cards show again.\n`);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`quiet:reset failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
