/**
 * The repository stands alone: nothing at run or test time reads outside it. Proved two ways:
 * 1. a copy of the project's files (tracked and new, as a fresh clone would have them, plus a symlink to
 *    node_modules) in a temp folder with no `shared` folder beside it runs the suite's key paths (the
 *    sandbox captures replayed with caller verification on, and the caller-verification tests);
 * 2. no file under src/, test/ or test-support/ names a path outside the project.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { projectPath, projectRoot } from '../../src/projectRoot.js';

/**
 * The suite's key paths: every test that reads the sandbox's key or captures (fixtures/sandbox/, once read
 * from outside the repository), found by what they read, so a moved or renamed test is still run.
 */
function keyTests(files: readonly string[]): string[] {
  const READS_SANDBOX = [`sandboxPath(`, `'fixtures', 'sandbox'`, `authTestKit.js'`];
  return files
    .filter((f) => f.startsWith('test/') && f.endsWith('.test.ts') && f !== 'test/repository/standsAlone.test.ts')
    .filter((f) => READS_SANDBOX.some((needle) => readFileSync(join(projectRoot, f), 'utf8').includes(needle)))
    .sort();
}

/** Tracked files and new, not ignored ones (what the next commit would hold); deleted ones are left out. */
function projectFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: projectRoot, encoding: 'utf8' });
  if (git.status !== 0) throw new Error(`git ls-files failed: ${git.stderr}`);
  return git.stdout
    .split('\0')
    .filter((f) => f !== '')
    .filter((f) => existsSync(join(projectRoot, f)) && lstatSync(join(projectRoot, f)).isFile());
}

/** The child jest must not think it is one of our workers. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('JEST_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, NODE_OPTIONS: '--experimental-vm-modules', NODE_ENV: 'test' };
}

describe('a copy of the repository with no shared folder beside it', () => {
  let parent = '';
  afterAll(() => {
    if (parent !== '') rmSync(parent, { recursive: true, force: true });
  });

  test(
    'runs the sandbox-capture and caller-verification tests green',
    () => {
      parent = mkdtempSync(join(tmpdir(), 'nkr-standalone-'));
      const copy = join(parent, 'nkr-pain-cds');
      const files = projectFiles();
      const tests = keyTests(files);
      // The sandbox-capture replay, the caller-verification tests and the others that sign like the sandbox.
      expect(tests).toEqual(expect.arrayContaining(['test/app/sandboxCaptures.test.ts']));
      expect(tests.length).toBeGreaterThanOrEqual(6);
      for (const f of files) {
        mkdirSync(dirname(join(copy, f)), { recursive: true });
        cpSync(join(projectRoot, f), join(copy, f));
      }
      symlinkSync(projectPath('node_modules'), join(copy, 'node_modules'), 'dir');
      expect(readdirSync(parent)).toEqual(['nkr-pain-cds']);
      expect(existsSync(join(parent, 'shared'))).toBe(false); // parent is the copy's '..'

      const jest = spawnSync(
        process.execPath,
        [join(copy, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--runInBand', '--no-watchman', '--cacheDirectory', join(parent, 'jest-cache'), ...tests],
        { cwd: copy, env: childEnv(), encoding: 'utf8', timeout: 280_000 },
      );
      const output = `${jest.stdout}\n${jest.stderr}`;
      // Every key test ran there (none skipped or missing) and every suite passed.
      const summary = /Test Suites:\s+(.*)\n/.exec(output)?.[1] ?? output;
      // On a failure, say which suite and why (the copy's own jest output).
      if (jest.status !== 0) process.stderr.write(output.split('\n').filter((l) => /^(FAIL|  ●)/.test(l)).join('\n') + '\n');
      expect(summary).toBe(`${tests.length} passed, ${tests.length} total`);
      expect(jest.status).toBe(0);
      for (const f of tests) expect(output).toContain(`PASS ${f}`);
    },
    300_000,
  );
});

describe('no source or test file names a path outside the project', () => {
  const name = ['sha', 'red'].join(''); // spelled in pieces so this file does not name it
  const OUTSIDE = [`../${name}`, `'..', '${name}'`, `"..", "${name}"`, `/work/${name}`];

  function walk(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  }

  test.each(['src', 'test', 'test-support'])('%s/', (folder) => {
    const offenders = walk(projectPath(folder))
      .filter((file) => {
        const text = readFileSync(file, 'utf8');
        return OUTSIDE.some((needle) => text.includes(needle));
      })
      .map((file) => relative(projectRoot, file));
    expect(offenders).toEqual([]);
  });
});
