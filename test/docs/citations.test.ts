/**
 * Comments, docs and data files cite what a user of the project has: `docs/clinical-rules.md §N` for the
 * clinical rules, the public spec URL `https://cds-hooks.hl7.org/2.0/#<section>` for the protocol, and
 * `fixtures/sandbox/README.md` for the sandbox's behaviour. Never the requirement notes the project was
 * built from (kept outside the repository), nor line numbers of the spec's source file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectPath, projectRoot } from '../../src/projectRoot.js';

// Spelled in pieces so that this file does not cite them itself.
const FORBIDDEN: Array<[string, RegExp]> = [
  ['the guideline notes (cite docs/clinical-rules.md §N)', new RegExp(['guideline', 'rules'].join('-'))],
  ['the protocol notes (cite https://cds-hooks.hl7.org/2.0/#section)', new RegExp(['cds-hooks-2', '0', 'md'].join('\\.'))],
  ['a line of the spec source (cite https://cds-hooks.hl7.org/2.0/#section)', new RegExp(`\\b${['spec', 'L'].join(' ')}\\d`, 'i')],
  ['the notes folder outside the project', new RegExp(['(\\.\\.|/work)', 'shared'].join('/'))],
];

const SCANNED = ['src', 'test', 'test-support', 'scripts', 'bench', 'README.md', 'cards', 'terminology', 'config', 'schemas', 'docs', 'fixtures/sandbox/README.md', 'fixtures/orders'];
const TEXT = /\.(ts|js|json|ya?ml|md|csv)$/;

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => files(join(path, e.name)));
}

test.each(SCANNED)('%s cites only what the project has', (where) => {
  const found: string[] = [];
  for (const file of files(projectPath(where)).filter((f) => TEXT.test(f))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const [what, pattern] of FORBIDDEN) if (pattern.test(line)) found.push(`${relative(projectRoot, file)}:${i + 1} cites ${what}`);
    });
  }
  expect(found).toEqual([]);
});
