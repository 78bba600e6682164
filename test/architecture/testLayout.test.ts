/**
 * Tests mirror src/ by file name (test/README.md): the tests of `src/<dir>/<file>.ts` are
 * `test/<dir>/<file>.test.ts`, or, when one file has several, `test/<dir>/<file>/<aspect>.test.ts`
 * (e.g. `test/app/requestLog.test.ts` tests `src/app.ts`); `test/scripts/<file>.test.ts` tests
 * `scripts/<file>.ts`, `test/bench/<file>.test.ts` tests `bench/<file>.ts`. Only the folders in CROSS_CUTTING hold tests of something other than one file.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectPath } from '../../src/projectRoot.js';

/** test/ folders whose tests are about the whole, not one source file (each named in test/README.md). */
const CROSS_CUTTING = new Set(['architecture', 'browser', 'docs', 'hardening', 'integration', 'repository', 'support']);

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

/** The source file a test file mirrors, or null when none exists. */
function mirroredSource(testPath: string, exists: (path: string) => boolean): string | null {
  const parts = testPath.replace(/\.test\.ts$/, '').split('/');
  const root = parts[0] === 'scripts' || parts[0] === 'bench' ? [] : ['src'];
  const own = [...root, ...parts].join('/') + '.ts';
  if (exists(own)) return own;
  const folder = [...root, ...parts.slice(0, -1)].join('/') + '.ts';
  return parts.length > 1 && exists(folder) ? folder : null;
}

test('every test outside the cross-cutting folders mirrors one source file', () => {
  const root = projectPath('test');
  const stray = testFiles(root)
    .map((f) => relative(root, f))
    .filter((f) => !CROSS_CUTTING.has(f.split('/')[0]!))
    .filter((f) => mirroredSource(f, (p) => existsSync(projectPath(p))) === null);
  expect(stray).toEqual([]);
});

test.each([
  ['guideline/scope.test.ts', 'src/guideline/scope.ts'],
  ['app/requestLog.test.ts', 'src/app.ts'],
  ['config.test.ts', 'src/config.ts'],
  ['scripts/demo.test.ts', 'scripts/demo.ts'],
  ['bench/bodies.test.ts', 'bench/bodies.ts'],
  ['transport/serviceProtocol.test.ts', null],
  ['guideline/scope/extra/deep.test.ts', null],
])('the rule itself: %s → %s', (testPath, expected) => {
  const existing = new Set(['src/guideline/scope.ts', 'src/app.ts', 'src/config.ts', 'scripts/demo.ts', 'bench/bodies.ts', 'src/transport/serviceRoute.ts']);
  expect(mirroredSource(testPath, (p) => existing.has(p))).toBe(expected);
});
