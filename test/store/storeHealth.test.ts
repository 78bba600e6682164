import { Metrics } from '../../src/observability/metrics.js';
import { StoreHealth } from '../../src/store/storeHealth.js';
import { captureLogs } from '../support/captureLogs.js';

function health() {
  const logs = captureLogs();
  const clock = { now: 1_000_000 };
  const metrics = new Metrics();
  return { h: new StoreHealth({ logger: logs.logger, metrics, clock: () => clock.now }), logs, clock, metrics };
}
const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL', name: 'SqliteError' });

describe('StoreHealth: reachable and writable', () => {
  test('a failed read is cleared by any success', () => {
    const { h } = health();
    h.failed('quiet-read', new Error('down'));
    expect(h.up).toBe(false);
    h.succeeded('ping');
    expect(h.up).toBe(true);
  });
  test('a failed write is cleared only by a write that succeeds: reads (the readiness ping) do not hide a full disk', async () => {
    const { h, metrics } = health();
    h.failed('card-log', full);
    h.succeeded('ping');
    h.succeeded('quiet-read');
    await h.track('quiet-read', () => Promise.resolve(1));
    expect(h.up).toBe(false);
    expect(h.problem).toBe('SqliteError SQLITE_FULL');
    expect(await metrics.registry.metrics()).toContain('cds_store_up 0');
    await h.track('feedback', () => Promise.resolve(1));
    expect(h.up).toBe(true);
    expect(await metrics.registry.metrics()).toContain('cds_store_up 1');
  });
  test('a store that comes and goes logs "unavailable" and "reachable again" at most once a minute each', () => {
    const { h, logs, clock } = health();
    for (let i = 0; i < 50; i++) {
      h.failed('card-log', full);
      h.succeeded('card-log');
      clock.now += 100;
    }
    const msgs = logs.lines<{ msg: string }>().map((l) => l.msg);
    expect(msgs.filter((m) => m === 'store unavailable')).toHaveLength(1);
    expect(msgs.filter((m) => m === 'store reachable again')).toHaveLength(1);
    clock.now += 60_000;
    h.failed('card-log', full);
    h.succeeded('card-log');
    expect(logs.lines<{ msg: string }>().filter((l) => l.msg === 'store reachable again')).toHaveLength(2);
  });
});
