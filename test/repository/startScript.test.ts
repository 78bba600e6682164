import { spawnSync } from 'node:child_process';
import { nodeFlagsOf, startScriptNodeFlags } from '../../test-support/startScript.js';

// `npm start`'s node flags (README, Operations), which the bench and the soak start the service with.
describe('the start script', () => {
  test('its node flags are read as they are written', () => {
    expect(nodeFlagsOf('node dist/src/main.js')).toEqual([]);
    expect(nodeFlagsOf('node --a=1 --b dist/src/main.js')).toEqual(['--a=1', '--b']);
  });

  test('another shape of start script is refused, not guessed at', () => {
    expect(() => nodeFlagsOf('tsx src/main.ts')).toThrow(/start script/);
    expect(() => nodeFlagsOf('node --a=1 dist/src/main.js && echo')).toThrow(/start script/);
    expect(() => nodeFlagsOf(undefined)).toThrow(/start script/);
  });

  test('caps the heap below 2 GB (where V8 grows it ~1.6x, not 4x) and gives the young generation 2 x 32 MB', () => {
    const flags = startScriptNodeFlags();
    const run = spawnSync(process.execPath, [...flags, '-e', 'const v8 = require("node:v8"); console.log(JSON.stringify(v8.getHeapStatistics()))'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const stats = JSON.parse(run.stdout) as { heap_size_limit: number };
    const limitMb = stats.heap_size_limit / 2 ** 20;
    // The old generation's 1,024 MB plus the young generation's share.
    expect(limitMb).toBeGreaterThanOrEqual(1024);
    expect(limitMb).toBeLessThan(2048);
    expect(flags).toContain('--max-semi-space-size=32');
  });
});
