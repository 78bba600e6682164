/**
 * `npm run report` — the feedback report of the store this environment names (DATABASE_URL, else the
 * SQLite store in DATA_DIR): per card kind and language, and per week. `--json` prints the same JSON
 * as GET /admin/report. Built with the service, so an image without dev dependencies runs it as
 * `node dist/src/reportMain.js`.
 */
import { ConfigError, loadConfig } from './config.js';
import { openStore } from './store/openStore.js';
import { feedbackReport, formatReport } from './store/report.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const store = await openStore(config);
  try {
    const report = await feedbackReport(store, Date.now());
    process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`report failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
