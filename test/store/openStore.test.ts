import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// openStore loads the PostgreSQL driver only when DATABASE_URL names a server: an instance on SQLite
// never holds it (src/store/openStore.ts). Checked in a fresh process, where the module cache is its own.
describe('openStore', () => {
  const run = (databaseUrl: string | null): { stdout: string; stderr: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'open-store-'));
    try {
      const openStoreModule = fileURLToPath(new URL('../../src/store/openStore.ts', import.meta.url));
      const config = { store: { dataDir: dir, databaseUrl } };
      const script = [
        `import { createRequire } from 'node:module';`,
        `import { openStore } from ${JSON.stringify(openStoreModule)};`,
        `const store = await openStore(${JSON.stringify(config)}).catch((err) => { console.log('open failed', err.code ?? err.name); return null; });`,
        `await store?.close();`,
        `const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/pg/'));`,
        `console.log(loaded ? 'pg loaded' : 'pg not loaded');`,
      ].join('\n');
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
      return { stdout: child.stdout, stderr: child.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('on SQLite the PostgreSQL driver is not loaded', () => {
    const { stdout, stderr } = run(null);
    expect(stderr).toBe('');
    expect(stdout).toContain('pg not loaded');
    expect(stdout).not.toContain('open failed');
  });

  test('with a DATABASE_URL it is (the server need not answer for that)', () => {
    // Nothing listens on port 1: the open fails, after the driver was loaded to try.
    const { stdout } = run('postgres://nobody@127.0.0.1:1/none');
    expect(stdout).toContain('open failed');
    expect(stdout).toContain('pg loaded');
  });
});

describe('withStore (the scripts: report, quiet:reset)', () => {
  test('an embedded store that does not exist is refused, and nothing is created there; one that exists is opened', async () => {
    const { withStore, openStore, NoStoreThere } = await import('../../src/store/openStore.js');
    const dir = mkdtempSync(join(tmpdir(), 'with-store-'));
    try {
      const config = { store: { dataDir: join(dir, 'typo'), databaseUrl: null } } as unknown as Parameters<typeof withStore>[0];
      await expect(withStore(config, async () => 'ran')).rejects.toBeInstanceOf(NoStoreThere);
      expect(existsSync(join(dir, 'typo'))).toBe(false);
      const real = { store: { dataDir: dir, databaseUrl: null } } as unknown as Parameters<typeof withStore>[0];
      await (await openStore(real)).close();
      await expect(withStore(real, async () => 'ran')).resolves.toBe('ran');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a SQLite file of the store\'s name that holds no store of ours (a copy of another database) is refused and left as it was: not migrated, not switched to WAL', async () => {
    const { withStore, NoStoreThere, SQLITE_FILE } = await import('../../src/store/openStore.js');
    const { default: Database } = await import('better-sqlite3');
    const dir = mkdtempSync(join(tmpdir(), 'with-store-'));
    try {
      const config = { store: { dataDir: dir, databaseUrl: null } } as unknown as Parameters<typeof withStore>[0];
      // Another application's database, with or without a `schema_migrations` table of its own (Rails names it so).
      for (const schema of ['CREATE TABLE users (name TEXT)', "CREATE TABLE users (name TEXT); CREATE TABLE schema_migrations (version varchar PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240101000000')"]) {
        rmSync(join(dir, SQLITE_FILE), { force: true });
        const other = new Database(join(dir, SQLITE_FILE));
        other.exec(schema);
        const tables = other.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
        other.close();
        await expect(withStore(config, async () => 'ran')).rejects.toBeInstanceOf(NoStoreThere);
        const after = new Database(join(dir, SQLITE_FILE), { readonly: true });
        expect([schema, after.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all(), after.pragma('journal_mode', { simple: true })]).toEqual([schema, tables, 'delete']);
        after.close();
      }
      // A file that is no database at all: refused the same way, and left as it was.
      writeFileSync(join(dir, SQLITE_FILE), 'not a database');
      await expect(withStore(config, async () => 'ran')).rejects.toBeInstanceOf(NoStoreThere);
      expect(readFileSync(join(dir, SQLITE_FILE), 'utf8')).toBe('not a database');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
