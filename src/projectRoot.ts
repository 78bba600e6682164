import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json. Data folders (cards/, terminology/, schemas/, config/) are read
 * from here, so the same code works from src/ (tests, tsx) and from dist/src/ (npm start).
 */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('nkr-pain-cds: cannot find the project root (package.json)');
}

export const projectRoot: string = findProjectRoot();

export function projectPath(...parts: string[]): string {
  return join(projectRoot, ...parts);
}
