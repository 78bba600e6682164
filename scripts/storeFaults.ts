/**
 * Store faults and durability (issue 14), for the feedback store of issue 10 — run once that store exists:
 *
 *   DATABASE_URL=postgres://… npx tsx scripts/storeFaults.ts --mode outage [--seconds 60]
 *       [--pg-stop "pg_ctlcluster 15 main stop -m fast"] [--pg-start "pg_ctlcluster 15 main start"]
 *   DATABASE_URL=postgres://… npx tsx scripts/storeFaults.ts --mode sigkill
 *   npx tsx scripts/storeFaults.ts --mode sigkill --sqlite-file feedback.sqlite   (embedded store under DATA_DIR)
 *
 * The service runs as a process on loopback (production mode, JWT on with a throw-away issuer, a temp
 * DATA_DIR). Load is pairs of calls: a patient-view (prefetch filled) and a feedback on one of the cards
 * it just issued, so every feedback names a card the service really issued and is unique.
 *
 * outage: PostgreSQL is stopped at 1/3 of the run and started again at 2/3. Promised (issue 10/14):
 *   - hook calls answer 200 throughout (cards matter more than their log);
 *   - feedback answers 503 while the store is down — never another 5xx, never a hang — and 200 again
 *     within --reconnect-s of the restart, without restarting the service;
 *   - /readyz is not 200 while the store is down and 200 after;
 *   - every feedback answered 200 is in the store afterwards.
 * sigkill: a burst of feedback (20 in flight), SIGKILL in the middle of it; the service is started again
 *   on the same store (migrations, reopen), and every feedback answered 200 before the kill is in the store.
 *
 * "In the store" is checked directly with --verify-sql (default `SELECT card_uuid FROM feedback`: it must return
 * the card uuid of each stored feedback, first column) — against DATABASE_URL, or the SQLite file
 * --sqlite-file under DATA_DIR. Exit 1 when a promise is broken. Bounded: ≤ 10 minutes, ≤ 200 pairs/s.
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/projectRoot.js';
import { createSoakIssuer, serviceEnvFor } from '../test-support/hardening/soakIssuer.js';
import { freePort } from '../test-support/freePort.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'outage' },
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '20' },
    'reconnect-s': { type: 'string', default: '10' },
    'pg-stop': { type: 'string', default: 'pg_ctlcluster 15 main stop -m fast' },
    'pg-start': { type: 'string', default: 'pg_ctlcluster 15 main start' },
    'verify-sql': { type: 'string', default: 'SELECT card_uuid FROM feedback' },
    'sqlite-file': { type: 'string' },
  },
});
const mode = values.mode;
if (mode !== 'outage' && mode !== 'sigkill') throw new Error('--mode is outage or sigkill');
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const reconnectS = Number(values['reconnect-s']);
if (!(seconds >= 10 && seconds <= 600)) throw new Error('--seconds takes 10 to 600');
if (!(rate >= 1 && rate <= 200)) throw new Error('--rate takes 1 to 200 pairs per second');
const databaseUrl = process.env.DATABASE_URL;
const sqliteFile = values['sqlite-file'];
if (mode === 'outage' && !databaseUrl) throw new Error('outage needs DATABASE_URL (a PostgreSQL the --pg-stop/--pg-start commands control)');
if (mode === 'sigkill' && !databaseUrl && !sqliteFile) throw new Error('sigkill needs DATABASE_URL or --sqlite-file (the SQLite file under DATA_DIR)');

const work = mkdtempSync(join(tmpdir(), 'nkr-store-faults-'));
const dataDir = join(work, 'data');
const issuer = createSoakIssuer(work);
const problems: string[] = [];


const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
let child: ChildProcess | null = null;

async function startService(): Promise<ChildProcess> {
  const started = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    env: serviceEnvFor(issuer, {
      port,
      dataDir,
      pseudonymSecret: 'store-faults-secret-not-for-production-0123456789',
      extra: {
        LOG_LEVEL: 'warn',
        // Every pair answers a card of the same patient: quieting would leave no card to answer after the first ones.
        QUIET_BY_DESIGN: 'off',
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      },
    }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (started.exitCode !== null) throw new Error(`the service exited with code ${started.exitCode} at start`);
    try {
      if ((await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  started.kill('SIGKILL');
  throw new Error('the service did not answer /healthz within 30 s');
}

function cleanUp(): void {
  child?.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanUp();
  process.exit(130);
});

const patientView = JSON.parse(readFileSync(join(projectRoot, 'fixtures', 'requests', 'patient-view-workup-partial-npu.json'), 'utf8')) as unknown;
const PV = '/cds-services/nkr-pain-patient-view';

async function post(path: string, body: unknown): Promise<{ status: number; body: unknown; ms: number }> {
  const t = performance.now();
  try {
    const res = await fetch(origin + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token(origin + path)}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed, ms: performance.now() - t };
  } catch (err) {
    // 0 = no answer (connection refused/reset, or the 5 s timeout)
    return { status: err instanceof Error && err.name === 'TimeoutError' ? -1 : 0, body: null, ms: performance.now() - t };
  }
}

const feedbackBody = (card: string): unknown => ({
  feedback: [{ card, outcome: 'overridden', outcomeTimestamp: new Date().toISOString(), overrideReason: { reason: { code: 'already-addressed', system: 'urn:nkr-pain-cds:override-reason' } } }],
});

type Phase = 'before' | 'down' | 'after';
interface PairResult {
  phase: Phase;
  at: number;
  hook: number;
  feedback: number | null;
  card: string | null;
}

/** One pair: a patient-view, then feedback on its first card. */
async function pair(phase: () => Phase, t0: number): Promise<PairResult> {
  const at = Date.now() - t0;
  const p = phase();
  const hook = await post(PV, patientView);
  const cards = (hook.body as { cards?: Array<{ uuid?: string }> } | null)?.cards ?? [];
  const card = cards.find((c) => typeof c.uuid === 'string')?.uuid ?? null;
  if (card === null) return { phase: p, at, hook: hook.status, feedback: null, card };
  const fb = await post(`${PV}/feedback`, feedbackBody(card));
  return { phase: p, at, hook: hook.status, feedback: fb.status, card };
}

async function storedCards(): Promise<Set<string>> {
  const sql = values['verify-sql'] as string;
  try {
    if (databaseUrl) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const result = await client.query({ text: sql, rowMode: 'array' });
        return new Set(result.rows.map((r: unknown[]) => String(r[0])));
      } finally {
        await client.end();
      }
    }
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dataDir, sqliteFile as string), { readonly: true });
    try {
      return new Set((db.prepare(sql).raw().all() as unknown[][]).map((r) => String(r[0])));
    } finally {
      db.close();
    }
  } catch (err) {
    throw new Error(`--verify-sql failed (${err instanceof Error ? err.message : String(err)}): give a query whose first column is the card uuid of each stored feedback`);
  }
}

function checkStored(acked: string[], stored: Set<string>): void {
  const lost = acked.filter((c) => !stored.has(c));
  console.log(`  feedback answered 200: ${acked.length}; found in the store: ${acked.length - lost.length}; lost: ${lost.length}`);
  if (lost.length > 0) problems.push(`${lost.length} acknowledged feedback records are not in the store (e.g. ${lost.slice(0, 3).join(', ')})`);
}

try {
  child = await startService();
  const t0 = Date.now();

  if (mode === 'outage') {
    const downAt = (seconds * 1000) / 3;
    const upAt = (2 * seconds * 1000) / 3;
    let phase: Phase = 'before';
    let restartedAt = 0;
    const readyz: Array<{ phase: Phase; status: number }> = [];
    const results: Promise<PairResult>[] = [];
    const interval = 1000 / rate;
    let next = Date.now();
    let lastReadyz = 0;
    while (Date.now() - t0 < seconds * 1000) {
      const elapsed = Date.now() - t0;
      if (phase === 'before' && elapsed >= downAt) {
        console.log(`  ${(elapsed / 1000).toFixed(1)} s: stopping PostgreSQL (${values['pg-stop']})`);
        execSync(values['pg-stop'] as string, { stdio: 'inherit' });
        phase = 'down';
      } else if (phase === 'down' && elapsed >= upAt) {
        console.log(`  ${(elapsed / 1000).toFixed(1)} s: starting PostgreSQL (${values['pg-start']})`);
        execSync(values['pg-start'] as string, { stdio: 'inherit' });
        phase = 'after';
        restartedAt = Date.now() - t0;
      }
      if (Date.now() - lastReadyz >= 1000) {
        lastReadyz = Date.now();
        const p = phase;
        void fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2000) })
          .then((r) => readyz.push({ phase: p, status: r.status }))
          .catch(() => readyz.push({ phase: p, status: 0 }));
      }
      results.push(pair(() => phase, t0));
      next += interval;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    const all = await Promise.all(results);
    const count = (ph: Phase, pick: (r: PairResult) => number | null): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const r of all.filter((x) => x.phase === ph)) {
        const s = pick(r);
        if (s !== null) out[s] = (out[s] ?? 0) + 1;
      }
      return out;
    };
    for (const ph of ['before', 'down', 'after'] as const) {
      console.log(`  ${ph.padEnd(6)} hook ${JSON.stringify(count(ph, (r) => r.hook))} feedback ${JSON.stringify(count(ph, (r) => r.feedback))} readyz ${JSON.stringify(readyz.filter((r) => r.phase === ph).map((r) => r.status))}`);
    }
    const badHooks = all.filter((r) => r.hook !== 200);
    if (badHooks.length > 0) problems.push(`${badHooks.length} hook calls were not answered 200 (statuses ${[...new Set(badHooks.map((r) => r.hook))].join(', ')})`);
    const badFeedback = all.filter((r) => r.feedback !== null && r.feedback !== 200 && r.feedback !== 503);
    if (badFeedback.length > 0) problems.push(`${badFeedback.length} feedback calls answered neither 200 nor 503 (${[...new Set(badFeedback.map((r) => r.feedback))].join(', ')}; 0 = no answer, -1 = timeout)`);
    const downFeedback = all.filter((r) => r.phase === 'down' && r.feedback !== null);
    if (downFeedback.length > 0 && !downFeedback.some((r) => r.feedback === 503)) problems.push('feedback never answered 503 while PostgreSQL was down');
    if (!readyz.some((r) => r.phase === 'down' && r.status !== 200)) problems.push('/readyz never said the store was down');
    const firstOkAfter = all.find((r) => r.phase === 'after' && r.feedback === 200 && r.at >= restartedAt);
    if (!firstOkAfter) problems.push('feedback never answered 200 again after PostgreSQL came back');
    else {
      const s = (firstOkAfter.at - restartedAt) / 1000;
      console.log(`  feedback answered 200 again ${s.toFixed(1)} s after PostgreSQL was started`);
      if (s > reconnectS) problems.push(`the service took ${s.toFixed(1)} s (> ${reconnectS} s) to reconnect`);
    }
    checkStored(all.filter((r) => r.feedback === 200 && r.card !== null).map((r) => r.card as string), await storedCards());
  } else {
    // sigkill: 20 pairs in flight for up to 4 s; SIGKILL after 1.5 s.
    const acked: string[] = [];
    let killed = false;
    const worker = async (): Promise<void> => {
      while (!killed && Date.now() - t0 < 4000) {
        const r = await pair(() => 'before', t0);
        if (r.feedback === 200 && r.card !== null && !killed) acked.push(r.card);
      }
    };
    const workers = Array.from({ length: 20 }, () => worker());
    await new Promise((r) => setTimeout(r, 1500));
    // Acknowledgements seen before the kill are the ones that must survive; later answers cannot exist.
    const ackedBeforeKill = acked.length;
    child.kill('SIGKILL');
    killed = true;
    await Promise.all(workers);
    console.log(`  SIGKILL after 1.5 s of a feedback burst (20 in flight); ${ackedBeforeKill} feedback answered 200 before it`);
    child = await startService(); // reopen the same store: migrations, recovery
    checkStored(acked.slice(0, ackedBeforeKill), await storedCards());
  }
} catch (err) {
  problems.push(err instanceof Error ? err.message : String(err));
} finally {
  cleanUp();
}

for (const p of problems) console.log(`  PROBLEM: ${p}`);
console.log(problems.length === 0 ? `store faults (${mode}): every promise kept` : `store faults (${mode}): FAILED`);
process.exit(problems.length === 0 ? 0 : 1);
