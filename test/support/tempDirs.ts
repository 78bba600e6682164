import { afterAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp folders that are removed when the test file ends. Call once at the top level of a test file (or of
 * a module a test file imports); it registers the `afterAll` that removes every folder it handed out.
 *
 *   const tempDir = useTempDirs();
 *   test('…', () => { const dir = tempDir('cards-'); … });
 */
export function useTempDirs(): (prefix: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix: string): string => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
