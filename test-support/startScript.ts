import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/projectRoot.js';

/**
 * The node flags of `npm start` (package.json's start script, `node [--flag …] dist/src/main.js`), so the
 * bench and the soak run the service with the runtime settings a user's `npm start` gets (the heap limits:
 * README, Operations). Throws when the start script has another shape, rather than guess.
 */
export function startScriptNodeFlags(): string[] {
  const pkg: unknown = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  return nodeFlagsOf(typeof pkg === 'object' && pkg !== null && 'scripts' in pkg && typeof pkg.scripts === 'object' && pkg.scripts !== null && 'start' in pkg.scripts ? pkg.scripts.start : undefined);
}

/** The flags of a start script `node [--flag …] dist/src/main.js`; throws for any other shape. */
export function nodeFlagsOf(start: unknown): string[] {
  const m = typeof start === 'string' ? /^node((?: --\S+)*) dist\/src\/main\.js$/.exec(start) : null;
  if (!m) throw new Error(`package.json's start script is not "node [--flag …] dist/src/main.js": ${String(start)}`);
  return (m[1] ?? '').split(' ').filter((f) => f !== '');
}
