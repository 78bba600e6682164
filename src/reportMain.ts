/**
 * `npm run report` — the feedback report of the store this environment names (DATABASE_URL, else the
 * SQLite store in DATA_DIR): per card kind and language, and per week. `--json` prints the same JSON
 * as GET /admin/report. Built with the service, so an image without dev dependencies runs it as
 * `node dist/src/reportMain.js`.
 */
import { loadConfigOrExit } from './config.js';
import { withStore } from './store/openStore.js';
import { feedbackReport, formatReport } from './store/report.js';

async function main(): Promise<void> {
  await withStore(loadConfigOrExit(), async (store) => {
    const report = await feedbackReport(store, Date.now());
    process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`report failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
